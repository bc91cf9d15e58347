"""The HTTP transport of webhook requests, the POST and the OAuth token request alike: one bounded exchange.

:func:`exchange` sends one request on urllib3 through a :class:`~.guarded.GuardedSession` (SSRF-checked
connections, no proxies, no redirects, no retries) and reads its answer within bounds: the connect timeout
for the connect, then a wall-clock deadline of the total timeout on the whole exchange, every socket read
and write given only the time left; at most a given number of bytes of the answer are read, decompressed
and on the wire alike. :func:`send` and :func:`post` turn an exchange into an :class:`AttemptResult`.
"""

from __future__ import annotations

import enum
import http.client
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime

import urllib3
from flask import current_app, has_app_context
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError

from ..logs import get_logger, scrub
from ..version import PRODUCT, __version__
from .guarded import BlockedConnection, GuardedSession, deadline, time_left, webhook_session

__all__ = ["AnswerTooLarge", "AttemptResult", "FailureKind", "GuardedSession", "TransportError", "exchange",
           "post", "send", "webhook_session"]

log = get_logger("Webhooks")

USER_AGENT = f"{PRODUCT}/{__version__} (webhooks)"
MAX_RESPONSE_BYTES = 64 * 1024
EXCERPT_CHARS = 500
ERROR_CHARS = 255
MAX_RETRY_AFTER = 7 * 24 * 3600
READ_CHUNK = 16 * 1024
#: sent with every request unless the caller sets them (the headers ``requests`` used to send)
BASE_HEADERS = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "gzip, deflate"}


class FailureKind(enum.Enum):
    """Why an attempt failed; retries and the slow/down marks decide from it, never from the wording."""

    TIMEOUT = "timeout"  # no connection, or no whole answer, within the timeouts
    CONNECT = "connect"  # refused, reset, or no connection for another reason
    DNS = "dns"  # the host name does not resolve
    REFUSED_BY_POLICY = "refused_by_policy"  # the SSRF policy refused every address
    TLS = "tls"  # certificate or handshake
    INVALID_URL = "invalid_url"
    HTTP_STATUS = "http_status"  # an answer that is not 2xx (a redirect included)
    TOO_LARGE = "too_large"  # an answer over its limit, where the limit is an error
    INVALID_RESPONSE = "invalid_response"  # closed without an answer, undecodable, not what was asked for
    AUTH = "auth"  # no credentials could be obtained (the OAuth token request)
    INTERNAL = "internal"  # our side: secrets that cannot be decrypted, a payload or a method that fails


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
    #: ``None`` for a success
    kind: FailureKind | None = None

    @classmethod
    def failure(cls, error: str, duration_ms: int = 0, status_code: int | None = None,
                kind: FailureKind = FailureKind.INTERNAL) -> AttemptResult:
        """A failed attempt of ``kind`` with ``error`` as the reason."""
        return cls(ok=False, status_code=status_code, duration_ms=duration_ms, error=error[:ERROR_CHARS],
                   kind=kind)


class TransportError(Exception):
    """A request that got no usable answer; ``reason`` is short, secret-free and safe to record."""

    def __init__(self, reason: str, kind: FailureKind = FailureKind.INTERNAL):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind

    @property
    def timed_out(self) -> bool:
        """Whether the request ran out of time."""
        return self.kind is FailureKind.TIMEOUT


class AnswerTooLarge(TransportError):
    """The answer is longer than the exchange's limit (decompressed, or on the wire)."""

    def __init__(self, reason: str):
        super().__init__(reason, FailureKind.TOO_LARGE)


@dataclass(frozen=True)
class Answer:
    """An answer read within the bounds: status, reason phrase, headers and the (decompressed) body."""

    status: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    def text(self) -> str:
        """The body decoded with the charset the answer names (UTF-8 when none or unknown)."""
        message = Message()
        message["Content-Type"] = self.headers.get("Content-Type", "")
        charset = message.get_content_charset()
        if charset is None and message.get_content_maintype() == "text":
            charset = "iso-8859-1"  # HTTP/1.1's default for text, as requests decoded it
        try:
            return self.content.decode(charset or "utf-8", errors="replace")
        except LookupError:  # an unknown charset named by the receiver
            return self.content.decode("utf-8", errors="replace")


