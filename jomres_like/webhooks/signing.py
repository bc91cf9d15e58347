"""Standard Webhooks signing: one ``whsec_`` secret per webhook, rotation with a 24-hour overlap.

Signatures come from the ``standardwebhooks`` package: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``.
During a rotation the previous secret keeps signing for :data:`ROTATION_OVERLAP`, so the header carries two
space-separated signatures and receivers that still hold the old secret keep verifying.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

from standardwebhooks.webhooks import Webhook as StandardWebhook

from .. import crypto
from ..models import Webhook
from ..timeutil import utcnow

ROTATION_OVERLAP = timedelta(hours=24)
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def generate_secret() -> str:
    """A new signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def set_secret(webhook: Webhook, secret: str | None = None) -> str:
    """Store a (new) signing secret on ``webhook`` without any overlap; return the plaintext."""
    secret = secret or generate_secret()
    webhook.secret_encrypted = crypto.encrypt(secret)
    webhook.previous_secret_encrypted = None
    webhook.previous_secret_expires_at = None
    return secret


def signing_secrets(webhook: Webhook, now: datetime | None = None) -> list[str]:
    """The secrets that sign now: the current one, plus the previous one during the 24-hour overlap."""
    now = now or utcnow()
    found = [crypto.decrypt(webhook.secret_encrypted, remember=True)]
    expires = webhook.previous_secret_expires_at
    if webhook.previous_secret_encrypted and expires is not None and expires > now:
        found.append(crypto.decrypt(webhook.previous_secret_encrypted, remember=True))
    return found


def rotate(webhook: Webhook, now: datetime | None = None) -> str:
    """Replace the signing secret; the old one keeps signing for 24 hours. Returns the new plaintext."""
    new_secret = generate_secret()
    webhook.previous_secret_encrypted = webhook.secret_encrypted
    webhook.previous_secret_expires_at = (now or utcnow()) + ROTATION_OVERLAP
    webhook.secret_encrypted = crypto.encrypt(new_secret)
    return new_secret


def _as_datetime(timestamp: datetime | int | float) -> datetime:
    if isinstance(timestamp, datetime):
        return timestamp.replace(tzinfo=UTC) if timestamp.tzinfo is None else timestamp.astimezone(UTC)
    return datetime.fromtimestamp(float(timestamp), UTC)


def sign_headers(webhook: Webhook, message_id: str, body: bytes, timestamp: datetime | int | float) -> dict:
    """The ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers for ``body``."""
    when = _as_datetime(timestamp)
    text = body.decode("utf-8")
    signatures = [StandardWebhook(secret).sign(message_id, when, text) for secret in signing_secrets(webhook)]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
