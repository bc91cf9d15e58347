"""The body a remote service receives (SPEC section 8), built once per delivery.

``data`` is exactly what Jomres' ``none`` method sends (the event's ids, ``task`` and ``manager_id``), so
receivers written for Jomres keep working; the envelope around it follows Standard Webhooks habits.
"""

from __future__ import annotations

import json
import secrets
import time

from ..logs import get_logger
from ..models import Webhook, WebhookEvent
from ..signals import CATALOGUE, LEGACY_DATA_KEYS, legacy_name
from ..timeutil import iso_utc

log = get_logger("Webhooks")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_message_id() -> str:
    """A new ``webhook-id``: ``msg_`` and a 26-character ULID (time-ordered, 80 random bits)."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "msg_" + "".join(reversed(chars))


def sent_name(event: WebhookEvent, webhook: Webhook) -> str:
    """The event's name as ``webhook`` gets it: the older Jomres name when its event names are legacy."""
    if getattr(webhook, "event_names", None) == "jomres_legacy":
        return legacy_name(event.event)
    return event.event


def event_data(event: WebhookEvent, webhook: Webhook) -> dict:
    """Jomres' ``data``: the event's ids, then ``manager_id`` (None for site-wide webhooks) and ``task``.

    A ``jomres_legacy`` webhook gets the older name in ``task`` and the older spellings of data keys beside
    the current ones (``note_uid`` beside ``note_id``, ``extra_uid`` beside ``extras_uid``).
    """
    data = dict(event.data or {})
    if getattr(webhook, "event_names", None) == "jomres_legacy":
        for key, older in LEGACY_DATA_KEYS.items():
            if key in data:
                data[older] = data[key]
    data["manager_id"] = webhook.owner_id
    data["task"] = sent_name(event, webhook)
    return data


def build_payload(event: WebhookEvent, webhook: Webhook, message_id: str) -> dict:
    """The JSON body of one delivery of ``event`` to ``webhook``."""
    data = event_data(event, webhook)
    event_type = CATALOGUE.get(event.event)
    is_global = (event_type is not None and event_type.context == "global") or "property_uid" not in data
    payload = {
        "id": message_id,
        "event": data["task"],
        "subscription_id": webhook.id,
        "created_at": iso_utc(event.created_at),
        "context": "global" if is_global else "property",
        "context_id": None if is_global else data.get("property_uid"),
        "data": data,
        "event_metadata": dict(event.event_metadata or {}),
    }
    if webhook.include_record:
        try:
            from ..callbacks import record_for_event  # optional module: payloads work without it
        except ImportError:
            log.warning("include_record is on but jomres_like.callbacks is not available")
        else:
            payload["record"] = _record(event, record_for_event)
    return payload


def _record(event: WebhookEvent, record_for_event) -> dict | None:
    """The full record of the event's subject, or None when it is gone."""
    try:
        return record_for_event(event.event, dict(event.data or {}))
    except Exception as exc:  # noqa: BLE001 - a missing record must not stop the notification
        log.warning("Could not build the record of %s %s: %s", event.event, event.id, type(exc).__name__)
        return None


def encode(payload: dict) -> bytes:
    """The exact bytes sent and signed: compact JSON, ASCII only."""
    return json.dumps(payload, separators=(",", ":"), default=str).encode("ascii")
