"""The body of SPEC section 8, built from real events raised by the services, and the catalogue samples."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import Webhook, WebhookEvent
from jomres_like.services import NotFound
from jomres_like.services.bookings import get_booking, modify_booking
from jomres_like.signals import CATALOGUE
from jomres_like.webhooks import catalogue, payloads

MESSAGE_ID = "msg_01JD2X7Q4W5E6R7T8Y9U0I1O2P"
ENVELOPE = ["id", "event", "subscription_id", "created_at", "context", "context_id", "data", "event_metadata"]


def last_event(name: str) -> WebhookEvent:
    """The newest committed event called ``name``."""
    return db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.event == name).order_by(WebhookEvent.id.desc())
    ).first()


@pytest.fixture
def hotel(ctx, make_user, make_property):
    """A property managed by ``manager``; returns (property, manager)."""
    manager = make_user("manager")
    return make_property("Fawlty Towers", managers=[manager]), manager


def test_a_booking_modified_payload_is_exactly_the_documented_body(hotel, make_booking):
    prop, manager = hotel
    booking = make_booking(prop)
    old_departure = booking.departure
    new_departure = old_departure + timedelta(days=1)
    modify_booking(get_booking(prop, booking.id), {"departure": new_departure})
    db.session.commit()
    event = last_event("booking_modified")
    webhook = Webhook(id=7, owner_id=manager.id, include_record=False)

    payload = payloads.build_payload(event, webhook, MESSAGE_ID)

    assert list(payload) == ENVELOPE
    assert payload == {
        "id": MESSAGE_ID,
        "event": "booking_modified",
        "subscription_id": 7,
        "created_at": payload["created_at"],
        "context": "property",
        "context_id": prop.id,
        "data": {"property_uid": prop.id, "contract_uid": booking.id, "manager_id": manager.id,
                 "task": "booking_modified"},
        "event_metadata": {"changes": {"departure": [old_departure.isoformat(), new_departure.isoformat()]}},
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", payload["created_at"])
    created = datetime.strptime(payload["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert abs(created - event.created_at) < timedelta(milliseconds=1)


def test_site_wide_webhooks_get_a_null_manager_id(hotel, make_booking):
    prop, _manager = hotel
    booking = make_booking(prop)
    payload = payloads.build_payload(last_event("booking_added"), Webhook(id=3, owner_id=None), MESSAGE_ID)
    assert payload["data"] == {"property_uid": prop.id, "contract_uid": booking.id, "manager_id": None,
                               "task": "booking_added"}
    assert payload["event_metadata"] == {}
    assert "record" not in payload


def test_tariffs_updated_carries_date_ranges_and_pricing_types(hotel, make_tariff):
    prop, manager = hotel
    tariff = make_tariff(prop)
    webhook = Webhook(id=1, owner_id=manager.id)
    payload = payloads.build_payload(last_event("tariffs_updated"), webhook, MESSAGE_ID)
    assert payload["data"] == {"property_uid": prop.id, "manager_id": manager.id, "task": "tariffs_updated"}
    expected = [[tariff.start_date.isoformat(), tariff.end_date.isoformat()]]
    assert payload["event_metadata"]["date_ranges"] == expected
    assert payload["event_metadata"]["pricing_types"]


def test_the_test_event_has_a_global_context(ctx):
    event = WebhookEvent(id=1, event="webhook_test", data={"webhook_id": 9}, event_metadata={},
                         created_at=datetime(2026, 11, 22, 4, 45, 38, 123456))
    payload = payloads.build_payload(event, Webhook(id=9, owner_id=4), MESSAGE_ID)
    assert (payload["context"], payload["context_id"]) == ("global", None)
    assert payload["data"] == {"webhook_id": 9, "manager_id": 4, "task": "webhook_test"}
    assert payload["created_at"] == "2026-11-22T04:45:38.123Z"


def test_the_record_is_sent_only_when_asked(hotel, make_booking):
    prop, manager = hotel
    booking = make_booking(prop)
    event = last_event("booking_added")
    without, with_record = (Webhook(id=1, owner_id=manager.id, include_record=flag) for flag in (False, True))
    plain = payloads.build_payload(event, without, MESSAGE_ID)
    full = payloads.build_payload(event, with_record, MESSAGE_ID)
    assert "record" not in plain
    assert list(full) == [*ENVELOPE, "record"]
    assert full["record"]["contract_uid"] == booking.id
    assert full["record"]["property_uid"] == prop.id


def test_the_record_is_null_when_the_subject_is_gone(ctx):
    event = WebhookEvent(id=5, event="booking_added", data={"property_uid": 999, "contract_uid": 12345},
                         event_metadata={}, created_at=datetime(2026, 1, 1))
    payload = payloads.build_payload(event, Webhook(id=1, owner_id=None, include_record=True), MESSAGE_ID)
    assert payload["record"] is None


def test_encode_is_compact_ascii_json_that_round_trips():
    payload = {"id": MESSAGE_ID, "data": {"name": "Café Ünïcode", "n": 1}}
    body = payloads.encode(payload)
    assert body == (b'{"id":"msg_01JD2X7Q4W5E6R7T8Y9U0I1O2P",'
                    b'"data":{"name":"Caf\\u00e9 \\u00dcn\\u00efcode","n":1}}')
    assert json.loads(body) == payload


def test_message_ids_are_msg_and_26_characters_and_unique():
    ids = {payloads.new_message_id() for _ in range(500)}
    assert len(ids) == 500
    assert all(re.fullmatch(r"msg_[0-9A-HJKMNP-TV-Z]{26}", value) for value in ids)
    assert len(max(ids, key=len)) <= 40  # fits WebhookDelivery.message_id


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_catalogue_event_has_a_sample_payload(name):
    sample = catalogue.sample_payload(name)
    assert list(sample) == ENVELOPE
    assert sample["event"] == name
    assert sample["data"]["task"] == name
    assert set(sample["data"]) == {*CATALOGUE[name].keys, "task", "manager_id"}
    json.dumps(sample)


def test_samples_show_changes_and_date_ranges():
    assert catalogue.sample_payload("booking_modified")["event_metadata"]["changes"]
    assert catalogue.sample_payload("tariffs_updated")["event_metadata"]["date_ranges"]


def test_unknown_events_have_no_sample():
    with pytest.raises(NotFound):
        catalogue.sample_payload("no_such_event")


def test_verification_instructions_name_the_headers_and_the_rotation():
    text = catalogue.verification_instructions()
    needed = ("webhook-id", "webhook-timestamp", "webhook-signature", "whsec_", "HMAC-SHA256", "24 hours")
    for words in needed:
        assert words in text
