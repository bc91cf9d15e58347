"""The event catalogue as receivers see it: a sample payload per event and how to verify a signature."""

from __future__ import annotations

from datetime import datetime

from ..models import Webhook, WebhookEvent
from ..services import NotFound
from ..signals import CATALOGUE
from .payloads import build_payload

SAMPLE_MESSAGE_ID = "msg_01JD2X7Q4W5E6R7T8Y9U0I1O2P"
SAMPLE_CREATED_AT = datetime(2026, 11, 22, 4, 45, 38, 123000)
SAMPLE_IDS = {
    "property_uid": 1,
    "contract_uid": 41,
    "note_id": 12,
    "depositref": "DEP-2026-0041",
    "guest_uid": 17,
    "invoice_uid": 23,
    "room_uid": 5,
    "webhook_id": 7,
}

SAMPLE_METADATA = {
    "booking_modified": {"changes": {"departure": ["2026-12-02", "2026-12-03"]}},
    "guest_updated": {"changes": {"email": ["ann@example.com", "ann.guest@example.com"]}},
    "invoice_updated": {"changes": {"status": ["pending", "paid"]}},
    "room_updated": {"changes": {"max_people": [2, 3]}},
    "property_updated": {"changes": {"name": ["Fawlty Towers", "Fawlty Towers Hotel"]}},
    "property_settings_updated": {"changes": {"currency": ["EUR", "GBP"]}},
    "tariffs_updated": {"date_ranges": [["2026-12-01", "2027-01-01"]], "pricing_types": ["per_night"]},
}


def sample_payload(event_name: str) -> dict:
    """The body a receiver gets for ``event_name`` (sample ids, no record); NotFound for unknown events."""
    event_type = CATALOGUE.get(event_name)
    if event_type is None:
        raise NotFound(f"Unknown event {event_name!r}.")
    event = WebhookEvent(
        event=event_name,
        data={key: SAMPLE_IDS.get(key, 1) for key in event_type.keys},
        event_metadata=SAMPLE_METADATA.get(event_name, {}),
        created_at=SAMPLE_CREATED_AT,
    )
    webhook = Webhook(id=7, owner_id=3, include_record=False)
    return build_payload(event, webhook, SAMPLE_MESSAGE_ID)


SAMPLE_HEADERS = """\
POST /your/endpoint HTTP/1.1
Content-Type: application/json
User-Agent: jomres_like/<version> (webhooks)
X-Jomres-Event: booking_modified
webhook-id: msg_01JD2X7Q4W5E6R7T8Y9U0I1O2P
webhook-timestamp: 1795236338
webhook-signature: v1,<base64 signature> [v1,<second signature during a secret rotation>]"""

PYTHON_EXAMPLE = """\
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

verifier = Webhook("whsec_...")  # the signing secret shown when the webhook was saved

def receive(request):
    try:
        payload = verifier.verify(request.get_data(), dict(request.headers))
    except WebhookVerificationError:
        return "invalid signature", 400
    # payload["event"], payload["data"]["property_uid"], ...
    return "", 204"""

MANUAL_STEPS = (
    "Take the raw request body exactly as received (before any JSON parsing).",
    "Build the signed content: webhook-id + '.' + webhook-timestamp + '.' + body.",
    "Base64-decode the part of the secret after 'whsec_'; that is the HMAC key.",
    "Compute HMAC-SHA256 of the signed content with that key and base64-encode it.",
    "The webhook-signature header holds one or more space-separated 'v1,<signature>' values; accept the "
    "message when one of them equals yours (compare in constant time).",
    "Refuse timestamps more than 5 minutes from your clock, and use webhook-id to ignore duplicates: "
    "retries and redeliveries of the same event carry the same id.",
    "Answer any 2xx quickly; anything else (including redirects) is retried later. 410 Gone disables the "
    "webhook.",
)


def verification_instructions() -> str:
    """Plain-text instructions for verifying a webhook signature (Standard Webhooks)."""
    steps = "\n".join(f"{number}. {step}" for number, step in enumerate(MANUAL_STEPS, start=1))
    return (
        "Every request is signed following the Standard Webhooks specification (standardwebhooks.com).\n\n"
        f"{SAMPLE_HEADERS}\n\n"
        "With a Standard Webhooks library (Python shown; libraries exist for most languages):\n\n"
        f"{PYTHON_EXAMPLE}\n\n"
        f"By hand:\n{steps}\n\n"
        "When you rotate the secret, the old one keeps signing for 24 hours alongside the new one, so you "
        "can switch your receiver without losing messages."
    )
