"""The HTTP transport of webhook requests: SSRF-checked connections, timeouts, no redirects, capped answers.

``requests`` with an adapter whose connections resolve the host name themselves, check every address with
:mod:`.ssrf`, and connect to exactly an address that passed (the Host header, TLS SNI and certificate checks
keep the host name). Proxies from the environment are ignored, redirects are never followed, every request
has a connect timeout and a total deadline, and at most :data:`MAX_RESPONSE_BYTES` of an answer are read.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from http.cookiejar import DefaultCookiePolicy

import requests
import urllib3
from flask import current_app, has_app_context
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_encoding_from_headers
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import create_connection

from ..logs import get_logger, scrub
from ..version import PRODUCT, __version__
from .ssrf import AddressPolicy, BlockedAddress, current_policy, resolve_checked

log = get_logger("Webhooks")

USER_AGENT = f"{PRODUCT}/{__version__} (webhooks)"
MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT_CHARS = 500
ERROR_CHARS = 255
MAX_RETRY_AFTER = 7 * 24 * 3600
#: guarded sessions kept per thread (one per webhook and address policy) before they are all closed
MAX_SESSIONS = 64

_sessions = threading.local()


@dataclass
class AttemptResult:
    """What one HTTP attempt gave: success, status, duration, an excerpt of the answer, why it failed."""

    ok: bool
    status_code: int | None = None
    duration_ms: int = 0
    response_excerpt: str = ""
    error: str = ""
    retry_after: float | None = None
    gone: bool = False

    @classmethod
    def failure(cls, error: str, duration_ms: int = 0, status_code: int | None = None) -> AttemptResult:
        """A failed attempt with ``error`` as the reason."""
        return cls(ok=False, status_code=status_code, duration_ms=duration_ms, error=error[:ERROR_CHARS])


class BlockedConnection(NewConnectionError):
    """The connection was refused by the SSRF policy before any packet was sent."""

    def __init__(self, conn, why: str):
        super().__init__(conn, why)
        self.why = why


class _GuardedConnectionMixin:
    """Resolve, check every address, connect to a checked one (``policy`` is set per adapter)."""

    policy: AddressPolicy = AddressPolicy()

    def _new_conn(self) -> socket.socket:
        try:
            addresses = resolve_checked(self._dns_host, self.port, self.policy)
        except BlockedAddress as exc:
            raise BlockedConnection(self, f"Refused by the SSRF policy: {exc}") from exc
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        last_error: OSError | None = None
        for _family, address in addresses:
            try:
                return create_connection((address, self.port), self.timeout,
                                         source_address=self.source_address,
                                         socket_options=self.socket_options)
            except TimeoutError as exc:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from exc
            except OSError as exc:
                last_error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")


@lru_cache(maxsize=32)
def _pool_classes(policy: AddressPolicy) -> dict[str, type]:
    """Connection pool classes whose connections enforce ``policy``."""
    attrs = {"policy": policy}
    http_conn = type("GuardedHTTPConnection", (_GuardedConnectionMixin, HTTPConnection), attrs)
    https_conn = type("GuardedHTTPSConnection", (_GuardedConnectionMixin, HTTPSConnection), attrs)
    return {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


class GuardedAdapter(HTTPAdapter):
    """A ``requests`` adapter whose connections only reach addresses ``policy`` allows; no retries."""

    def __init__(self, policy: AddressPolicy, **kwargs):
        self.policy = policy
        super().__init__(max_retries=0, **kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        """Create the pool manager with the guarded pool classes."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        """Proxies would connect on our behalf to unchecked addresses: refuse them."""
        raise requests.exceptions.InvalidProxyURL("Proxies are not used for webhook requests")


def guard_session(session: requests.Session, policy: AddressPolicy | None = None) -> requests.Session:
    """Make ``session`` (plain or Authlib) safe: guarded adapter (also for any redirect), no proxies."""
    adapter = GuardedAdapter(policy if policy is not None else current_policy())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = False
    session.proxies = {}
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # a receiver's cookies are never kept
    session.headers["User-Agent"] = USER_AGENT
    return session


def webhook_session(webhook_id: int) -> requests.Session:
    """This thread's guarded session for one webhook, so that connections to its receiver are reused.

    Keyed by the webhook and the current address policy: a changed policy (development mode, allowed
    networks) gets a new session, and every new connection is still checked by the guarded adapter.
    """
    policy = current_policy()
    cache = getattr(_sessions, "cache", None)
    if cache is None:
        cache = _sessions.cache = {}
    key = (webhook_id, policy)
    session = cache.get(key)
    if session is None:
        if len(cache) >= MAX_SESSIONS:
            for old in cache.values():
                old.close()
            cache.clear()
        session = cache[key] = guard_session(requests.Session(), policy)
    return session


def timeouts() -> tuple[float, float]:
    """``(connect, total)`` timeouts in seconds from ``JOMRES_WEBHOOK_CONNECT_TIMEOUT``/``..._TIMEOUT``."""
    config = current_app.config if has_app_context() else {}
    connect = float(config.get("JOMRES_WEBHOOK_CONNECT_TIMEOUT", 5.0))
    return connect, float(config.get("JOMRES_WEBHOOK_TIMEOUT", 15.0))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), bounded; None if invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), MAX_RETRY_AFTER))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return float(min(max(seconds, 0.0), MAX_RETRY_AFTER))


def redact(text: str, secrets: Iterable[str]) -> str:
    """Remove each of ``secrets`` from ``text``, then anything that looks like a secret."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return scrub(text)


