"""services.bookings: creating and changing bookings, and the events they raise."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jomres_like.extensions import db
from jomres_like.models import Booking, Guest
from jomres_like.services import Conflict, NotFound, ValidationError
from jomres_like.services import bookings as service
from jomres_like.services.blackbookings import create_black_booking

from .helpers import days


@pytest.fixture
def room(prop, make_room):
    """Room 101, a Double for up to four."""
    return make_room(prop, number="101", max_people=4)


@pytest.fixture
def room2(prop, make_room):
    """Room 102, a Twin."""
    return make_room(prop, number="102", room_type="Twin")


@pytest.fixture
def guest(prop, make_guest):
    """A guest of ``prop``."""
    return make_guest(prop)


def values(room, who, start=5, end=8, **extra):
    """Booking values for ``room`` and guest ``who`` over ``[today+start, today+end)``."""
    return {"arrival": days(start), "departure": days(end), "room_uids": [room.id], "guest_uid": who.id,
            "contract_total": 300, **extra}


def test_create_booking_stores_it_and_raises_booking_added(prop, room, guest, events):
    booking = service.create_booking(prop, values(room, guest, special_reqs="  Sea view  ", adults=2))

    assert (booking.arrival, booking.departure, booking.nights) == (days(5), days(8), 3)
    assert [r.id for r in booking.rooms] == [room.id]
    assert booking.guest_id == guest.id
    assert booking.contract_total == Decimal("300.00")
    assert booking.special_reqs == "Sea view"
    assert booking.adults == 2 and booking.children == 0
    assert booking.booking_number.isdigit()
    event = events.one("booking_added")
    assert event.data == {"property_uid": prop.id, "contract_uid": booking.id}
    assert event.property_id == prop.id
    assert event.event_metadata == {}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"departure": days(5)}, "departure"),
        ({"departure": days(4)}, "departure"),
        ({"arrival": "tomorrow"}, "arrival"),
        ({"arrival": None}, "arrival"),
        ({"departure": "2026-02-30"}, "departure"),
        ({"arrival": days(0), "departure": days(4000)}, "departure"),
        ({"room_uids": []}, "room_uids"),
        ({"room_uids": ["x"]}, "room_uids"),
        ({"room_uids": [999999]}, "room_uids"),
        ({"contract_total": -1}, "contract_total"),
        ({"contract_total": "lots"}, "contract_total"),
        ({"contract_total": "NaN"}, "contract_total"),
        ({"deposit_required": -5}, "deposit_required"),
        ({"deposit_required": 301}, "deposit_required"),
        ({"adults": 0}, "adults"),
        ({"adults": "two"}, "adults"),
        ({"children": -1}, "children"),
        ({"special_reqs": "x" * 5001}, "special_reqs"),
        ({"guest_uid": None}, "guest_uid"),
        ({"guest_uid": "abc"}, "guest_uid"),
        ({"guest_uid": 999999}, "guest_uid"),
        ({"guest_uid": None, "guest": {}}, "guest_uid"),
        ({"guest_uid": None, "guest": {"firstname": "Only"}}, "surname"),
    ],
)
def test_create_booking_refuses_bad_values(prop, room, guest, events, changes, field):
    with pytest.raises(ValidationError) as error:
        service.create_booking(prop, values(room, guest, **changes))

    assert field in error.value.errors
    assert error.value.status == 422
    assert events.rows() == []


def test_create_booking_refuses_a_room_of_another_property(prop, other_prop, guest, make_room, events):
    foreign = make_room(other_prop, number="901")
    events.mark()

    with pytest.raises(ValidationError) as error:
        service.create_booking(prop, values(foreign, guest))

    assert error.value.field == "room_uids"
    assert events.rows() == []


def test_create_booking_refuses_a_deleted_room(prop, room, guest):
    from jomres_like.services.rooms import delete_room

    delete_room(room)
    with pytest.raises(ValidationError) as error:
        service.create_booking(prop, values(room, guest))
    assert error.value.field == "room_uids"


def test_create_booking_refuses_a_guest_of_another_property(prop, other_prop, room, make_guest):
    stranger = make_guest(other_prop)
    with pytest.raises(ValidationError) as error:
        service.create_booking(prop, values(room, stranger))
    assert error.value.field == "guest_uid"


@pytest.mark.parametrize(
    ("start", "end", "clash"),
    [
        (4, 6, True),
        (6, 7, True),
        (7, 10, True),
        (4, 10, True),
        (5, 8, True),
        (2, 5, False),
        (8, 10, False),
    ],
)
def test_create_booking_refuses_a_room_already_booked(prop, room, guest, start, end, clash, events):
    service.create_booking(prop, values(room, guest, 5, 8))
    events.mark()

    if clash:
        with pytest.raises(Conflict) as error:
            service.create_booking(prop, values(room, guest, start, end))
        assert error.value.field == "room_uids" and error.value.status == 409
        assert events.rows() == []
    else:
        booking = service.create_booking(prop, values(room, guest, start, end))
        assert events.one("booking_added").data["contract_uid"] == booking.id


@pytest.mark.parametrize(
    ("start", "end", "clash"), [(4, 6, True), (7, 9, True), (2, 5, False), (8, 9, False)]
)
def test_create_booking_refuses_a_room_out_of_service(prop, room, guest, start, end, clash):
    create_black_booking(prop, {"start": days(5), "end": days(8), "room_uids": [room.id], "reason": "Paint"})

    if clash:
        with pytest.raises(Conflict, match="out of service"):
            service.create_booking(prop, values(room, guest, start, end))
    else:
        assert service.create_booking(prop, values(room, guest, start, end)).id


def test_a_clash_names_the_room_and_a_booking_comes_before_a_black_booking(prop, room, room2, guest):
    """Two rooms asked for: the message names the one taken, and its booking rather than its black booking."""
    def out_of_service(start, end):
        values_ = {"start": days(start), "end": days(end), "room_uids": [room2.id], "reason": "Paint"}
        create_black_booking(prop, values_)

    out_of_service(20, 22)
    taken = service.create_booking(prop, values(room2, guest, 10, 12))
    out_of_service(12, 14)
    both = {**values(room, guest, 11, 13), "room_uids": [room.id, room2.id]}

    with pytest.raises(Conflict) as error:
        service.create_booking(prop, both)
    assert str(error.value.message) == (
        f"Room 102 is already booked from {days(10)} to {days(12)} (booking {taken.booking_number})."
    )
    with pytest.raises(Conflict, match=f"Room 102 is out of service from {days(20)} to {days(22)}"):
        service.create_booking(prop, {**both, "arrival": days(21), "departure": days(23)})
    service.modify_booking(taken, {"arrival": days(9), "departure": days(12)})  # its own dates do not clash
    assert (taken.arrival, taken.departure) == (days(9), days(12))


def test_only_the_booked_room_is_taken(prop, room, room2, guest):
    service.create_booking(prop, values(room, guest))
    other = service.create_booking(prop, values(room2, guest))
    assert [r.id for r in other.rooms] == [room2.id]


@pytest.mark.parametrize("release", [service.cancel_booking, service.mark_noshow])
def test_cancelled_and_noshow_bookings_free_the_room(prop, room, guest, release):
    first = service.create_booking(prop, values(room, guest))
    release(first)
    second = service.create_booking(prop, values(room, guest))
    assert second.id != first.id


def test_create_booking_with_a_new_guest_creates_the_guest_first(prop, room, events):
    booking = service.create_booking(prop, {
        "arrival": days(1), "departure": days(2), "room_uids": [room.id], "contract_total": 90,
        "guest": {"firstname": "Polly", "surname": "Sherman", "email": "polly@example.com"},
    })

    guest = db.session.get(Guest, booking.guest_id)
    assert (guest.firstname, guest.surname, guest.property_id) == ("Polly", "Sherman", prop.id)
    assert events.names() == ["guest_saved", "booking_added"]
    assert events.rows("guest_saved")[0].data == {"property_uid": prop.id, "guest_uid": guest.id}


def test_create_booking_prices_the_stay_from_the_tariffs(prop, room, room2, guest, make_tariff):
    make_tariff(prop, room_type="Double", rate=100)
    make_tariff(prop, room_type="Twin", rate="80.50")

    booking = service.create_booking(prop, {**values(room, guest, 5, 8), "room_uids": [room.id, room2.id],
                                            "contract_total": None})

    assert booking.contract_total == Decimal("541.50")  # 3 nights x (100 + 80.50)
    assert booking.deposit_required == Decimal("108.30")  # the default 20 % deposit


def test_per_person_tariffs_multiply_by_the_people(prop, room, guest, make_tariff):
    make_tariff(prop, rate=40, pricing_type="per_person")

    booking = service.create_booking(prop, values(room, guest, 5, 7, contract_total="", adults=2, children=1))

    assert booking.contract_total == Decimal("240.00")  # 2 nights x 3 people x 40


@pytest.mark.parametrize(
    ("start", "end", "tariff", "priced"),
    [
        (5, 8, {}, True),
        (5, 8, {"room_type": "Twin"}, False),
        (5, 8, {"end_date": days(7)}, False),  # the last night is not covered
        (5, 8, {"start_date": days(6)}, False),
        (5, 6, {"min_nights": 2}, False),
        (5, 8, {"max_nights": 2}, False),
        (5, 7, {"min_nights": 2, "max_nights": 2}, True),
    ],
)
def test_no_tariff_covers_the_stay(prop, room, room2, guest, make_tariff, start, end, tariff, priced):
    make_tariff(prop, **{"room_type": "Double", "rate": 100, **tariff})
    wanted = values(room, guest, start, end, contract_total=None)

    if priced:
        assert service.create_booking(prop, wanted).contract_total == Decimal(100 * (end - start))
    else:
        with pytest.raises(ValidationError, match="No tariff covers") as error:
            service.create_booking(prop, wanted)
        assert error.value.field == "contract_total"


def test_deposit_follows_the_property_setting(prop, room, guest):
    from jomres_like.services.properties import update_settings

    update_settings(prop, {"deposit_percent": 50})
    booking = service.create_booking(prop, values(room, guest, contract_total="199.99"))
    assert booking.deposit_required == Decimal("100.00")


def test_get_booking_refuses_a_booking_of_another_property(prop, other_prop, make_booking):
    booking = make_booking(other_prop)
    assert service.get_booking(other_prop, booking.id) is booking
    with pytest.raises(NotFound):
        service.get_booking(prop, booking.id)
    with pytest.raises(NotFound):
        service.get_booking(prop, 999999)


def test_bookings_query_filters_by_dates_status_and_name(prop, room, room2, make_guest):
    basil = make_guest(prop, firstname="Basil", surname="Fawlty")
    sybil = make_guest(prop, firstname="Sybil", surname="Smith")
    early = service.create_booking(prop, values(room, basil, 1, 3))
    late = service.create_booking(prop, values(room2, sybil, 10, 12))
    service.cancel_booking(late)

    def ids(**filters):
        return [b.id for b in db.session.scalars(service.bookings_query(prop, **filters))]

    assert ids() == [late.id, early.id]
    assert ids(start=days(5)) == [late.id]
    assert ids(end=days(5)) == [early.id]
    assert ids(status="cancelled") == [late.id]
    assert ids(status="active") == [early.id]
    assert ids(search="fawlty") == [early.id]
    assert ids(search=late.booking_number) == [late.id]
    assert db.session.scalars(service.bookings_query(prop)).all()[0].__class__ is Booking
