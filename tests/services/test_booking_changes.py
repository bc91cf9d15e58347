"""services.bookings: modifying a booking and its state transitions (cancel, no-show, check in and out)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jomres_like.services import Conflict, ValidationError
from jomres_like.services import bookings as service
from jomres_like.services.blackbookings import create_black_booking

from .helpers import days


@pytest.fixture
def rooms(prop, make_room):
    """Rooms 101, 102 and 103 of ``prop``."""
    return [make_room(prop, number=str(n)) for n in (101, 102, 103)]


@pytest.fixture
def booking(prop, rooms, make_booking):
    """A booking of room 101 over [+5, +8) for 300, deposit 60."""
    return make_booking(prop, rooms=[rooms[0]], arrival=days(5), departure=days(8), contract_total=300)


def test_modify_booking_records_each_change_as_old_and_new(prop, booking, rooms, make_guest, events):
    newcomer = make_guest(prop, firstname="Manuel")
    old_guest = booking.guest_id
    events.mark()

    changes = service.modify_booking(booking, {
        "departure": days(9), "room_uids": [rooms[1].id, rooms[0].id], "guest_uid": newcomer.id,
        "contract_total": "350.5", "special_reqs": "Cot", "adults": 1, "children": 2,
    })

    expected = {
        "departure": [days(8).isoformat(), days(9).isoformat()],
        "room_uids": [[rooms[0].id], [rooms[0].id, rooms[1].id]],
        "guest_uid": [old_guest, newcomer.id],
        "contract_total": [300.0, 350.5],
        "special_reqs": ["", "Cot"],
        "children": [0, 2],
    }
    assert changes == expected
    event = events.one("booking_modified")
    assert event.data == {"property_uid": prop.id, "contract_uid": booking.id}
    assert event.event_metadata == {"changes": expected}
    assert booking.departure == days(9)
    assert (booking.guest_id, booking.contract_total) == (newcomer.id, Decimal("350.50"))


@pytest.mark.parametrize(
    "same",
    [
        {},
        {"arrival": days(5), "departure": days(8)},
        {"arrival": days(5).isoformat(), "contract_total": "300.00"},
        {"special_reqs": "  "},
    ],
)
def test_modify_booking_without_a_change_raises_nothing(booking, rooms, events, same):
    assert service.modify_booking(booking, same) == {}
    assert events.rows() == []


def test_modify_booking_with_the_same_rooms_raises_nothing(booking, rooms, events):
    assert service.modify_booking(booking, {"room_uids": [rooms[0].id]}) == {}
    assert events.rows() == []


def test_modify_booking_keeps_its_guest_even_once_deleted(booking, events):
    """A form posts the booking's own guest back: unchanged, it is neither looked up nor refused."""
    booking.guest.deleted = True
    changes = service.modify_booking(booking, {"guest_uid": str(booking.guest_id), "special_reqs": "Late"})
    assert changes == {"special_reqs": ["", "Late"]}
    with pytest.raises(ValidationError) as raised:  # another guest is still looked up
        service.modify_booking(booking, {"guest_uid": booking.guest_id + 1000})
    assert "guest_uid" in raised.value.errors


def test_modify_booking_may_overlap_itself(booking, events):
    changes = service.modify_booking(booking, {"arrival": days(6), "departure": days(9)})
    assert changes == {"arrival": [days(5).isoformat(), days(6).isoformat()],
                       "departure": [days(8).isoformat(), days(9).isoformat()]}
    assert events.one("booking_modified").event_metadata["changes"] == changes


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"departure": days(5)}, ValidationError, "departure"),
        ({"arrival": "soon"}, ValidationError, "arrival"),
        ({"contract_total": -3}, ValidationError, "contract_total"),
        ({"contract_total": 10}, ValidationError, "deposit_required"),  # below the deposit of 60
        ({"deposit_required": 301}, ValidationError, "deposit_required"),
        ({"adults": 0}, ValidationError, "adults"),
        ({"guest_uid": 999999}, ValidationError, "guest_uid"),
        ({"room_uids": []}, ValidationError, "room_uids"),
        ({"cancelled": True}, ValidationError, "cancelled"),
        ({"property_id": 2}, ValidationError, "property_id"),
    ],
)
def test_modify_booking_refuses_bad_values(booking, events, change, error, field):
    before = (booking.arrival, booking.departure, booking.contract_total, booking.adults)
    with pytest.raises(error) as raised:
        service.modify_booking(booking, change)
    assert field in raised.value.errors
    assert (booking.arrival, booking.departure, booking.contract_total, booking.adults) == before
    assert events.rows() == []


