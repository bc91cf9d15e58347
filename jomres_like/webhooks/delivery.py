"""Delivering one stored webhook delivery: sign its payload and send it with the webhook's auth method.

The body is built once, when the delivery is created (:func:`.payloads.build_payload`), and kept in
``delivery.payload``; each attempt serialises it compactly, signs those exact bytes with a fresh timestamp
and the same ``webhook-id``, and sends them. :func:`deliver` never raises: every problem is a failed
:class:`AttemptResult` with a reason. Recording the attempt and retrying is the pipeline's job.
"""

from __future__ import annotations

from ..crypto import DecryptionError, decrypt_json
from ..extensions import db
from ..logs import get_logger
from ..models import Webhook, WebhookDelivery, WebhookEvent
from ..timeutil import utcnow
from .authmethods import UnknownAuthMethod, get_method
from .http import USER_AGENT, AttemptResult
from .payloads import build_payload, encode
from .signing import sign_headers

__all__ = ["AttemptResult", "deliver", "request_parts"]

log = get_logger("Webhooks")


def request_parts(delivery: WebhookDelivery, webhook: Webhook) -> tuple[bytes, dict]:
    """The exact body and the headers (signed now) of one attempt of ``delivery``."""
    payload = delivery.payload
    if not payload:
        event = db.session.get(WebhookEvent, delivery.event_id) if delivery.event_id else None
        if event is None:
            raise LookupError("the delivery has no payload and its event is gone")
        payload = build_payload(event, webhook, delivery.message_id)
    body = encode(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Jomres-Event": payload.get("event") or delivery.event,  # the name the webhook gets (legacy)
    }
    headers.update(sign_headers(webhook, delivery.message_id, body, utcnow()))
    return body, headers


def deliver(delivery: WebhookDelivery, webhook: Webhook) -> AttemptResult:
    """Sign and send ``delivery`` to ``webhook`` now; return what happened (never raises)."""
    try:
        method = get_method(webhook.auth_method)
    except UnknownAuthMethod:
        log.warning("Failed to find auth method %r of webhook %s", webhook.auth_method, webhook.id)
        return AttemptResult.failure(f"Unknown auth method {webhook.auth_method!r}")
    try:
        settings = decrypt_json(webhook.auth_settings_encrypted, {}, remember=True) or {}
        body, headers = request_parts(delivery, webhook)
    except DecryptionError:
        log.error("Webhook %s: stored secrets cannot be decrypted (was SECRET_KEY changed?)", webhook.id)
        return AttemptResult.failure("Stored secrets cannot be decrypted; save the webhook's settings again")
    except (LookupError, ValueError, TypeError) as exc:
        log.error("Webhook %s: cannot prepare delivery %s: %s", webhook.id, delivery.id, exc)
        return AttemptResult.failure(f"Cannot prepare the request: {exc}")
    try:
        return method.send(webhook, body, headers, settings)
    except Exception as exc:  # noqa: BLE001 - one broken method must not break the pipeline
        log.exception("Auth method %s failed for webhook %s", method.name, webhook.id)
        return AttemptResult.failure(f"Internal error in auth method {method.name} ({type(exc).__name__})")