def _causes(exc: BaseException):
    """``exc`` and the exceptions behind it (``reason``, ``args``, cause, context), bounded."""
    stack, seen = [exc], set()
    while stack and len(seen) < 20:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        behind = [getattr(item, "reason", None), item.__cause__, item.__context__, *getattr(item, "args", ())]
        stack.extend(other for other in behind if isinstance(other, BaseException))


def describe_exception(exc: BaseException) -> str:
    """A short, secret-free reason for a failed request."""
    for cause in _causes(exc):
        if isinstance(cause, BlockedConnection):
            return cause.why
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "Connection timed out"
    if isinstance(exc, (requests.exceptions.ReadTimeout, requests.exceptions.Timeout)):
        return "Timed out waiting for the answer"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error: the certificate could not be verified or the handshake failed"
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = str(exc)
        if "Name or service not known" in text or "NameResolutionError" in text or "resolve" in text:
            return "The host name does not resolve"
        if "Connection refused" in text:
            return "Connection refused"
        if "reset by peer" in text or "RemoteDisconnected" in text or "closed connection" in text:
            return "The receiver closed the connection without an answer"
        return "Connection failed"
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return "The URL is not valid"
    return f"Request failed ({type(exc).__name__})"


def _decode(content: bytes, encoding: str | None) -> str:
    try:
        return content.decode(encoding or "utf-8", errors="replace")
    except LookupError:  # an unknown charset named by the receiver
        return content.decode("utf-8", errors="replace")


def printable(text: str) -> str:
    """``text`` without NUL and other control characters (they cannot be stored in every database)."""
    return "".join(char if char.isprintable() or char in "\n\t" else " " for char in text)


def _read_capped(raw: urllib3.BaseHTTPResponse, deadline: float) -> bytes:
    """Read at most MAX_RESPONSE_BYTES of the answer, giving up once ``deadline`` has passed.

    ``read1`` returns whatever has arrived, so a receiver trickling its answer is cut off at the deadline
    (late by at most one socket read timeout).
    """
    chunks: list[bytes] = []
    size = 0
    while size < MAX_RESPONSE_BYTES:
        if time.monotonic() > deadline:
            raise requests.exceptions.ReadTimeout("total deadline passed while reading the answer")
        try:
            chunk = raw.read1(MAX_RESPONSE_BYTES - size, decode_content=True)
        except (urllib3.exceptions.ReadTimeoutError, TimeoutError) as exc:
            raise requests.exceptions.ReadTimeout(exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise requests.exceptions.ConnectionError(exc) from exc
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:MAX_RESPONSE_BYTES]


@dataclass
class _Answer:
    """The parts of an answer that :func:`send` reads, whichever way the request went."""

    raw: urllib3.BaseHTTPResponse
    status: int
    reason: str
    headers: Mapping[str, str]
    encoding: str | None
    close: Callable[[], None]


def _open(session: requests.Session, method: str, url: str, body: bytes | None, headers: dict | None,
          timeout: tuple[float, float], **kwargs) -> _Answer:
    """Send the request; a plain guarded session goes straight to its connection pool.

    ``requests`` spends about as long preparing a request (cookies, hooks, environment, URL) as the round
    trip to a receiver on the same network takes. A session of our own with a guarded adapter and nothing
    else to apply (no auth, no extra arguments) therefore sends through the adapter's pool directly: the same
    checked connections, the same timeouts, no redirects, no retries. Any other session (Authlib's OAuth
    session, say) goes through ``requests``.
    """
    if type(session) is requests.Session and session.auth is None and not kwargs:
        adapter = session.get_adapter(url)
        if isinstance(adapter, GuardedAdapter):
            merged = CaseInsensitiveDict(session.headers)  # as requests merges them: ours win, any case
            merged.update(headers or {})
            return _urlopen(adapter, method, url, body, merged, timeout)
    response = session.request(method, url, data=body, headers=headers, timeout=timeout,
                               allow_redirects=False, stream=True, **kwargs)
    return _Answer(response.raw, response.status_code, response.reason or "", response.headers,
                   response.encoding, response.close)


