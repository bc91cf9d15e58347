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


BASIC = {"auth_method": "basic", "auth_settings": {"username": "pms", "password": "hunter2-secret"}}
OAUTH = {"auth_method": "oauth", "auth_settings": {
    "token_url": "http://127.0.0.1:9/oauth/token", "client_id": "pms-client", "client_secret": "oauth-s3cret",
    "scope": "hooks"}}


def _stored_settings(app, sub_id: int) -> dict:
    """The subscription's decrypted auth settings, as the delivery would use them."""
    from jomres_like.extensions import db
    from jomres_like.models import Webhook
    from jomres_like.webhooks import service

    with app.app_context():
        return service.stored_auth_settings(db.session.get(Webhook, sub_id))


def _patch(client, token, sub_id: int, body):
    return client.patch(f"/jomres/api/webhook_subscriptions/{sub_id}", headers=bearer(token), json=body)


@pytest.mark.parametrize("auth", [BASIC, OAUTH], ids=["basic", "oauth"])
@pytest.mark.parametrize("body", [{"enabled": False}, {"description": "x"}], ids=["enabled", "description"])
def test_patch_changes_only_what_it_names(app, client, token, auth, body):
    created = _create(client, token, **auth).json["data"]["webhook_subscription"]
    before = {key: value for key, value in created.items() if key != "secret"}
    changed = _patch(client, token, created["id"], body)
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.json["data"]["webhook_subscription"] == {**before, **body}
    assert _stored_settings(app, created["id"]) == auth["auth_settings"]


def test_patch_of_one_auth_setting_keeps_the_token_url_and_the_secret(app, client, token):
    sub_id = _create(client, token, **OAUTH).json["data"]["webhook_subscription"]["id"]
    changed = _patch(client, token, sub_id, {"auth_settings": {"client_id": "cid"}})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.json["data"]["webhook_subscription"]["auth_settings"] == {
        "token_url": OAUTH["auth_settings"]["token_url"], "client_id": "cid", "client_secret": "********",
        "scope": "hooks"}
    assert _stored_settings(app, sub_id) == {**OAUTH["auth_settings"], "client_id": "cid"}


def test_patch_sending_back_what_get_shows_keeps_the_secret(app, client, token):
    sub_id = _create(client, token, **OAUTH).json["data"]["webhook_subscription"]["id"]
    shown = client.get(f"/jomres/api/webhook_subscriptions/{sub_id}", headers=bearer(token)).json
    body = {key: value for key, value in shown["data"]["webhook_subscription"].items()
            if key in ("url", "auth_method", "auth_settings", "events", "description")}
    assert _patch(client, token, sub_id, body).status_code == 200
    assert _stored_settings(app, sub_id) == OAUTH["auth_settings"]


def test_patch_with_null_clears_an_optional_auth_setting(app, client, token):
    sub_id = _create(client, token, **OAUTH).json["data"]["webhook_subscription"]["id"]
    changed = _patch(client, token, sub_id, {"auth_settings": {"scope": None, "token_url": None}})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert _stored_settings(app, sub_id) == {"client_id": "pms-client", "client_secret": "oauth-s3cret"}


@pytest.mark.parametrize("body, field", [
    ({"auth_method": "oauth"}, "auth_settings.client_id"),
    ({"auth_method": "oauth", "auth_settings": {"client_id": "c"}}, "auth_settings.client_secret"),
    ({"colour": "blue"}, "colour"),
    ({"enabled": "no"}, "enabled"),
    ({"description": 5}, "description"),
    ({"auth_settings": {"username": 5}}, "auth_settings"),
    ({"auth_settings": {"username": "a:b"}}, "auth_settings.username"),
    ({"auth_settings": {"colour": "blue"}}, "auth_settings"),
    ({"auth_settings": "pms"}, "auth_settings"),
])
def test_bad_patches_are_422_naming_the_field_and_change_nothing(app, client, token, body, field):
    created = _create(client, token, **BASIC).json["data"]["webhook_subscription"]
    response = _patch(client, token, created["id"], body)
    assert response.status_code == 422, response.get_data(as_text=True)
    errors = response.json.get("errors", {})
    assert field in response.json["error_message"] or field in errors, response.json
    assert any(key.startswith(field) for key in errors), response.json
    read = client.get(f"/jomres/api/webhook_subscriptions/{created['id']}", headers=bearer(token)).json
    assert read["data"]["webhook_subscription"]["auth_method"] == "basic"
    assert _stored_settings(app, created["id"]) == BASIC["auth_settings"]


def test_openapi_says_how_a_patch_treats_auth_settings(client):
    spec = client.get("/jomres/api/openapi.json").json
    properties = spec["components"]["schemas"]["SubscriptionPatch"]["properties"]
    described = properties["auth_settings"]["description"]
    assert "an omitted key keeps its stored value" in described
    assert "null clears an optional setting" in described
    patch = spec["paths"]["/jomres/api/webhook_subscriptions/{webhook_id}"]["patch"]
    assert "the body names, no other" in patch["summary"]
