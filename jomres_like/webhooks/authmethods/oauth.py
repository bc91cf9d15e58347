"""Auth method ``oauth``: a client-credentials token sent as ``Authorization: Bearer``.

The token URL defaults to the webhook's URL, as in Jomres. The token request (RFC 6749 section 4.4, client
authentication by HTTP Basic) is built here and goes through the same bounded, SSRF-checked exchange as the
webhook POST (:func:`..http.exchange`); its answer is read up to :data:`MAX_TOKEN_ANSWER` bytes and parsed
here. The token is cached, encrypted, in
``Webhook.token_cache_encrypted`` until it expires; a 401 answer makes exactly one new token request and
one new attempt.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from sqlalchemy import update

from ... import crypto
from ...extensions import db
from ...logs import get_logger
from ...models import Webhook
from ...timeutil import utcnow
from ..transport import (
    Answer,
    AnswerTooLarge,
    AttemptResult,
    FailureKind,
    GuardedSession,
    TransportError,
    exchange,
    post,
    printable,
    redact,
    webhook_session,
)
from . import AuthField, AuthMethod, register

log = get_logger("Webhooks")

EXPIRY_MARGIN = 30  # seconds: a token about to expire is not used
DEFAULT_LIFETIME = 3600
#: the most of a token endpoint's answer that is read, decompressed and on the wire alike
MAX_TOKEN_ANSWER = 64 * 1024
ERROR_CODE_CHARS = 100


class TokenError(Exception):
    """No token could be obtained; the message is safe to show and log, ``kind`` says why (AUTH by default,
    the transport's kind when the request itself failed)."""

    def __init__(self, message: str, kind: FailureKind = FailureKind.AUTH):
        super().__init__(message)
        self.kind = kind


def _fingerprint(token_url: str, settings: dict) -> str:
    """Identifies the credentials a cached token belongs to (kept inside the encrypted cache)."""
    material = "\n".join([token_url, settings.get("client_id", ""), settings.get("client_secret", ""),
                          settings.get("scope", "")])
    return hashlib.sha256(material.encode()).hexdigest()


@register
class OAuthClientCredentials(AuthMethod):
    """OAuth 2.0 client credentials: fetch a token, send it as a bearer token, re-fetch once on a 401."""

    name = "oauth"
    label = "OAuth 2.0 (client credentials)"
    fields = (
        AuthField("token_url", "Token URL", "url", required=False,
                  help="Where to get the access token; empty: the webhook's URL, as in Jomres."),
        AuthField("client_id", "Client ID", "text", required=True),
        AuthField("client_secret", "Client secret", "password", required=True, secret=True,
                  help="Stored encrypted; leave blank when editing to keep the current one."),
        AuthField("scope", "Scope", "text", required=False,
                  help="Space-separated scopes, if the server needs them."),
    )

    @classmethod
    def send(cls, webhook, body: bytes, headers: dict, settings: dict) -> AttemptResult:
        """POST with a bearer token (cached or fetched); on a 401, fetch one new token and try once more."""
        started = time.monotonic()
        token = cached_token(webhook, settings)
        result = AttemptResult.failure("not sent")
        for round_number in range(2):
            if token is None:
                try:
                    token = fetch_token(webhook, settings)
                except TokenError as exc:
                    elapsed = int((time.monotonic() - started) * 1000)
                    return AttemptResult.failure(f"Token request failed: {exc}", elapsed, kind=exc.kind)
            result = post(webhook.url, body, {**headers, "Authorization": f"Bearer {token}"},
                          secrets=[*cls.secret_values(settings), token], session=webhook_session(webhook.id))
            if result.status_code != 401 or round_number == 1:
                break
            log.info("Webhook %s answered 401; fetching a new token once", webhook.id)
            clear_token(webhook)
            token = None
        return result


def _token_url(webhook, settings: dict) -> str:
    return settings.get("token_url") or webhook.url


def cached_token(webhook, settings: dict) -> str | None:
    """The cached access token when it belongs to these settings and has not expired; else None."""
    if not webhook.token_cache_encrypted or webhook.token_expires_at is None:
        return None
    if webhook.token_expires_at <= utcnow():
        return None
    try:
        cache = crypto.decrypt_json(webhook.token_cache_encrypted, {})
    except (crypto.DecryptionError, ValueError):
        return None
    expected = _fingerprint(_token_url(webhook, settings), settings)
    if not isinstance(cache, dict) or cache.get("fingerprint") != expected:
        return None
    return cache.get("access_token") or None


def clear_token(webhook) -> None:
    """Forget the cached token."""
    _save_token(webhook.id, None, None)


def _save_token(webhook_id: int, sealed: str | None, expires_at: datetime | None) -> None:
    """Write the webhook's token cache in the attempt's transaction (committed before its outcome is).

    The webhook an attempt gets is a frozen row (:mod:`..rows`) that the session does not track; a webhook
    loaded in the session (a test, a manager's page) gets the new values too.
    """
    db.session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id)
        .values(token_cache_encrypted=sealed, token_expires_at=expires_at)
        .execution_options(synchronize_session="evaluate")
    )


