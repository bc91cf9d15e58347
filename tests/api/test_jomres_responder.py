"""Receivers written for Jomres keep working: Jomres' responder logic gets every event of the catalogue from a
``jomres_legacy`` webhook, and every callback it makes answers 200 (404 for a record that was deleted)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from jomres_like import callbacks as records
from jomres_like import signals
from jomres_like.extensions import db
from jomres_like.models import BlackBooking, Booking, Property, User, Webhook
from jomres_like.services.blackbookings import create_black_booking, delete_black_booking
from jomres_like.services.events import raise_event
from jomres_like.services.notes import delete_note, save_note
from jomres_like.services.properties import delete_property
from jomres_like.timeutil import utc_today
from jomres_like.webhooks.signing import set_secret

from .conftest import OWN
from .jomres_responder import ID_KEYS, JomresResponder

GONE_PROPERTY = 2  # the demo's manager manages 1 and 2; 2 is deleted for property_deleted


@pytest.fixture
def app_config(app_config):
    """Loopback receivers allowed (pytest-httpserver)."""
    app_config["JOMRES_WEBHOOK_ALLOWED_NETWORKS"] = ("127.0.0.0/8",)
    return app_config


@pytest.fixture
def gone(app, world) -> dict[str, int]:
    """Ids of deleted records, by the callback's response key."""
    with app.app_context():
        booking = db.session.get(Booking, world.booking)
        note = save_note(booking, "to be deleted")
        far = utc_today() + timedelta(days=400)
        black = create_black_booking(db.session.get(Property, OWN), {
            "start": far, "end": far + timedelta(days=1), "room_uids": [world.room]})
        db.session.flush()
        ids = {"note_details": note.id, "blackbooking_details": black.id}
        delete_note(note)
        delete_black_booking(db.session.get(BlackBooking, black.id))
        delete_property(db.session.get(Property, GONE_PROPERTY))
        db.session.commit()
    return {**ids, "guest_details": world.deleted_guest, "room_details": world.deleted_room,
            "property_details": GONE_PROPERTY}


def _live_ids(world) -> dict[str, int]:
    return {"contract_details": world.booking, "note_details": world.note, "guest_details": world.guest,
            "invoice_details": world.invoice, "room_details": world.room,
            "blackbooking_details": world.black_booking, "extra_details": world.extra,
            "coupon_details": world.coupon, "guest_type_details": world.guest_type}


def _events(world, gone) -> list[tuple[str, dict, int]]:
    """Every property event of the catalogue with the data to raise it and the callback status expected."""
    live = _live_ids(world)
    found = []
    for name, event_type in signals.CATALOGUE.items():
        if event_type.context != "property" or "property_uid" not in event_type.keys:
            continue  # no property to call back (webhook_test, people): site-wide webhooks get those
        key, id_key = records.SUBJECTS[name]
        if id_key is not None and signals.LEGACY_DATA_KEYS.get(id_key, id_key) not in ID_KEYS:
            continue  # Jomres has no callback for it (coupons): its responder finds no id to call back with
        deleted = name.endswith("_deleted") and key in gone
        data = {k: f"sample-{k}" for k in event_type.keys}
        data.update(property_uid=OWN, contract_uid=world.booking)
        data = {k: data[k] for k in event_type.keys}
        if key == "property_details" and deleted:
            data["property_uid"] = gone[key]
        elif id_key is not None:
            assert key in live, f"the responder test needs a record for {key} ({name}): add it to _live_ids"
            data[id_key] = gone[key] if deleted else live[key]
        found.append((name, data, 404 if deleted else 200))
    return found


def _legacy_webhook(app, url: str) -> int:
    with app.app_context():
        manager = db.session.scalar(select(User).where(User.username == "manager"))
        webhook = Webhook(owner_id=manager.id, url=url, events=[], mode="immediate",
                          event_names="jomres_legacy")
        set_secret(webhook)
        db.session.add(webhook)
        db.session.commit()
        return webhook.id


def test_jomres_responder_handles_every_event_from_a_legacy_webhook(app, client, world, gone, app_key,
                                                                  httpserver):
    httpserver.expect_request("/responder", method="POST").respond_with_data("ok")
    _legacy_webhook(app, httpserver.url_for("/responder"))
    events = _events(world, gone)
    left_out = set(signals.CATALOGUE) - {name for name, _data, _status in events}
    assert left_out <= {"webhook_test", "coupon_saved", "coupon_updated", "coupon_deleted"}
    with app.app_context():  # immediate webhooks: delivered when the context ends
        for name, data, _status in events:
            raise_event(name, **data)
        db.session.commit()
    received = [request for request, _response in httpserver.log]
    assert len(received) == len(events)

    def post(url, form):
        answer = client.post(url, data=form)
        return answer.status_code, answer.json

    def get(url, headers):
        answer = client.get(url, headers=headers)
        return answer.status_code, answer.json

    client_id, secret = app_key("manager", ["webhooks_get"])
    responder = JomresResponder("/jomres/api/", client_id, secret, post, get)
    outcomes: dict[str, list] = {}
    for request in received:
        body = json.loads(request.get_data())
        assert request.headers["X-Jomres-Event"] == body["event"] == body["data"]["task"]
        outcomes.setdefault(body["data"]["task"], []).append(responder.handle(request.get_data()))
    for name, _data, status in events:
        sent = signals.legacy_name(name)
        for outcome in outcomes[sent]:
            assert outcome.status == status, (name, outcome)
            if status == 200:
                assert outcome.answer["data"][records.response_key(sent)], (name, outcome)
    assert sorted(outcomes) == sorted({signals.legacy_name(name) for name, _data, _status in events})
    assert len(outcomes["invoice_saved"]) == 2  # invoice_created and invoice_updated
    assert not set(signals.LEGACY_NAMES) & set(outcomes)  # no current name a legacy one replaces
    (note,) = outcomes["booking_note_save"]
    assert note.url.endswith(f"/booking_note_save/{world.note}")  # note_uid, not contract_uid
