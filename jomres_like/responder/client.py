"""The responder's REST API client: a cached client-credentials token and the webhook callback.

The token comes from ``POST {api}/oauth/token`` (RFC 6749, HTTP Basic client authentication); when that
endpoint does not exist (404/405), from a form POST with ``grant_type=client_credentials`` to the API root
itself, as Jomres does. It is cached until shortly before it expires, and fetched again once on a 401.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import requests

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 15.0
EXPIRY_MARGIN = 30  # seconds: renew a token a little before the API would refuse it
DEFAULT_LIFETIME = 3600
EXCERPT = 500


class ApiError(Exception):
    """The API could not be reached, or did not hand out a token."""


@dataclass(frozen=True)
class CallbackResult:
    """What the callback returned: the URL, HTTP status, time taken and a short excerpt of the body."""

    url: str
    status: int
    elapsed_ms: int
    excerpt: str
    token_refreshed: bool = False


def normalise_api_url(api_url: str) -> str:
    """Return the API root without its trailing slash (``http://host/jomres/api``)."""
    root = (api_url or "").strip().rstrip("/")
    if not root.startswith(("http://", "https://")):
        raise ValueError("the API URL must start with http:// or https://")
    return root


class ApiClient:
    """Talks to the REST API with client credentials; safe to share between threads."""

    def __init__(self, api_url: str, client_id: str, client_secret: str,
                 session: requests.Session | None = None):
        self.root = normalise_api_url(api_url)
        self.client_id = client_id
        self._client_secret = client_secret
        self._session = session or requests.Session()
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"ApiClient({self.root!r}, client_id={self.client_id!r})"

    # -- tokens -----------------------------------------------------------------------------------
    def token(self, force: bool = False) -> str:
        """Return a valid access token, fetching one when none is cached, it expired, or ``force``."""
        with self._lock:
            if force or not self._token or time.monotonic() >= self._expires_at:
                self._token, lifetime = self._fetch_token()
                self._expires_at = time.monotonic() + max(lifetime - EXPIRY_MARGIN, 1)
            return self._token

    def forget_token(self) -> None:
        """Drop the cached token."""
        with self._lock:
            self._token = None
            self._expires_at = 0.0

    def _fetch_token(self) -> tuple[str, int]:
        response = self._post(
            self.root + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self._client_secret),
        )
        if response.status_code in (404, 405):
            # Jomres style: the credentials as form fields, posted to the API root itself.
            response = self._post(
                self.root + "/",
                data={"grant_type": "client_credentials", "client_id": self.client_id,
                      "client_secret": self._client_secret},
            )
        return _read_token(response)

    def _post(self, url: str, **kwargs) -> requests.Response:
        try:
            return self._session.post(url, timeout=(CONNECT_TIMEOUT, TOTAL_TIMEOUT), allow_redirects=False,
                                      headers={"Accept": "application/json"}, **kwargs)
        except requests.RequestException as exc:
            raise ApiError(f"cannot reach {url}: {exc.__class__.__name__}") from None

    # -- callback ---------------------------------------------------------------------------------
    def callback_url(self, property_uid: int, task: str, record_id: str | None) -> str:
        """The callback URL ``{api}/webhooks/{property_uid}/{task}[/{id}]``."""
        url = f"{self.root}/webhooks/{property_uid}/{task}"
        return f"{url}/{record_id}" if record_id is not None else url

    def call_back(self, property_uid: int, task: str, record_id: str | None) -> CallbackResult:
        """GET the callback URL with a bearer token; on a 401, fetch a new token once and try again."""
        url = self.callback_url(property_uid, task, record_id)
        started = time.monotonic()
        response = self._get(url, self.token())
        refreshed = False
        if response.status_code == 401:
            refreshed = True
            response = self._get(url, self.token(force=True))
        elapsed = int((time.monotonic() - started) * 1000)
        text = response.text if response.content else ""
        return CallbackResult(url, response.status_code, elapsed, _one_line(text)[:EXCERPT], refreshed)

    def _get(self, url: str, token: str) -> requests.Response:
        try:
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            return self._session.get(url, timeout=(CONNECT_TIMEOUT, TOTAL_TIMEOUT), allow_redirects=False,
                                     headers=headers)
        except requests.RequestException as exc:
            raise ApiError(f"cannot reach {url}: {exc.__class__.__name__}") from None


def _read_token(response: requests.Response) -> tuple[str, int]:
    """Return ``(access_token, lifetime)`` from a token answer, or raise :class:`ApiError`."""
    if response.status_code != 200:
        raise ApiError(f"the token endpoint {response.url} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise ApiError(f"the token endpoint {response.url} did not answer JSON") from None
    if isinstance(body, dict) and isinstance(body.get("data"), dict) and "access_token" not in body:
        body = body["data"]  # an enveloped answer
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ApiError(f"the token endpoint {response.url} gave no access_token")
    try:
        lifetime = int(body.get("expires_in") or DEFAULT_LIFETIME)
    except (TypeError, ValueError):
        lifetime = DEFAULT_LIFETIME
    return token, max(lifetime, 1)


def _one_line(text: str) -> str:
    return " ".join(text.split())