def _urlopen(adapter: GuardedAdapter, method: str, url: str, body: bytes | None, headers: Mapping[str, str],
             timeout: tuple[float, float]) -> _Answer:
    """One request through ``adapter``'s pool, its errors raised as ``requests`` raises them."""
    try:
        parsed = urllib3.util.parse_url(url)
        if parsed.scheme == "https":  # certificates checked against the same bundle as requests uses
            pool_kwargs = {"cert_reqs": "CERT_REQUIRED", "ca_certs": DEFAULT_CA_BUNDLE_PATH}
        else:
            pool_kwargs = None
        pool = adapter.poolmanager.connection_from_host(
            parsed.host, parsed.port, parsed.scheme or "http", pool_kwargs=pool_kwargs
        )
        raw = pool.urlopen(
            method, parsed.request_uri, body=body, headers=headers, redirect=False, retries=False,
            assert_same_host=False, preload_content=False, decode_content=False,
            timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
        )
    except (urllib3.exceptions.LocationValueError, urllib3.exceptions.LocationParseError) as exc:
        raise requests.exceptions.InvalidURL(exc) from exc
    except urllib3.exceptions.NewConnectionError as exc:  # before its base class ConnectTimeoutError
        raise requests.exceptions.ConnectionError(exc) from exc
    except urllib3.exceptions.ConnectTimeoutError as exc:
        raise requests.exceptions.ConnectTimeout(exc) from exc
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.exceptions.ReadTimeout(exc) from exc
    except urllib3.exceptions.SSLError as exc:
        raise requests.exceptions.SSLError(exc) from exc
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise requests.exceptions.ConnectionError(exc) from exc

    def close() -> None:
        if not raw.closed:  # not read to its end (capped, timed out): the connection is not reused
            raw.close()
        raw.release_conn()

    return _Answer(raw, raw.status, raw.reason or "", raw.headers, get_encoding_from_headers(raw.headers),
                   close)


def send(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None,
         session: requests.Session | None = None, secrets: Iterable[str] = (), log_traffic: bool = True,
         **kwargs) -> AttemptResult:
    """Send one request through the guarded transport and describe the outcome (never raises)."""
    connect_timeout, total_timeout = timeouts()
    own_session = session is None
    session = session if session is not None else guard_session(requests.Session())
    secrets = [secret for secret in secrets if secret]
    started = time.monotonic()
    if log_traffic:
        log.info("Sent to %s", url)
    try:
        answer = _open(session, method, url, body, headers, (connect_timeout, total_timeout), **kwargs)
        try:
            content = _read_capped(answer.raw, started + connect_timeout + total_timeout)
        finally:
            answer.close()
    except (requests.exceptions.RequestException, ValueError) as exc:  # ValueError: URLs urllib3 refuses
        duration = int((time.monotonic() - started) * 1000)
        reason = describe_exception(exc) if isinstance(exc, requests.exceptions.RequestException) else (
            "The URL is not valid")
        log.warning("Failed to deliver to %s after %s ms: %s", url, duration, reason)
        return AttemptResult.failure(reason, duration)
    finally:
        if own_session:
            session.close()
    duration = int((time.monotonic() - started) * 1000)
    status = answer.status
    excerpt = printable(redact(_decode(content, answer.encoding), secrets))[:EXCERPT_CHARS]
    result = AttemptResult(ok=200 <= status < 300, status_code=status, duration_ms=duration,
                           response_excerpt=excerpt, gone=status == 410,
                           retry_after=parse_retry_after(answer.headers.get("Retry-After")))
    if 300 <= status < 400:
        result.error = "Redirect not followed (webhooks must answer 2xx)"
    elif not result.ok:
        result.error = printable(f"HTTP {status} {answer.reason}".strip())[:ERROR_CHARS]
    if log_traffic:
        log.info("Received back from %s %s in %s ms", url, status, duration)
        if not result.ok:
            log.warning("Failed to deliver to %s: %s", url, result.error)
    return result


def post(url: str, body: bytes, headers: dict, *, session: requests.Session | None = None,
         secrets: Iterable[str] = ()) -> AttemptResult:
    """POST ``body`` to ``url`` through the guarded transport; ``secrets`` are kept out of the excerpt."""
    return send("POST", url, body=body, headers=headers, session=session, secrets=secrets)
