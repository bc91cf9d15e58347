"""services.events: the outbox row in the change's transaction, merging, the actor, and the signals."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from jomres_like import signals
from jomres_like.extensions import db
from jomres_like.models import Guest, WebhookEvent
from jomres_like.services import ValidationError
from jomres_like.services.actor import get_actor, set_actor
from jomres_like.services.events import apply_changes, json_value, raise_event
from jomres_like.services.guests import create_guest, update_guest


def test_raise_event_writes_the_catalogue_data(prop, events):
    row = raise_event("booking_note_saved", property_uid=prop.id, contract_uid=4, note_id=9,
                      changes={"text": ["a", "b"]}, metadata={"source": "test"})

    assert row.id is not None  # flushed with the change
    assert row.event == "booking_note_saved"
    assert row.data == {"property_uid": prop.id, "contract_uid": 4, "note_id": 9}
    assert row.event_metadata == {"source": "test", "changes": {"text": ["a", "b"]}}
    assert (row.property_id, row.user_id, row.dispatched, row.dispatched_at) == (prop.id, None, False, None)
    assert row.created_at is not None


def test_raise_event_keeps_extra_ids_json_friendly(prop):
    row = raise_event("tariffs_updated", property_uid=prop.id, since=date(2026, 12, 1))
    assert row.data == {"property_uid": prop.id, "since": "2026-12-01"}


def test_global_events_carry_no_property(ctx):
    row = raise_event("webhook_test", property_uid=None, webhook_id=7)
    assert (row.data, row.property_id) == ({"webhook_id": 7}, None)


@pytest.mark.parametrize(
    ("name", "ids", "field"),
    [("booking_exploded", {"property_uid": 1}, "event"),
     ("booking_added", {"property_uid": 1}, "contract_uid"),
     ("guest_saved", {"property_uid": None, "guest_uid": 3}, "property_uid"),
     ("booking_note_saved", {"property_uid": 1, "contract_uid": 2}, "note_id")],
)
def test_raise_event_refuses_unknown_names_and_missing_ids(ctx, events, name, ids, field):
    with pytest.raises(ValidationError) as error:
        raise_event(name, **ids)
    assert error.value.field == field
    assert events.rows() == []


def test_the_event_disappears_with_a_rollback(prop, events):
    guest = create_guest(prop, {"firstname": "Ann", "surname": "Guest"})
    assert events.names() == ["guest_saved"]
    guest_id = guest.id

    db.session.rollback()

    assert events.rows() == []
    assert db.session.get(Guest, guest_id) is None


def test_the_event_is_kept_after_a_commit(prop, events):
    guest = create_guest(prop, {"firstname": "Ann", "surname": "Guest"})
    expected = [("guest_saved", {"property_uid": prop.id, "guest_uid": guest.id})]
    db.session.commit()
    db.session.remove()  # a new session sees only what was committed

    assert [(r.event, r.data) for r in events.rows()] == expected


def test_equal_events_in_one_transaction_are_merged(prop, events):
    first = raise_event("room_updated", property_uid=prop.id, room_uid=1, changes={"name": ["A", "B"]})
    again = raise_event("room_updated", property_uid=prop.id, room_uid=1,
                        changes={"name": ["B", "C"], "max_people": [2, 3]})
    other = raise_event("room_updated", property_uid=prop.id, room_uid=2, changes={"name": ["X", "Y"]})
    db.session.commit()

    assert again is first and other is not first
    assert len(events.rows()) == 2
    merged = db.session.get(WebhookEvent, first.id)
    assert merged.event_metadata == {"changes": {"name": ["A", "C"], "max_people": [2, 3]}}


def test_merging_drops_changes_that_were_undone(prop, make_guest, events):
    guest = make_guest(prop, surname="Guest")
    events.mark()
    update_guest(guest, {"surname": "Other"})
    update_guest(guest, {"surname": "Guest", "town": "Leeds"})
    db.session.commit()
    assert events.one("guest_updated").event_metadata == {"changes": {"town": ["", "Leeds"]}}


def test_merged_date_ranges_are_combined(prop, events):
    raise_event("tariffs_updated", property_uid=prop.id, metadata={"date_ranges": [["a", "b"]]})
    raise_event("tariffs_updated", property_uid=prop.id, metadata={"date_ranges": [["a", "b"], ["c", "d"]]})
    assert events.one("tariffs_updated").event_metadata == {"date_ranges": [["a", "b"], ["c", "d"]]}


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_events_are_not_merged_across_transactions(prop, events, end):
    raise_event("property_updated", property_uid=prop.id)
    getattr(db.session, end)()
    raise_event("property_updated", property_uid=prop.id)
    db.session.commit()
    assert len(events.rows()) == (2 if end == "commit" else 1)


def test_the_acting_user_is_stored(prop, manager, events):
    assert get_actor() is None
    set_actor(manager)
    assert get_actor() is manager
    create_guest(prop, {"firstname": "Ann", "surname": "Guest"})
    set_actor(None)
    create_guest(prop, {"firstname": "Bob", "surname": "Guest"})
    assert [row.user_id for row in events.rows()] == [manager.id, None]


def test_the_logged_in_user_is_the_actor(app, prop, manager, events):
    from flask_login import login_user

    with app.test_request_context("/"):
        login_user(manager)
        create_guest(prop, {"firstname": "Ann", "surname": "Guest"})
    assert events.one("guest_saved").user_id == manager.id


def test_the_named_signal_then_event_raised_fire_with_the_row(ctx, prop, events):
    received = []

    def named(sender, **kwargs):
        received.append(("named", sender, kwargs))

    def any_event(sender, **kwargs):
        received.append(("any", sender, kwargs))

    named_signal = signals.EVENT_SIGNALS["guest_saved"]
    with named_signal.connected_to(named), signals.event_raised.connected_to(any_event):
        guest = create_guest(prop, {"firstname": "Ann", "surname": "Guest"})
        # a merged repeat is not sent again
        raise_event("guest_saved", property_uid=prop.id, guest_uid=guest.id)
        raise_event("room_added", property_uid=prop.id, room_uid=5)

    row = events.rows("guest_saved")[0]
    assert [(kind, sender) for kind, sender, _ in received] == [("named", ctx), ("any", ctx), ("any", ctx)]
    assert received[0][2] == {"event": row} and received[1][2] == {"event": row}
    assert received[2][2]["event"].event == "room_added"
    assert events.names() == ["guest_saved", "room_added"]


def test_json_value_makes_values_json_friendly():
    value = {"when": datetime(2026, 1, 2, 3, 4, 5), "day": date(2026, 1, 2), "price": Decimal("1.50"),
             "rooms": (1, 2), 3: {"set": {4}}}
    assert json_value(value) == {"when": "2026-01-02T03:04:05", "day": "2026-01-02", "price": 1.5,
                                 "rooms": [1, 2], "3": {"set": [4]}}


def test_apply_changes_reports_only_real_changes():
    class Record:
        name, price, town = "A", Decimal("10.00"), "X"

    record = Record()
    changes = apply_changes(record, {"name": "B", "price": "10", "town": "Y"}, fields=["name", "price"])
    assert changes == {"name": ["A", "B"]}
    assert (record.name, record.town) == ("B", "X")
