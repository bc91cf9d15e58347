"""Helpers for the responder tests: credentials, signed bodies, our webhook envelope."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from standardwebhooks import Webhook

CLIENT_ID = "client-abc"
CLIENT_SECRET = "client-secret-value-123"
ACCESS_TOKEN = "tok-SENSITIVE-0001"
SIGNING_SECRET = "whsec_" + base64.b64encode(b"a signing secret of 32 bytes!!!!").decode()
API_PATH = "/jomres/api"


def signed(payload: dict, secret: str = SIGNING_SECRET, msg_id: str = "msg_test0001") -> tuple[str, dict]:
    """A body and Standard Webhooks headers signed with ``secret``."""
    body = json.dumps(payload)
    now = datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id, now, body)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "X-Jomres-Event": payload.get("event", ""),
    }
    return body, headers


def envelope(event: str = "booking_modified", **data) -> dict:
    """Our webhook body (SPEC section 8) for ``event`` with ``data``."""
    data = {"property_uid": 1, "contract_uid": 41, "manager_id": 3, "task": event, **data}
    return {"id": "msg_test0001", "event": event, "subscription_id": 7,
            "created_at": "2026-11-22T04:45:38.123Z", "context": "property", "context_id": 1,
            "data": data, "event_metadata": {}}