def timeouts() -> tuple[float, float]:
    """``(connect, total)`` timeouts in seconds from ``JOMRES_WEBHOOK_CONNECT_TIMEOUT``/``..._TIMEOUT``."""
    config = current_app.config if has_app_context() else {}
    connect = float(config.get("JOMRES_WEBHOOK_CONNECT_TIMEOUT", 5.0))
    return connect, float(config.get("JOMRES_WEBHOOK_TIMEOUT", 15.0))


def exchange(method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None,
             session: GuardedSession | None = None, limit: int = MAX_RESPONSE_BYTES,
             fail_over_limit: bool = False) -> Answer:
    """Send one request and read its answer within the timeouts; raise :class:`TransportError`.

    At most ``limit`` bytes of the body are read (decompressed); beyond them the body is cut, or with
    ``fail_over_limit`` the exchange fails with :class:`AnswerTooLarge` (also when more than ``limit``
    compressed bytes arrive). A connection whose answer was not read to its end is closed, not reused.
    """
    connect_timeout, total_timeout = timeouts()
    own_session = session is None
    session = GuardedSession() if own_session else session
    merged = urllib3.HTTPHeaderDict(BASE_HEADERS)
    for name, value in (headers or {}).items():
        merged[name] = value  # the caller's value wins, whatever the case of its name
    started = time.monotonic()
    try:
        with deadline(started + total_timeout):
            parsed = _parse(url)
            pool = session.pool(parsed.scheme, parsed.host, parsed.port)
            raw = pool.urlopen(
                method, parsed.request_uri, body=body, headers=merged, redirect=False, retries=False,
                assert_same_host=False, preload_content=False, decode_content=False,
                timeout=urllib3.Timeout(connect=min(connect_timeout, total_timeout), read=total_timeout),
            )
            try:
                content = _read_body(raw, limit, fail_over_limit)
            finally:
                if not raw.closed:  # not read to its end (cut, too large, timed out): not reused
                    raw.close()
                raw.release_conn()
    except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError, ValueError) as exc:
        raise _describe(exc, connect_timeout, total_timeout) from None
    finally:
        if own_session:
            session.close()
    return Answer(raw.status, raw.reason or "", raw.headers, content)


def _parse(url: str) -> urllib3.util.Url:
    """The parts of an http(s) URL; raises LocationValueError for anything else."""
    parsed = urllib3.util.parse_url(url)
    if (parsed.scheme or "").lower() not in ("http", "https") or not parsed.host:
        raise LocationValueError(f"not an http(s) URL: {url!r}")
    return parsed


def _read_body(raw: urllib3.BaseHTTPResponse, limit: int, fail_over_limit: bool) -> bytes:
    """Read the body, decompressing, in chunks up to ``limit`` bytes (see :func:`exchange`)."""
    if fail_over_limit:
        declared = raw.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            raise AnswerTooLarge(f"the answer exceeds {limit} bytes")
    cap = limit + 1 if fail_over_limit else limit  # one byte more tells a too-long answer from a full one
    chunks: list[bytes] = []
    size = 0
    while size < cap:
        time_left()  # raises TimeoutError once the deadline passed, even while the reads find data
        chunk = raw.read(min(READ_CHUNK, cap - size), decode_content=True)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if fail_over_limit and raw.tell() > limit:  # compressed bytes read so far
            raise AnswerTooLarge(f"the answer exceeds {limit} bytes")
    if fail_over_limit and size > limit:
        raise AnswerTooLarge(f"the answer exceeds {limit} bytes")
    return b"".join(chunks)


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


