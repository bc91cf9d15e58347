"""services.guests: guest rules and the guest_* events."""

from __future__ import annotations

import pytest

from jomres_like.services import Conflict, NotFound, ValidationError
from jomres_like.services import guests as service
from jomres_like.services.bookings import cancel_booking

from .helpers import days

GUEST = {"firstname": "Basil", "surname": "Fawlty", "email": "basil@example.com", "country": "gb"}


def test_create_guest_cleans_and_raises_guest_saved(prop, events):
    guest = service.create_guest(prop, {**GUEST, "firstname": "  Basil ", "town": "Torquay"})

    assert (guest.firstname, guest.surname, guest.country, guest.town) == ("Basil", "Fawlty", "GB", "Torquay")
    assert guest.property_id == prop.id
    event = events.one("guest_saved")
    assert event.data == {"property_uid": prop.id, "guest_uid": guest.id}
    assert event.event_metadata == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"firstname": ""}, "firstname"),
        ({"surname": "   "}, "surname"),
        ({"firstname": None}, "firstname"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "@example.com"}, "email"),
        ({"email": "a b@example.com"}, "email"),
        ({"country": "GBR"}, "country"),
        ({"postcode": "x" * 21}, "postcode"),
        ({"firstname": "x" * 121}, "firstname"),
    ],
)
def test_create_guest_refuses_bad_values(prop, events, change, field):
    with pytest.raises(ValidationError) as error:
        service.create_guest(prop, {**GUEST, **change})
    assert field in error.value.errors
    assert events.rows() == []


@pytest.mark.parametrize("missing", ["firstname", "surname"])
def test_create_guest_needs_a_name(prop, missing):
    values = {key: value for key, value in GUEST.items() if key != missing}
    with pytest.raises(ValidationError) as error:
        service.create_guest(prop, values)
    assert error.value.field == missing


def test_update_guest_raises_guest_updated_with_the_changes(prop, make_guest, events):
    guest = make_guest(prop, firstname="Ann", surname="Guest", tel_mobile="")
    events.mark()

    changes = service.update_guest(guest, {"surname": "Other", "tel_mobile": "+44 1", "firstname": "Ann"})

    assert changes == {"surname": ["Guest", "Other"], "tel_mobile": ["", "+44 1"]}
    event = events.one("guest_updated")
    assert event.data == {"property_uid": prop.id, "guest_uid": guest.id}
    assert event.event_metadata == {"changes": changes}


def test_update_guest_without_a_change_raises_nothing(prop, make_guest, events):
    guest = make_guest(prop, firstname="Ann")
    events.mark()
    assert service.update_guest(guest, {"firstname": " Ann ", "email": "ann@example.com"}) == {}
    assert events.rows() == []


def test_update_guest_refuses_to_blank_a_name(prop, make_guest, events):
    guest = make_guest(prop)
    events.mark()
    with pytest.raises(ValidationError):
        service.update_guest(guest, {"surname": ""})
    assert guest.surname == "Guest"
    assert events.rows() == []


def test_two_updates_in_one_transaction_make_one_event(prop, make_guest, events):
    guest = make_guest(prop, firstname="Ann", surname="Guest")
    events.mark()

    service.update_guest(guest, {"surname": "Second"})
    service.update_guest(guest, {"surname": "Third", "town": "Leeds"})

    event = events.one("guest_updated")
    assert event.event_metadata == {"changes": {"surname": ["Guest", "Third"], "town": ["", "Leeds"]}}


def test_delete_guest_hides_it_and_raises_guest_deleted(prop, make_guest, events):
    guest = make_guest(prop)
    events.mark()

    service.delete_guest(guest)

    assert guest.deleted is True
    assert events.one("guest_deleted").data == {"property_uid": prop.id, "guest_uid": guest.id}
    with pytest.raises(NotFound):
        service.get_guest(prop, guest.id)


@pytest.mark.parametrize(("arrival", "departure", "cancel", "allowed"), [
    (5, 8, False, False),
    (-2, 2, False, False),
    (-2, 0, False, False),  # leaving today
    (-2, 0, True, True),
    (-5, -1, False, True),  # a past stay
    (5, 8, True, True),
])
def test_delete_guest_with_a_current_or_future_booking_is_refused(prop, make_guest, make_booking, events,
                                                                  arrival, departure, cancel, allowed):
    guest = make_guest(prop)
    booking = make_booking(prop, guest=guest, arrival=days(arrival), departure=days(departure))
    if cancel:
        cancel_booking(booking)
    events.mark()

    if allowed:
        service.delete_guest(guest)
        assert events.names() == ["guest_deleted"]
    else:
        with pytest.raises(Conflict):
            service.delete_guest(guest)
        assert guest.deleted is False
        assert events.rows() == []


def test_get_guest_refuses_a_guest_of_another_property(prop, other_prop, make_guest):
    guest = make_guest(other_prop)
    assert service.get_guest(other_prop, guest.id) is guest
    with pytest.raises(NotFound):
        service.get_guest(prop, guest.id)
