"""Delivering a stored delivery: the exact signed bytes, the same webhook-id on every attempt, failures."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from werkzeug import Response

from jomres_like import crypto
from jomres_like.extensions import db
from jomres_like.models import Webhook, WebhookDelivery, WebhookEvent
from jomres_like.webhooks import authmethods, payloads, signing
from jomres_like.webhooks.attempt import AttemptResult, deliver, request_parts, send


@pytest.fixture
def app_config(app_config):
    """Production rules with 127.0.0.1 opened for the local receiver."""
    app_config.update(JOMRES_DEVELOPMENT=False, JOMRES_WEBHOOK_ALLOWED_NETWORKS=("127.0.0.1/32",),
                      JOMRES_WEBHOOK_CONNECT_TIMEOUT=1.0, JOMRES_WEBHOOK_TIMEOUT=3.0)
    return app_config


def make_delivery(webhook: Webhook, event: str = "booking_added", data: dict | None = None,
                  store_payload: bool = True) -> WebhookDelivery:
    """An event row and its delivery to ``webhook`` (payload built the way the pipeline builds it)."""
    row = WebhookEvent(event=event, data=data or {"property_uid": 1, "contract_uid": 41},
                       event_metadata={}, dispatched=True)
    db.session.add(row)
    db.session.flush()
    message_id = payloads.new_message_id()
    payload = payloads.build_payload(row, webhook, message_id) if store_payload else {}
    delivery = WebhookDelivery(message_id=message_id, webhook_id=webhook.id, event_id=row.id, event=event,
                               payload=payload)
    db.session.add(delivery)
    db.session.commit()
    return delivery


@pytest.fixture
def hook(ctx, make_webhook, httpserver):
    """A site-wide ``none`` webhook pointing at the local receiver, loaded in the test's session."""
    made = make_webhook(url=httpserver.url_for("/hook"))
    webhook = db.session.get(Webhook, made.id)
    webhook.plain_secret = made.plain_secret
    return webhook