def test_modify_booking_refuses_a_taken_room(prop, booking, rooms, make_booking, events):
    make_booking(prop, rooms=[rooms[1]], arrival=days(8), departure=days(10))
    events.mark()

    with pytest.raises(Conflict):
        service.modify_booking(booking, {"departure": days(9), "room_uids": [rooms[1].id]})
    with pytest.raises(Conflict):
        service.modify_booking(booking, {"room_uids": [rooms[0].id, rooms[1].id], "departure": days(9)})
    assert events.rows() == []


def test_modify_booking_refuses_dates_over_a_black_booking(prop, booking, rooms):
    create_black_booking(prop, {"start": days(8), "end": days(9), "room_uids": [rooms[0].id]})
    with pytest.raises(Conflict, match="out of service"):
        service.modify_booking(booking, {"departure": days(9)})


def test_modify_booking_refuses_a_room_of_another_property(booking, other_prop, make_room):
    foreign = make_room(other_prop, number="101")
    with pytest.raises(ValidationError) as error:
        service.modify_booking(booking, {"room_uids": [foreign.id]})
    assert error.value.field == "room_uids"


def test_modify_booking_refuses_a_cancelled_booking(booking, events):
    service.cancel_booking(booking)
    events.mark()
    with pytest.raises(Conflict):
        service.modify_booking(booking, {"special_reqs": "Late"})
    assert events.rows() == []


# State transitions: (steps before, the action, its event, the attribute and its new value)
TRANSITIONS = [
    ((), service.cancel_booking, "booking_cancelled", "cancelled", True),
    ((), service.mark_noshow, "booking_marked_noshow", "noshow", True),
    ((service.mark_noshow,), service.cancel_booking, "booking_cancelled", "cancelled", True),
    ((), service.check_in, "guest_checkedin", "booked_in", True),
    ((service.check_in,), service.undo_check_in, "guest_checkedin_undone", "booked_in", False),
    ((service.check_in,), service.check_out, "guest_checkedout", "booked_out", True),
    ((service.check_in, service.check_out), service.undo_check_out, "guest_checkedout_undone", "booked_out",
     False),
]


@pytest.mark.parametrize(("before", "action", "event", "attribute", "value"), TRANSITIONS,
                         ids=[t[2] + "".join("-after-" + s.__name__ for s in t[0]) for t in TRANSITIONS])
def test_transitions_change_the_flag_and_raise_their_event(prop, booking, events, before, action, event,
                                                           attribute, value):
    for step in before:
        step(booking)
    events.mark()

    action(booking)

    assert getattr(booking, attribute) is value
    row = events.one(event)
    assert row.data == {"property_uid": prop.id, "contract_uid": booking.id}
    assert row.event_metadata == {"changes": {attribute: [not value, value]}}


REFUSED = [
    ((service.cancel_booking,), service.cancel_booking),
    ((service.check_in,), service.cancel_booking),
    ((service.cancel_booking,), service.mark_noshow),
    ((service.mark_noshow,), service.mark_noshow),
    ((service.check_in,), service.mark_noshow),
    ((service.cancel_booking,), service.check_in),
    ((service.mark_noshow,), service.check_in),
    ((service.check_in,), service.check_in),
    ((), service.undo_check_in),
    ((service.check_in, service.check_out), service.undo_check_in),
    ((), service.check_out),
    ((service.check_in, service.check_out), service.check_out),
    ((), service.undo_check_out),
    ((service.check_in,), service.undo_check_out),
]


@pytest.mark.parametrize(("before", "action"), REFUSED,
                         ids=["-".join(s.__name__ for s in (*t[0], t[1])) for t in REFUSED])
def test_impossible_transitions_are_refused_and_change_nothing(booking, events, before, action):
    for step in before:
        step(booking)
    events.mark()
    state = (booking.cancelled, booking.noshow, booking.booked_in, booking.booked_out,
             booking.cancelled_reason)

    with pytest.raises(Conflict) as error:
        action(booking)

    assert error.value.status == 409
    assert (booking.cancelled, booking.noshow, booking.booked_in, booking.booked_out,
            booking.cancelled_reason) == state
    assert events.rows() == []


def test_cancel_keeps_the_reason(booking):
    service.cancel_booking(booking, "  Flight cancelled ")
    assert booking.cancelled_reason == "Flight cancelled"


def test_cancel_refuses_a_reason_too_long(booking, events):
    with pytest.raises(ValidationError):
        service.cancel_booking(booking, "x" * 256)
    assert booking.cancelled is False
    assert events.rows() == []


def test_refused_cancel_keeps_the_first_reason(booking):
    service.cancel_booking(booking, "First")
    with pytest.raises(Conflict):
        service.cancel_booking(booking, "Second")
    assert booking.cancelled_reason == "First"
