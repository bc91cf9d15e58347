"""The ``<Channel>.application.log`` files of SPEC section 14.

A line reads ``[2026-11-22 04:45:38.123456] LEVEL <user or -> ~~ <message> ~~ <request id> ~~ <url>``.
Use :func:`get_logger` with a channel name; DEBUG lines are written only in development mode, and every
line is scrubbed of anything that looks like a secret, a token or a password.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from datetime import datetime

from flask import Flask, g, has_app_context, has_request_context, request

from .files import PrivateRotatingFileHandler, private_folder

CHANNELS = ("Core", "Webhooks", "DeferredTasks", "message_handling", "API", "Responder")
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5

_SECRET_PATTERNS = [
    (re.compile(r"whsec_[A-Za-z0-9+/=_-]+"), "whsec_[redacted]"),
    (re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    (
        re.compile(
            r"(?i)\b(password|passwd|client_secret|secret|access_token|refresh_token|token|authorization)"
            r"(['\"]?\s*[:=]\s*['\"]?)[^\s&,'\"}]+"
        ),
        r"\1\2[redacted]",
    ),
]


#: every pattern above needs one of these words: a line without any is left as it is, after one search
_ANY_SECRET_WORD = re.compile(r"(?i)whsec_|bearer|basic|passw|secret|token|authorization")


def scrub(text: str) -> str:
    """Replace secrets, tokens and passwords in ``text`` with ``[redacted]``."""
    if _ANY_SECRET_WORD.search(text) is None:
        return text
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


#: where a request keeps the username its log lines show (:func:`.services.actor.set_actor` forgets it)
LOG_USER_KEY = "jomres_log_user"


class _ContextFilter(logging.Filter):
    """Adds the acting user, request id and url; drops DEBUG outside development mode."""

    def __init__(self, app: Flask):
        super().__init__()
        self.app = app

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.INFO and not debug_enabled():
            return False
        record.jomres_user = "-"
        record.jomres_request = "-"
        record.jomres_url = "-"
        if has_request_context():
            record.jomres_request = g.get("request_id") or "-"
            url = g.get("jomres_url")
            if url is None:  # built once per request, not per line
                url = g.jomres_url = request.url
            record.jomres_url = url
            name = g.get(LOG_USER_KEY)
            if name is None:  # read once a request: after the commit, reading it would load the user again
                user = g.get("jomres_actor") or _login_user()
                if user is not None:
                    name = g.setdefault(LOG_USER_KEY, user.username)
            record.jomres_user = name or "-"
        elif has_app_context():  # the self-call (served without a request context) sets both in ``g``
            record.jomres_request = g.get("request_id") or "-"
            record.jomres_url = g.get("jomres_url") or "-"
        return True


def _login_user():
    """The request's logged-in user, or None; Flask-Login loads it once a request and keeps it in ``g``."""
    try:
        user = g.get("_login_user")
        if user is None:
            from flask_login import current_user

            user = current_user._get_current_object()
        return user if user is not None and user.is_authenticated else None
    except Exception:  # noqa: BLE001 - logging must never fail the request
        return None


_second: tuple[int, str] = (-1, "")  # the last whole second formatted, and its text


def _stamp(created: float) -> str:
    """``2026-11-22 04:45:38.123456`` (local time) for a record's time; the date part is reused per second."""
    global _second
    whole = int(created)
    cached = _second
    if cached[0] != whole:
        cached = _second = (whole, datetime.fromtimestamp(whole).strftime("%Y-%m-%d %H:%M:%S"))
    return f"{cached[1]}.{int((created - whole) * 1_000_000):06d}"


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = _stamp(record.created)
        message = record.getMessage()
        if record.exc_info:
            message += " " + self.formatException(record.exc_info).replace("\n", " | ")
        message = scrub(message.replace("\r", " ").replace("\n", " "))
        return (
            f"[{stamp}] {record.levelname} {getattr(record, 'jomres_user', '-')} ~~ {message} ~~ "
            f"{getattr(record, 'jomres_request', '-')} ~~ {getattr(record, 'jomres_url', '-')}"
        )


class ChannelFileHandler(PrivateRotatingFileHandler):
    """A size-rotated channel file (0600), written with one append per line.

    The standard handler formats each record twice (once only to decide on a rollover) and seeks to the end
    of the file before every line. Here a line is formatted once and written with a single ``write`` on the
    file's append-mode descriptor, so lines of the node's processes never interleave. The rollover happens
    before a line that would take the file past ``maxBytes``. A file another process has rotated already
    (its name now points at a new file) is reopened instead of being rotated a second time.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record) + self.terminator
            line = text.encode(self.encoding or "utf-8", "backslashreplace")
            if self.stream is None:
                self.stream = self._open()
            descriptor = self.stream.fileno()
            if self.maxBytes > 0:
                size = os.fstat(descriptor).st_size
                if size and size + len(line) >= self.maxBytes:
                    if self._renamed_elsewhere(descriptor):
                        self.stream.close()
                        self.stream = None
                    else:
                        self.doRollover()  # leaves no stream open when the handler delays opening
                    if self.stream is None:
                        self.stream = self._open()
                    descriptor = self.stream.fileno()
            os.write(descriptor, line)
        except Exception:  # noqa: BLE001 - logging.Handler's own contract: report, never raise
            self.handleError(record)

    def _renamed_elsewhere(self, descriptor: int) -> bool:
        try:
            return os.stat(self.baseFilename).st_ino != os.fstat(descriptor).st_ino
        except FileNotFoundError:
            return True


def debug_enabled() -> bool:
    """Whether DEBUG lines are written: development mode, looked up at most once per request."""
    if not has_app_context():
        return False
    if "jomres_debug" in g:
        return g.jomres_debug
    try:
        from .services.site import development_mode

        enabled = development_mode()
    except Exception:  # noqa: BLE001 - no database yet: fall back to the configuration
        from flask import current_app

        enabled = bool(current_app.config.get("JOMRES_DEVELOPMENT"))
    g.jomres_debug = enabled
    return enabled


def get_logger(channel: str) -> logging.Logger:
    """Return the logger of a channel (``Core``, ``Webhooks``, ``DeferredTasks``...)."""
    return logging.getLogger(f"jomres.{channel}")


def configure_logging(app: Flask) -> None:
    """Attach a size-rotated file handler per channel under ``JOMRES_LOG_DIR``."""
    log_dir = private_folder(app.config["JOMRES_LOG_DIR"])
    # The line format names no caller: the standard library's own switch (its "Optimization" section)
    # spares every record a walk up the stack to find one.
    logging._srcfile = None
    for channel in CHANNELS:
        logger = get_logger(channel)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        path = log_dir / f"{channel}.application.log"
        for handler in list(logger.handlers):
            if getattr(handler, "baseFilename", None) == str(path.resolve()):
                break
            logger.removeHandler(handler)
            handler.close()
        else:
            handler = ChannelFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
                                          delay=True)
            handler.setFormatter(_Formatter())
            logger.addHandler(handler)
        for handler in logger.handlers:
            handler.filters = [_ContextFilter(app)]

    @app.before_request
    def _assign_request_id() -> None:
        g.request_id = request_id(request.headers.get("X-Request-ID", ""))


_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{8,64}")


def request_id(supplied: str) -> str:
    """The id a request's log lines carry: the caller's ``X-Request-ID`` if it is sane, else a fresh one."""
    return supplied if _REQUEST_ID.fullmatch(supplied) else secrets.token_hex(8)