def _describe(exc: BaseException, connect_timeout: float, total_timeout: float) -> TransportError:
    """The short, secret-free reason a request failed."""
    causes = list(_causes(exc))

    def any_of(*kinds: type) -> bool:
        return any(isinstance(cause, kinds) for cause in causes)

    for cause in causes:
        if isinstance(cause, BlockedConnection):
            return TransportError(cause.why, FailureKind.REFUSED_BY_POLICY)
    if any(isinstance(c, ConnectTimeoutError) and not isinstance(c, NewConnectionError) for c in causes):
        return TransportError(f"Connection timed out after {connect_timeout:g} s", FailureKind.TIMEOUT)
    if any_of(ReadTimeoutError, TimeoutError):
        reason = f"Timed out after {total_timeout:g} s waiting for the answer"
        return TransportError(reason, FailureKind.TIMEOUT)
    if any_of(Urllib3SSLError, ssl.SSLError, ssl.CertificateError):
        reason = "TLS error: the certificate could not be verified or the handshake failed"
        return TransportError(reason, FailureKind.TLS)
    if any_of(NameResolutionError):
        return TransportError("The host name does not resolve", FailureKind.DNS)
    if any_of(ConnectionRefusedError):
        return TransportError("Connection refused", FailureKind.CONNECT)
    if any_of(http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionResetError,
              BrokenPipeError, ProtocolError):
        reason = "The receiver closed the connection without an answer"
        return TransportError(reason, FailureKind.INVALID_RESPONSE)
    if any_of(NewConnectionError):
        return TransportError("Connection failed", FailureKind.CONNECT)
    if any_of(DecodeError):
        return TransportError("The answer could not be decompressed", FailureKind.INVALID_RESPONSE)
    if any_of(LocationValueError, ValueError):
        return TransportError("The URL is not valid", FailureKind.INVALID_URL)
    return TransportError(f"Request failed ({type(exc).__name__})", FailureKind.INTERNAL)


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


def printable(text: str) -> str:
    """``text`` without NUL and other control characters (they cannot be stored in every database)."""
    return "".join(char if char.isprintable() or char in "\n\t" else " " for char in text)


def send(method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None,
         session: GuardedSession | None = None, secrets: Iterable[str] = (),
         log_traffic: bool = True) -> AttemptResult:
    """Send one request through :func:`exchange` and describe the outcome (never raises)."""
    secrets = [secret for secret in secrets if secret]
    started = time.monotonic()
    if log_traffic:
        log.info("Sent to %s", url)
    try:
        answer = exchange(method, url, body=body, headers=headers, session=session)
    except TransportError as exc:
        duration = int((time.monotonic() - started) * 1000)
        log.warning("Failed to deliver to %s after %s ms: %s", url, duration, exc.reason)
        return AttemptResult.failure(exc.reason, duration, kind=exc.kind)
    duration = int((time.monotonic() - started) * 1000)
    status = answer.status
    excerpt = printable(redact(answer.text(), secrets))[:EXCERPT_CHARS]
    result = AttemptResult(ok=200 <= status < 300, status_code=status, duration_ms=duration,
                           response_excerpt=excerpt, gone=status == 410,
                           retry_after=parse_retry_after(answer.headers.get("Retry-After")))
    if 300 <= status < 400:
        result.error = "Redirect not followed (webhooks must answer 2xx)"
    elif not result.ok:
        result.error = printable(f"HTTP {status} {answer.reason}".strip())[:ERROR_CHARS]
    if not result.ok:
        result.kind = FailureKind.HTTP_STATUS
    if log_traffic:
        log.info("Received back from %s %s in %s ms", url, status, duration)
        if not result.ok:
            log.warning("Failed to deliver to %s: %s", url, result.error)
    return result


def post(url: str, body: bytes, headers: Mapping[str, str], *, session: GuardedSession | None = None,
         secrets: Iterable[str] = ()) -> AttemptResult:
    """POST ``body`` to ``url`` through the guarded transport; ``secrets`` are kept out of the excerpt."""
    return send("POST", url, body=body, headers=headers, session=session, secrets=secrets)