def fetch_token(webhook, settings: dict) -> str:
    """Fetch a client-credentials token through the guarded transport, cache it encrypted, return it."""
    token_url = _token_url(webhook, settings)
    log.info("Requesting an OAuth token from %s", token_url)
    token = request_token(token_url, settings, webhook_session(webhook.id))
    access_token = token["access_token"]
    try:
        lifetime = int(token.get("expires_in") or DEFAULT_LIFETIME)
    except (TypeError, ValueError, OverflowError):
        lifetime = DEFAULT_LIFETIME
    lifetime = max(0, min(lifetime, 365 * 24 * 3600) - EXPIRY_MARGIN)
    fingerprint = _fingerprint(token_url, settings)
    sealed = crypto.encrypt_json({"access_token": access_token, "fingerprint": fingerprint})
    _save_token(webhook.id, sealed, utcnow() + timedelta(seconds=lifetime))
    log.info("Received an OAuth token from %s, valid for %s s", token_url, lifetime)
    return access_token


def request_token(token_url: str, settings: dict, session: GuardedSession) -> dict:
    """POST the client-credentials grant to ``token_url``; the answer's JSON object, with an access_token.

    Raises :class:`TokenError` with a safe reason: the transport's (SSRF, timeout, connection), an answer
    over :data:`MAX_TOKEN_ANSWER` bytes, a refusal, a non-2xx status, no JSON, no usable access_token.
    """
    client_id, client_secret = settings.get("client_id", ""), settings.get("client_secret", "")
    form = {"grant_type": "client_credentials"}
    if settings.get("scope"):
        form["scope"] = settings["scope"]
    credentials = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
    basic = base64.b64encode(credentials).decode("ascii")
    headers = {"Authorization": f"Basic {basic}", "Accept": "application/json",
               "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
    try:
        answer = exchange("POST", token_url, body=urlencode(form).encode(), headers=headers, session=session,
                          limit=MAX_TOKEN_ANSWER, fail_over_limit=True)
    except AnswerTooLarge:
        raise TokenError(f"the token endpoint's answer exceeds {MAX_TOKEN_ANSWER} bytes") from None
    except TransportError as exc:
        raise TokenError(exc.reason, exc.kind) from None
    return parse_token_answer(answer, secrets=[client_secret, basic])


def parse_token_answer(answer: Answer, secrets: list[str]) -> dict:
    """The token endpoint's JSON object when it carries a usable access_token; else raise TokenError."""
    try:
        document = json.loads(answer.content)
    except (ValueError, RecursionError):  # not JSON (or not text, or nested too deep)
        document = None
    error = document.get("error") if isinstance(document, dict) else None
    if isinstance(error, str) and error.strip():
        code = printable(redact(error.strip(), secrets))[:ERROR_CODE_CHARS]
        raise TokenError(f"the token endpoint refused: {code}")
    if not 200 <= answer.status < 300:
        raise TokenError(f"the token endpoint answered HTTP {answer.status}")
    if document is None:
        raise TokenError("the token endpoint did not answer with JSON")
    if not isinstance(document, dict):
        raise TokenError("the token endpoint did not answer with a token")
    access_token = document.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise TokenError("the token endpoint's answer has no access_token")
    if not all("!" <= char <= "~" for char in access_token):  # it goes into a header as it is
        raise TokenError("the token endpoint's access_token is not a valid bearer token")
    return document
