"""Webhooks whose event names are ``jomres_legacy``: the older Jomres names in event, header and data.task."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from jomres_like import signals
from jomres_like.extensions import db
from jomres_like.models import Property, Webhook, WebhookDelivery, WebhookEvent
from jomres_like.services import ValidationError
from jomres_like.webhooks import service
from jomres_like.webhooks.attempt import request_parts
from jomres_like.webhooks.payloads import build_payload


@pytest.fixture
def app_config(app_config, pipeline_settings):
    """Production rules, loopback receivers allowed."""
    app_config.update(pipeline_settings)
    return app_config


def _payload(event: str, event_names: str, **data) -> dict:
    row = WebhookEvent(event=event, data={"property_uid": 1, **data}, event_metadata={})
    return build_payload(row, Webhook(id=3, owner_id=2, event_names=event_names), "msg_x")


def test_the_legacy_map_names_catalogue_events_and_the_callbacks_legacy_names():
    assert set(signals.LEGACY_NAMES) <= set(signals.CATALOGUE)
    assert set(signals.LEGACY_NAMES.values()) == set(signals.LEGACY_EVENTS)
    assert signals.current_names("invoice_saved") == ("invoice_created", "invoice_updated")
    assert signals.current_name("property_saved") == "property_updated"
    assert signals.current_name("booking_added") == "booking_added"
    assert signals.current_name("no_such_event") is None


@pytest.mark.parametrize(("event", "legacy"), sorted(signals.LEGACY_NAMES.items()))
def test_a_legacy_webhook_gets_the_older_name_in_event_and_task(ctx, event, legacy):
    payload = _payload(event, "jomres_legacy", **{key: 5 for key in signals.CATALOGUE[event].keys[1:]})
    assert payload["event"] == legacy
    assert payload["data"]["task"] == legacy
    current = _payload(event, "current", **{key: 5 for key in signals.CATALOGUE[event].keys[1:]})
    assert current["event"] == current["data"]["task"] == event


def test_a_legacy_note_event_carries_note_uid_beside_note_id(ctx):
    data = _payload("booking_note_saved", "jomres_legacy", contract_uid=4, note_id=9)["data"]
    assert data["note_id"] == data["note_uid"] == 9
    assert data["task"] == "booking_note_save"
    assert "note_uid" not in _payload("booking_note_saved", "current", contract_uid=4, note_id=9)["data"]
    deleted = _payload("booking_note_deleted", "jomres_legacy", contract_uid=4, note_id=9)["data"]
    assert deleted["task"] == "booking_note_deleted" and deleted["note_uid"] == 9


def test_events_without_an_older_name_keep_theirs(ctx):
    payload = _payload("booking_modified", "jomres_legacy", contract_uid=4)
    assert payload["event"] == payload["data"]["task"] == "booking_modified"


def test_the_header_names_the_event_as_the_payload_does(ctx, make_webhook):
    webhook = db.session.get(Webhook, make_webhook(event_names="jomres_legacy").id)
    row = WebhookEvent(event="property_updated", data={"property_uid": 1}, event_metadata={})
    delivery = WebhookDelivery(message_id="msg_h", event="property_updated",
                               payload=build_payload(row, webhook, "msg_h"))
    body, headers = request_parts(delivery, webhook)
    assert headers["X-Jomres-Event"] == "property_saved"
    assert json.loads(body)["data"]["task"] == "property_saved"


def test_a_legacy_webhook_delivers_property_saved_for_a_property_update(app, httpserver, make_user,
                                                                        make_property, make_webhook):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    manager = make_user("mgr")
    prop = make_property("Legacy Hotel", managers=[manager])
    make_webhook(manager, url=httpserver.url_for("/hook"), mode="immediate", event_names="jomres_legacy")
    from jomres_like.services.properties import update_property

    with app.app_context():  # immediate webhooks are delivered when the context ends
        update_property(db.session.get(Property, prop.id), {"name": "Legacy Hotel & Spa"})
        db.session.commit()
    (request, _response), = httpserver.log
    body = json.loads(request.get_data())
    assert request.headers["X-Jomres-Event"] == "property_saved"
    assert body["event"] == body["data"]["task"] == "property_saved"
    assert body["data"]["property_uid"] == prop.id


def test_event_names_are_validated_and_stored(ctx, make_user):
    manager = make_user("mgr")
    webhook, _secret = service.create_webhook(manager, {"url": "https://example.com/h",
                                                        "event_names": "jomres_legacy"})
    assert service.webhook_to_json(webhook)["event_names"] == "jomres_legacy"
    with pytest.raises(ValidationError) as raised:
        service.update_webhook(webhook, {"event_names": "klingon"})
    assert raised.value.errors == {"event_names": "Event names must be current or jomres_legacy."}
    assert service.update_webhook(webhook, {"event_names": "current"}) == {
        "event_names": ["jomres_legacy", "current"]}
    default, _secret = service.create_webhook(manager, {"url": "https://example.com/d"})
    assert default.event_names == "current"


def test_legacy_names_are_accepted_in_a_webhook_event_list(ctx, make_user):
    manager = make_user("mgr")
    webhook, _secret = service.create_webhook(manager, {
        "url": "https://example.com/h", "events": ["invoice_saved", "booking_note_save", "booking_added"]})
    assert webhook.events == ["booking_added", "booking_note_saved", "invoice_created", "invoice_updated"]
    with pytest.raises(ValidationError):
        service.update_webhook(webhook, {"events": ["invoice_sav"]})


def test_the_api_takes_and_shows_event_names(client, app, make_user, login):
    from jomres_like.models import User
    from jomres_like.oauth.keys import create_key

    make_user("mgr")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "mgr"))
        key, secret = create_key(user, "k", ["webhooks_manage"])
        db.session.commit()
        client_id = key.client_id
    token = client.post("/jomres/api/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}).json
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    created = client.post("/jomres/api/webhook_subscriptions", headers=headers, json={
        "url": "https://example.com/h", "event_names": "jomres_legacy", "events": ["property_saved"]})
    assert created.status_code == 201, created.get_data(as_text=True)
    answer = created.json["data"]["webhook_subscription"]
    assert answer["event_names"] == "jomres_legacy" and answer["events"] == ["property_updated"]
    bad = client.patch(f"/jomres/api/webhook_subscriptions/{answer['id']}", headers=headers,
                       json={"event_names": "old"})
    assert bad.status_code == 422 and bad.json["meta"]["error_message"]


def test_the_webhook_form_offers_the_choice(client, app, make_user, login):
    make_user("mgr")
    login("mgr")
    page = client.get("/manager/webhooks/new").get_data(as_text=True)
    assert 'name="event_names"' in page and 'value="jomres_legacy"' in page


def test_fire_accepts_a_legacy_name(app, runner, make_user, make_property):
    prop = make_property("Fire Hotel")
    result = runner.invoke(args=["webhooks", "fire", "property_saved", "--property", str(prop.id)])
    assert result.exit_code == 0, result.output
    assert "Raised property_updated" in result.output
    with app.app_context():
        assert db.session.scalar(select(WebhookEvent.event).order_by(WebhookEvent.id.desc())) == \
            "property_updated"


def test_the_event_catalogue_page_shows_each_event_json_schema(client, make_user, login):
    make_user("mgr")
    login("mgr")
    page = client.get("/manager/webhooks/events").get_data(as_text=True)
    assert page.count("<summary>JSON Schema</summary>") == len(signals.CATALOGUE)
    assert "https://json-schema.org/draft/2020-12/schema" in page
