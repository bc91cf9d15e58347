"""services.blackbookings: rooms out of service, and blackbooking_created / blackbooking_deleted."""

from __future__ import annotations

import pytest

from jomres_like.extensions import db
from jomres_like.models import BlackBooking
from jomres_like.services import Conflict, NotFound, ValidationError
from jomres_like.services import blackbookings as service
from jomres_like.services.bookings import cancel_booking

from .helpers import days


@pytest.fixture
def room(prop, make_room):
    """Room 101 of ``prop``."""
    return make_room(prop, number="101")


def test_create_black_booking_raises_blackbooking_created(prop, room, events):
    black = service.create_black_booking(prop, {"start": days(3), "end": days(6), "room_uids": [room.id],
                                                "reason": " Painting "})

    assert (black.start, black.end, black.reason) == (days(3), days(6), "Painting")
    assert [r.id for r in black.rooms] == [room.id]
    assert service.black_bookings(prop) == [black]
    event = events.one("blackbooking_created")
    assert event.data == {"property_uid": prop.id, "contract_uid": black.id}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": days(3)}, "end"),
        ({"start": "later"}, "start"),
        ({"room_uids": []}, "room_uids"),
        ({"room_uids": [999999]}, "room_uids"),
        ({"reason": "x" * 256}, "reason"),
    ],
)
def test_create_black_booking_refuses_bad_values(prop, room, events, change, field):
    with pytest.raises(ValidationError) as error:
        service.create_black_booking(prop, {"start": days(3), "end": days(6), "room_uids": [room.id],
                                            **change})
    assert error.value.field == field
    assert events.rows() == []


def test_a_black_booking_cannot_cover_a_booked_room(prop, room, make_booking, events):
    booking = make_booking(prop, rooms=[room], arrival=days(4), departure=days(5))
    events.mark()
    values = {"start": days(3), "end": days(6), "room_uids": [room.id]}

    with pytest.raises(Conflict):
        service.create_black_booking(prop, values)
    assert events.rows() == []
    cancel_booking(booking)
    assert service.create_black_booking(prop, values).id


def test_black_bookings_cannot_overlap(prop, room):
    service.create_black_booking(prop, {"start": days(3), "end": days(6), "room_uids": [room.id]})
    with pytest.raises(Conflict):
        service.create_black_booking(prop, {"start": days(5), "end": days(7), "room_uids": [room.id]})
    assert service.create_black_booking(prop, {"start": days(6), "end": days(7), "room_uids": [room.id]}).id


def test_a_black_booking_cannot_take_a_room_of_another_property(prop, other_prop, make_room):
    foreign = make_room(other_prop, number="9")
    with pytest.raises(ValidationError):
        service.create_black_booking(prop, {"start": days(3), "end": days(6), "room_uids": [foreign.id]})


def test_delete_black_booking_frees_the_room_and_raises_its_event(prop, room, events, make_booking):
    black = service.create_black_booking(prop, {"start": days(3), "end": days(6), "room_uids": [room.id]})
    uid = black.id
    events.mark()

    service.delete_black_booking(black)

    assert db.session.get(BlackBooking, uid) is None
    assert events.one("blackbooking_deleted").data == {"property_uid": prop.id, "contract_uid": uid}
    assert make_booking(prop, rooms=[room], arrival=days(3), departure=days(6)).id


def test_get_black_booking_refuses_another_propertys(prop, other_prop, make_room):
    foreign = service.create_black_booking(other_prop, {"start": days(1), "end": days(2),
                                                        "room_uids": [make_room(other_prop).id]})
    with pytest.raises(NotFound):
        service.get_black_booking(prop, foreign.id)
    assert service.get_black_booking(other_prop, foreign.id) is foreign
