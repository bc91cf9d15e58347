"""What the responder does with one webhook: verify, read the ids, call back, log.

:meth:`Responder.handle` is a plain function of the body and the headers, so tests and the WSGI app share it.
It never raises for bad input: every outcome is logged and returned as a small dict.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
from collections.abc import Mapping
from datetime import datetime
from logging.handlers import SysLogHandler
from pathlib import Path
from typing import Any, TextIO

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from ..files import PrivateRotatingFileHandler, private_folder
from ..logs import BACKUPS, MAX_BYTES, scrub
from .client import ApiClient, ApiError

CHANNEL = "Responder"
LOG_FILE = f"{CHANNEL}.application.log"

# The record id the callback asks for, most specific first (a note before its booking); property-level
# events carry none of these.
ID_KEYS = ("note_id", "note_uid", "guest_uid", "invoice_uid", "room_uid", "extras_uid", "coupon_id",
           "review_uid", "guest_type_uid", "contract_uid")
_TASK = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ID = re.compile(r"[0-9]{1,18}")


class BadSecret(ValueError):
    """The signing secret is not a ``whsec_`` base64 secret."""


def make_verifier(secret: str) -> Webhook:
    """Return a Standard Webhooks verifier for ``secret`` (``whsec_...``), or raise :class:`BadSecret`."""
    try:
        return Webhook(secret)
    except Exception as exc:  # binascii.Error, EmptyWebhookSecretError, RuntimeError...
        raise BadSecret("the signing secret must look like whsec_<base64>") from exc


class _LineFormatter(logging.Formatter):
    """The ``<Channel>.application.log`` line: ``[stamp] LEVEL - ~~ message ~~ <webhook-id> ~~ <path>``."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created).strftime("%Y-%m-%d %H:%M:%S.%f")
        message = record.getMessage()
        if record.exc_info:
            message += " " + self.formatException(record.exc_info).replace("\n", " | ")
        message = scrub(message.replace("\r", " ").replace("\n", " "))
        return (f"[{stamp}] {record.levelname} - ~~ {message} ~~ {getattr(record, 'webhook_id', '-')} ~~ "
                f"{getattr(record, 'path', '-')}")


def parse_syslog(value: str) -> tuple[str, int]:
    """Parse ``host:port`` (``[::1]:514`` for IPv6) into an address for the UDP syslog handler."""
    host, sep, port = (value or "").strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected host:port, e.g. 127.0.0.1:514")
    return host, int(port)


def build_logger(log_dir: str | Path, stream: TextIO | None = None,
                 syslog: tuple[str, int] | None = None) -> logging.Logger:
    """A private logger writing to ``stream`` (stdout), ``Responder.application.log`` and maybe syslog."""
    logger = logging.Logger(CHANNEL, logging.INFO)  # not in the global registry: one per responder
    formatter = _LineFormatter()
    folder = private_folder(log_dir)
    handlers: list[logging.Handler] = [
        logging.StreamHandler(stream or sys.stdout),
        PrivateRotatingFileHandler(folder / LOG_FILE, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                   encoding="utf-8"),
    ]
    if syslog:
        remote = SysLogHandler(address=syslog, socktype=socket.SOCK_DGRAM)
        remote.ident = "jomres_like-responder: "
        handlers.append(remote)
    for handler in handlers:
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger


def close_logger(logger: logging.Logger) -> None:
    """Close and detach the logger's handlers (files and sockets)."""
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def callback_target(payload: Any) -> tuple[str, int, str | None]:
    """Return ``(task, property_uid, record id)`` from a webhook body, or raise ``ValueError``.

    Works for our envelope (``event`` + ``data``) and for a Jomres payload that carries only ``data``.
    """
    if not isinstance(payload, dict):
        raise ValueError("the body is not a JSON object")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise ValueError("the body has no 'data' object")
    task = data.get("task") or payload.get("event")
    if not isinstance(task, str) or not _TASK.fullmatch(task):
        raise ValueError("the data carries no valid 'task'")
    property_uid = data.get("property_uid")
    if property_uid is None:
        raise LookupError(f"{task} carries no property_uid: nothing to call back")
    if isinstance(property_uid, bool) or not _ID.fullmatch(str(property_uid)) or int(property_uid) < 1:
        raise ValueError("property_uid is not a positive number")
    for key in ID_KEYS:
        value = data.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not _ID.fullmatch(str(value)):
            raise ValueError(f"{key} is not a number")
        return task, int(property_uid), str(int(value))
    return task, int(property_uid), None


class Responder:
    """The simulation webhook receiver: verifies, calls the API back, logs, and always answers 200."""

    def __init__(self, client: ApiClient, logger: logging.Logger, secret: str | None = None):
        self.client = client
        self.logger = logger
        self.verifier = make_verifier(secret) if secret else None

    def handle(self, body: bytes, headers: Mapping[str, str], path: str = "/") -> dict[str, Any]:
        """Process one webhook delivery; return a summary (the HTTP answer is 200 whatever it says)."""
        headers = {key.lower(): value for key, value in headers.items()}
        webhook_id = _short(headers.get("webhook-id", "")) or "-"
        extra = {"webhook_id": webhook_id, "path": _short(path, 200)}
        log = logging.LoggerAdapter(self.logger, extra)
        summary: dict[str, Any] = {"received": True, "webhook_id": webhook_id, "verified": None}
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("Rejected webhook %s: the body is not UTF-8", webhook_id)
            return {**summary, "error": "body is not UTF-8"}
        if self.verifier is not None:
            try:
                self.verifier.verify(text, headers, json_parse=False)
            except (WebhookVerificationError, ValueError, TypeError) as exc:
                log.warning("Rejected webhook %s: bad signature (%s)", webhook_id, _short(str(exc), 120))
                return {**summary, "verified": False, "error": "bad signature"}
            summary["verified"] = True
        try:
            payload = json.loads(text)
        except ValueError:
            log.warning("Rejected webhook %s: the body is not JSON", webhook_id)
            return {**summary, "error": "body is not JSON"}
        event = headers.get("x-jomres-event") or _event_name(payload)
        log.info("Received webhook %s event %s (signature %s): %s", webhook_id, _short(event, 64) or "?",
                 {True: "verified", None: "not checked"}[summary["verified"]], _short(text, 1000))
        try:
            task, property_uid, record_id = callback_target(payload)
        except LookupError as exc:
            log.info("No callback for webhook %s: %s", webhook_id, exc)
            return {**summary, "callback": None}
        except ValueError as exc:
            log.warning("Cannot call back for webhook %s: %s", webhook_id, exc)
            return {**summary, "error": str(exc)}
        summary.update(task=task, property_uid=property_uid, id=record_id)
        try:
            result = self.client.call_back(property_uid, task, record_id)
        except ApiError as exc:
            log.error("Callback for webhook %s failed: %s", webhook_id, exc)
            return {**summary, "error": str(exc)}
        level = logging.INFO if 200 <= result.status < 300 else logging.WARNING
        log.log(level, "Callback %s returned %s in %s ms%s: %s", result.url, result.status, result.elapsed_ms,
                " (after a new token)" if result.token_refreshed else "", result.excerpt or "(empty)")
        return {**summary, "callback": result.url, "callback_status": result.status}


def _event_name(payload: Any) -> str:
    """The event a body names (``event``, else Jomres' ``data.task``), for the log only."""
    if not isinstance(payload, dict):
        return ""
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    return str(payload.get("event") or data.get("task") or "")


def _short(value: str, limit: int = 100) -> str:
    return " ".join(str(value).split())[:limit]
