"""Standard Webhooks signing: secrets, signatures that verify, rotation with a 24-hour overlap."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from jomres_like import crypto
from jomres_like.models import Webhook
from jomres_like.timeutil import utcnow
from jomres_like.webhooks import signing

BODY = b'{"id":"msg_01JD2X7Q4W5E6R7T8Y9U0I1O2P","event":"booking_added"}'
MESSAGE_ID = "msg_01JD2X7Q4W5E6R7T8Y9U0I1O2P"


@pytest.fixture
def webhook(ctx):
    """A webhook (not saved) with a fresh signing secret; the plaintext is ``webhook.plain_secret``."""
    hook = Webhook(url="https://hooks.example.com/in", owner_id=None)
    hook.plain_secret = signing.set_secret(hook)
    return hook


def test_generated_secrets_have_the_standard_form_and_differ():
    first, second = signing.generate_secret(), signing.generate_secret()
    assert first != second
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]+={0,2}", first)
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_the_secret_is_stored_encrypted(webhook):
    assert webhook.plain_secret not in webhook.secret_encrypted
    assert crypto.decrypt(webhook.secret_encrypted) == webhook.plain_secret


def test_signed_headers_verify_with_the_standardwebhooks_package(webhook):
    headers = signing.sign_headers(webhook, MESSAGE_ID, BODY, utcnow())
    assert headers["webhook-id"] == MESSAGE_ID
    assert re.fullmatch(r"\d{10}", headers["webhook-timestamp"])
    assert re.fullmatch(r"v1,[A-Za-z0-9+/]+={0,2}", headers["webhook-signature"])
    verified = Verifier(webhook.plain_secret).verify(BODY, headers)
    assert verified == {"id": MESSAGE_ID, "event": "booking_added"}


def test_a_changed_body_id_or_timestamp_does_not_verify(webhook):
    headers = signing.sign_headers(webhook, MESSAGE_ID, BODY, utcnow())
    verifier = Verifier(webhook.plain_secret)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(BODY.replace(b"added", b"cancel"), headers)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(BODY, {**headers, "webhook-id": "msg_other"})
    with pytest.raises(WebhookVerificationError):
        verifier.verify(BODY, {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 1)})
    with pytest.raises(WebhookVerificationError):
        Verifier(signing.generate_secret()).verify(BODY, headers)


def test_timestamps_are_accepted_as_naive_utc_aware_or_seconds(webhook):
    now = utcnow().replace(microsecond=0)
    aware = now.replace(tzinfo=UTC)
    expected = str(int(aware.timestamp()))
    for stamp in (now, aware, aware.astimezone(datetime.now().astimezone().tzinfo), aware.timestamp()):
        assert signing.sign_headers(webhook, MESSAGE_ID, BODY, stamp)["webhook-timestamp"] == expected


def test_during_a_rotation_both_secrets_sign_and_both_verify(webhook):
    old_secret = webhook.plain_secret
    new_secret = signing.rotate(webhook)
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    assert new_secret not in webhook.secret_encrypted
    assert webhook.previous_secret_expires_at - utcnow() > timedelta(hours=23, minutes=59)
    headers = signing.sign_headers(webhook, MESSAGE_ID, BODY, utcnow())
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(sig.startswith("v1,") for sig in signatures)
    for secret in (old_secret, new_secret):
        assert Verifier(secret).verify(BODY, headers)
    assert signing.signing_secrets(webhook) == [new_secret, old_secret]


def test_after_24_hours_only_the_new_secret_signs(webhook):
    old_secret = webhook.plain_secret
    new_secret = signing.rotate(webhook, now=utcnow() - timedelta(hours=24, seconds=1))
    headers = signing.sign_headers(webhook, MESSAGE_ID, BODY, utcnow())
    assert " " not in headers["webhook-signature"]
    assert Verifier(new_secret).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Verifier(old_secret).verify(BODY, headers)
    later = utcnow() + timedelta(hours=25)
    assert signing.signing_secrets(webhook, now=later) == [new_secret]


def test_set_secret_replaces_without_overlap(webhook):
    signing.rotate(webhook)
    replaced = signing.set_secret(webhook)
    assert signing.signing_secrets(webhook) == [replaced]


def test_signing_secrets_are_remembered_by_token_and_key_only(webhook, app, monkeypatch):
    """Each delivery reads its webhook's secret: decrypted once a process, never across keys or values."""
    crypto._remembered.clear()
    assert signing.signing_secrets(webhook) == [webhook.plain_secret]
    assert list(crypto._remembered.values()) == [webhook.plain_secret]
    calls = []
    real = crypto.Fernet.decrypt

    def counted(self, token):
        calls.append(token)
        return real(self, token)

    monkeypatch.setattr(crypto.Fernet, "decrypt", counted)
    assert signing.signing_secrets(webhook) == [webhook.plain_secret]
    assert calls == []  # remembered
    new_secret = signing.set_secret(webhook)  # a new value is a new token
    assert signing.signing_secrets(webhook) == [new_secret] and len(calls) == 1
    monkeypatch.setitem(app.config, "SECRET_KEY", "another key")  # a new key finds nothing remembered
    with pytest.raises(crypto.DecryptionError):
        signing.signing_secrets(webhook)


def test_secrets_shown_once_are_not_remembered(ctx):
    crypto._remembered.clear()
    token = crypto.encrypt("whsec_shown_once")
    assert crypto.decrypt(token) == "whsec_shown_once"
    assert crypto._remembered == {}
