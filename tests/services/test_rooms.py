"""services.rooms: room rules and the room_* events."""

from __future__ import annotations

import pytest

from jomres_like.services import Conflict, NotFound, ValidationError
from jomres_like.services import rooms as service
from jomres_like.services.bookings import cancel_booking
from jomres_like.services.guests import delete_guest

from .helpers import days


def test_add_room_raises_room_added(prop, events):
    values = {"number": " 101 ", "name": "Sea view", "room_type": "Twin", "max_people": 3}
    room = service.add_room(prop, values)

    assert (room.number, room.name, room.room_type, room.max_people) == ("101", "Sea view", "Twin", 3)
    event = events.one("room_added")
    assert event.data == {"property_uid": prop.id, "room_uid": room.id}


def test_add_room_defaults_to_a_double(prop):
    room = service.add_room(prop, {"number": "7"})
    assert (room.room_type, room.max_people) == ("Double", 2)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "number"),
        ({"number": "  "}, "number"),
        ({"number": "x" * 41}, "number"),
        ({"number": "1", "room_type": ""}, "room_type"),
        ({"number": "1", "max_people": 0}, "max_people"),
        ({"number": "1", "max_people": "many"}, "max_people"),
    ],
)
def test_add_room_refuses_bad_values(prop, events, values, field):
    with pytest.raises(ValidationError) as error:
        service.add_room(prop, values)
    assert field in error.value.errors
    assert events.rows() == []


def test_room_numbers_are_unique_per_property(prop, other_prop, make_room, events):
    make_room(prop, number="101")
    events.mark()

    with pytest.raises(Conflict) as error:
        service.add_room(prop, {"number": "101"})
    assert error.value.field == "number"
    assert service.add_room(other_prop, {"number": "101"}).property_id == other_prop.id


def test_a_deleted_rooms_number_can_be_reused(prop, make_room):
    old = make_room(prop, number="101")
    service.delete_room(old)
    assert service.add_room(prop, {"number": "101"}).id != old.id


def test_update_room_raises_room_updated_with_the_changes(prop, make_room, events):
    room = make_room(prop, number="101", room_type="Double")
    events.mark()

    changes = service.update_room(room, {"number": "101", "room_type": "Family", "max_people": 4})

    assert changes == {"room_type": ["Double", "Family"], "max_people": [2, 4]}
    event = events.one("room_updated")
    assert event.data == {"property_uid": prop.id, "room_uid": room.id}
    assert event.event_metadata == {"changes": changes}


def test_update_room_without_a_change_raises_nothing(prop, make_room, events):
    room = make_room(prop, number="101")
    events.mark()
    assert service.update_room(room, {"number": "101", "room_type": "Double"}) == {}
    assert events.rows() == []


def test_update_room_refuses_a_number_in_use(prop, make_room, events):
    make_room(prop, number="101")
    room = make_room(prop, number="102")
    events.mark()
    with pytest.raises(Conflict):
        service.update_room(room, {"number": "101"})
    assert room.number == "102"
    assert events.rows() == []


@pytest.mark.parametrize(("arrival", "departure", "cancel", "allowed"), [
    (5, 8, False, False),
    (-2, 2, False, False),
    (-3, 0, False, False),  # departs today: the guest may be in the room until checkout
    (-3, -1, False, True),  # left yesterday
    (-5, -2, False, True),
    (5, 8, True, True),
])
def test_delete_room_with_current_or_future_bookings_is_refused(prop, make_room, make_booking, events,
                                                                arrival, departure, cancel, allowed):
    room = make_room(prop, number="101")
    booking = make_booking(prop, rooms=[room], arrival=days(arrival), departure=days(departure))
    if cancel:
        cancel_booking(booking)
    events.mark()

    if allowed:
        service.delete_room(room)
        assert room.deleted is True
        assert events.one("room_deleted").data == {"property_uid": prop.id, "room_uid": room.id}
    else:
        with pytest.raises(Conflict):
            service.delete_room(room)
        assert room.deleted is False
        assert events.rows() == []


@pytest.mark.parametrize(("departure", "current"), [(0, True), (1, True), (-1, False)])
def test_guest_and_room_deletion_agree_on_the_bookings_still_current(prop, make_room, make_guest,
                                                                    make_booking, events, departure, current):
    room, guest = make_room(prop, number="101"), make_guest(prop)
    make_booking(prop, rooms=[room], guest=guest, arrival=days(departure - 3), departure=days(departure))
    events.mark()

    refused = []
    for delete, record in ((service.delete_room, room), (delete_guest, guest)):
        try:
            delete(record)
        except Conflict:
            refused.append(record)

    assert refused == ([room, guest] if current else [])
    assert events.names() == ([] if current else ["room_deleted", "guest_deleted"])


def test_get_room_refuses_other_and_deleted_rooms(prop, other_prop, make_room):
    foreign = make_room(other_prop, number="1")
    gone = make_room(prop, number="2")
    service.delete_room(gone)
    with pytest.raises(NotFound):
        service.get_room(prop, foreign.id)
    with pytest.raises(NotFound):
        service.get_room(prop, gone.id)
    assert service.get_room(other_prop, foreign.id) is foreign
