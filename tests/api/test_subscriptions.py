"""Webhook subscriptions through the API: create (secret once), read, update, delete, test, deliveries."""

from __future__ import annotations

import pytest

from .conftest import bearer

HOOK = "http://127.0.0.1:9/hook"  # the demo runs in development mode, where loopback is allowed


@pytest.fixture
def token(world, token_for):
    """A token of ``manager`` with every scope."""
    return token_for("manager")


def _create(client, token, **values):
    return client.post(
        "/jomres/api/webhook_subscriptions",
        headers=bearer(token),
        json={"url": HOOK, "events": ["booking_modified"], **values},
    )


def test_create_returns_the_secret_once(client, token):
    created = _create(client, token, description="PMS")
    assert created.status_code == 201, created.get_data(as_text=True)
    sub = created.json["data"]["webhook_subscription"]
    assert sub["secret"].startswith("whsec_")
    assert sub["events"] == ["booking_modified"] and sub["mode"] == "deferred"
    read = client.get(f"/jomres/api/webhook_subscriptions/{sub['id']}", headers=bearer(token))
    assert read.status_code == 200
    assert "secret" not in read.json["data"]["webhook_subscription"]
    assert sub["secret"] not in read.get_data(as_text=True)
    listed = client.get("/jomres/api/webhook_subscriptions", headers=bearer(token)).json
    assert [s["id"] for s in listed["data"]["webhook_subscriptions"]] == [sub["id"]]


def test_basic_auth_password_is_never_returned(client, token):
    created = _create(
        client, token, auth_method="basic", auth_settings={"username": "pms", "password": "hunter2-secret"}
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert "hunter2-secret" not in created.get_data(as_text=True)
    sub_id = created.json["data"]["webhook_subscription"]["id"]
    assert "hunter2-secret" not in client.get(
        f"/jomres/api/webhook_subscriptions/{sub_id}", headers=bearer(token)
    ).get_data(as_text=True)


@pytest.mark.parametrize(
    "values, field",
    [
        ({"events": ["no_such_event"]}, "events"),
        ({"auth_method": "carrier_pigeon"}, "auth_method"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"mode": "sometimes"}, "mode"),
    ],
)
def test_invalid_subscriptions_are_422(client, token, values, field):
    response = _create(client, token, **values)
    assert response.status_code == 422
    assert field in response.json.get("errors", {}) or field in response.json["error_message"]


def test_update_and_delete(client, token):
    sub_id = _create(client, token).json["data"]["webhook_subscription"]["id"]
    changed = client.patch(
        f"/jomres/api/webhook_subscriptions/{sub_id}",
        headers=bearer(token),
        json={"enabled": False, "include_record": True},
    )
    assert changed.status_code == 200
    assert changed.json["data"]["webhook_subscription"]["enabled"] is False
    assert changed.json["data"]["webhook_subscription"]["include_record"] is True
    assert (
        client.delete(f"/jomres/api/webhook_subscriptions/{sub_id}", headers=bearer(token)).status_code == 200
    )
    assert client.get(f"/jomres/api/webhook_subscriptions/{sub_id}", headers=bearer(token)).status_code == 404


def test_another_managers_subscription_is_404(client, world, token, token_for):
    sub_id = _create(client, token).json["data"]["webhook_subscription"]["id"]
    theirs = token_for("manager2")
    assert (
        client.get(f"/jomres/api/webhook_subscriptions/{sub_id}", headers=bearer(theirs)).status_code == 404
    )
    assert (
        client.delete(f"/jomres/api/webhook_subscriptions/{sub_id}", headers=bearer(theirs)).status_code
        == 404
    )


def test_super_managers_cannot_manage_webhooks(client, world, token_for):
    token = token_for("super", ["webhooks_manage"])
    assert client.get("/jomres/api/webhook_subscriptions", headers=bearer(token)).status_code == 403
    assert _create(client, token).status_code == 403


def test_send_test_and_list_deliveries_then_redeliver(client, token):
    sub_id = _create(client, token).json["data"]["webhook_subscription"]["id"]
    sent = client.post(f"/jomres/api/webhook_subscriptions/{sub_id}/test", headers=bearer(token))
    assert sent.status_code == 202, sent.get_data(as_text=True)
    delivery = sent.json["data"]["delivery"]
    assert delivery["event"] == "webhook_test" and delivery["message_id"].startswith("msg_")
    listed = client.get(f"/jomres/api/webhook_subscriptions/{sub_id}/deliveries", headers=bearer(token)).json
    assert [d["id"] for d in listed["data"]["deliveries"]] == [delivery["id"]]
    again = client.post(f"/jomres/api/deliveries/{delivery['id']}/redeliver", headers=bearer(token))
    assert again.status_code == 202
    assert again.json["data"]["delivery"]["message_id"] == delivery["message_id"]


def test_webhook_events_lists_the_catalogue(client, token):
    body = client.get("/jomres/api/webhook_events", headers=bearer(token)).json["data"]["webhook_events"]
    names = [e["event"] for e in body["events"]]
    assert "booking_modified" in names and "webhook_test" in names
    assert {e["event"] for e in body["legacy_events"]} >= {"property_added", "booking_note_save"}