def test_the_stored_payload_is_sent_as_the_exact_signed_bytes(hook, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    delivery = make_delivery(hook)

    result = deliver(delivery, hook)

    expected = AttemptResult(ok=True, status_code=200, duration_ms=result.duration_ms, response_excerpt="ok")
    assert result == expected
    request = httpserver.log[0][0]
    body = request.get_data()
    assert body == payloads.encode(delivery.payload)
    assert json.loads(body) == delivery.payload
    assert Verifier(hook.plain_secret).verify(body, dict(request.headers)) == delivery.payload
    assert request.headers["webhook-id"] == delivery.message_id == delivery.payload["id"]
    assert request.headers["X-Jomres-Event"] == "booking_added"


def test_every_attempt_carries_the_same_webhook_id(hook, httpserver):
    httpserver.expect_request("/hook").respond_with_data("busy", status=503)
    delivery = make_delivery(hook)
    first, second = deliver(delivery, hook), deliver(delivery, hook)
    assert (first.ok, second.ok) == (False, False)
    ids = [entry[0].headers["webhook-id"] for entry in httpserver.log]
    assert ids == [delivery.message_id, delivery.message_id]
    for request, _response in httpserver.log:
        assert Verifier(hook.plain_secret).verify(request.get_data(), dict(request.headers))


def test_during_a_rotation_two_signatures_are_sent_and_both_verify(hook, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    old_secret = hook.plain_secret
    new_secret = signing.rotate(hook)
    db.session.commit()
    assert deliver(make_delivery(hook), hook).ok
    request = httpserver.log[0][0]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (old_secret, new_secret):
        assert Verifier(secret).verify(request.get_data(), dict(request.headers))


def test_a_delivery_without_a_stored_payload_is_built_from_its_event(hook, httpserver):
    httpserver.expect_request("/hook").respond_with_data("ok")
    delivery = make_delivery(hook, "guest_saved", {"property_uid": 2, "guest_uid": 17}, store_payload=False)
    assert deliver(delivery, hook).ok
    sent = json.loads(httpserver.log[0][0].get_data())
    assert sent["id"] == delivery.message_id
    assert sent["data"] == {"property_uid": 2, "guest_uid": 17, "manager_id": None, "task": "guest_saved"}


def test_a_delivery_whose_payload_and_event_are_gone_fails_cleanly(hook, httpserver):
    delivery = make_delivery(hook, store_payload=False)
    delivery.event_id = None
    result = deliver(delivery, hook)
    assert result.ok is False
    assert "event is gone" in result.error
    assert httpserver.log == []


def test_an_unknown_auth_method_fails_without_sending(hook, httpserver):
    hook.auth_method = "carrier_pigeon"
    result = deliver(make_delivery(hook), hook)
    assert (result.ok, result.error) == (False, "Unknown auth method 'carrier_pigeon'")
    assert httpserver.log == []


def test_undecryptable_secrets_fail_without_sending(hook, httpserver):
    hook.auth_settings_encrypted = crypto.encrypt_json({"x": 1}).replace("A", "B", 3)
    result = deliver(make_delivery(hook), hook)
    assert result.ok is False
    assert "cannot be decrypted" in result.error
    assert httpserver.log == []


def test_the_processor_signs_and_sends_the_delivery(hook, httpserver):
    httpserver.expect_request("/hook").respond_with_data("done", status=201)
    result = send(authmethods.get_method("none"), make_delivery(hook), hook)  # the processor's send stage
    assert (result.ok, result.status_code, result.response_excerpt) == (True, 201, "done")


@pytest.mark.parametrize(("status", "gone"), [(400, False), (404, False), (410, True), (500, False)])
def test_failures_are_reported_with_their_status(hook, httpserver, status, gone):
    httpserver.expect_request("/hook").respond_with_response(Response("nope", status=status))
    result = deliver(make_delivery(hook), hook)
    assert (result.ok, result.status_code, result.gone) == (False, status, gone)


def test_the_excerpt_never_contains_the_signing_secret(hook, httpserver):
    httpserver.expect_request("/hook").respond_with_data(f"leaked {hook.plain_secret} here", status=400)
    result = deliver(make_delivery(hook), hook)
    assert hook.plain_secret not in result.response_excerpt
    assert hook.plain_secret.removeprefix("whsec_") not in result.response_excerpt


def test_any_answer_can_be_recorded_as_an_attempt(hook, httpserver):
    """NUL bytes, emoji, odd charsets: the excerpt is stored on every database."""
    from jomres_like.models import DeliveryAttempt

    odd = "nul\x00 bell\x07 emoji 🎉 é\r\nline".encode() + b"\xff\xfe"
    httpserver.expect_request("/hook").respond_with_response(
        Response(odd, 500, content_type="text/plain; charset=no-such-charset"))
    delivery = make_delivery(hook)
    result = deliver(delivery, hook)
    assert result.response_excerpt.startswith("nul  bell  emoji 🎉 é")
    db.session.add(DeliveryAttempt(delivery_id=delivery.id, number=1, status_code=result.status_code,
                                   response_excerpt=result.response_excerpt, error=result.error))
    db.session.commit()
    stored = db.session.scalars(db.select(DeliveryAttempt)).one()
    assert stored.response_excerpt == result.response_excerpt


def test_request_parts_are_the_documented_headers(hook):
    body, headers = request_parts(make_delivery(hook), hook)
    assert set(headers) == {"Content-Type", "User-Agent", "X-Jomres-Event", "webhook-id", "webhook-timestamp",
                            "webhook-signature"}
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["event"] == "booking_added"


def test_a_broken_auth_method_is_a_failed_attempt_not_a_crash(hook, httpserver):
    class Broken(authmethods.AuthMethod):
        name = "broken_for_test"
        label = "Broken"

        @classmethod
        def send(cls, webhook, body, headers, settings):
            raise RuntimeError("boom")

    authmethods.register(Broken)
    try:
        hook.auth_method = "broken_for_test"
        result = deliver(make_delivery(hook), hook)
    finally:
        authmethods._registry.pop("broken_for_test", None)
    assert result.ok is False
    assert result.error == "Internal error in auth method broken_for_test (RuntimeError)"
