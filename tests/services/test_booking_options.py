"""Bookings with extras, guest types and a coupon: price, occupancy, validity, events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jomres_like.services import Conflict, ValidationError
from jomres_like.services import bookings as booking_service
from jomres_like.services import coupons as coupon_service
from jomres_like.services import extras as extra_service
from jomres_like.services import guest_types as guest_type_service

from .helpers import days


@pytest.fixture
def stay(prop, make_room, make_tariff, make_guest):
    """A family room at 100 a night (max 4 people), a guest, and the values of a two-night stay."""
    room = make_room(prop, number="201", room_type="Family", max_people=4)
    make_tariff(prop, room_type="Family", rate=100)
    guest = make_guest(prop)
    return {"arrival": days(20), "departure": days(22), "room_uids": [room.id], "guest_uid": guest.id}


def _book(prop, stay, **values):
    return booking_service.create_booking(prop, {**stay, **values})


def test_extras_guest_types_and_coupon_make_the_total(prop, stay, events):
    breakfast = extra_service.create_extra(
        prop, {"name": "Breakfast", "price": 12, "tax_rate": 10, "max_quantity": 4}
    )
    adult = guest_type_service.create_guest_type(prop, {"name": "Adult"})
    child = guest_type_service.create_guest_type(
        prop, {"name": "Child", "is_child": True, "posneg": False, "is_percentage": True, "variance": 25}
    )
    senior = guest_type_service.create_guest_type(prop, {"name": "Senior", "variance": 5})
    coupon_service.create_coupon(prop, {"code": "TEN", "amount": 10, "is_percentage": True})
    events.mark()

    booking = _book(
        prop,
        stay,
        extras=[{"extras_uid": breakfast.id, "quantity": 3}],
        coupon_code="ten",
        guest_types=[
            {"guest_type_uid": adult.id, "count": 1},
            {"guest_type_uid": senior.id, "count": 1},
            {"guest_type_uid": child.id, "count": 2},
        ],
    )

    # rooms 200 + breakfast 36 + senior 5 x 2 nights - 2 children x 25 % of 200 = 146; 10 % off: 131.40
    assert booking.contract_total == Decimal("131.40")
    assert booking.discount == Decimal("14.60")
    assert (booking.adults, booking.children) == (2, 2)
    assert [(line.extra_id, line.quantity, line.unit_price) for line in booking.extras] == [
        (breakfast.id, 3, Decimal("12.00"))
    ]
    assert booking.coupon.code == "TEN"
    assert events.one("booking_added").data == {"property_uid": prop.id, "contract_uid": booking.id}


def test_a_fixed_coupon_takes_off_at_most_the_price(prop, stay):
    coupon_service.create_coupon(prop, {"code": "HUGE", "amount": 500})
    assert _book(prop, stay, coupon_code="HUGE").contract_total == Decimal("0.00")


def test_auto_select_extras_join_a_booking_that_names_no_extras(prop, stay):
    parking = extra_service.create_extra(prop, {"name": "Parking", "price": 8, "auto_select": True})
    extra_service.create_extra(
        prop, {"name": "Later", "price": 9, "auto_select": True, "valid_from": days(60)}
    )
    booking = _book(prop, stay)
    assert [line.extra_id for line in booking.extras] == [parking.id]
    assert booking.contract_total == Decimal("208.00")
    assert _book(prop, {**stay, "arrival": days(30), "departure": days(31)}, extras=[]).extras == []


@pytest.mark.parametrize(
    ("extra", "quantity", "message"),
    [
        ({"max_quantity": 2}, 3, "at most 2"),
        ({"valid_to": None, "valid_from": None}, 1, None),
        ({"valid_from": days(30)}, 1, "not offered"),
        ({"valid_to": days(10)}, 1, "not offered"),
        ({"room_type": "Double"}, 1, "only for Double"),
    ],
)
def test_extras_outside_their_rules_are_refused(prop, stay, make_room, extra, quantity, message):
    make_room(prop, number="301", room_type="Double")
    item = extra_service.create_extra(prop, {"name": "Thing", **extra})
    values = {"extras": [{"extras_uid": item.id, "quantity": quantity}]}
    if message is None:
        assert _book(prop, stay, **values).extras[0].quantity == quantity
        return
    with pytest.raises(ValidationError) as error:
        _book(prop, stay, **values)
    assert error.value.field == "extras" and message in error.value.message


@pytest.mark.parametrize(
    "extras",
    [
        [{"extras_uid": 999}],
        [{"quantity": 1}],
        [{"extras_uid": "x"}],
        "breakfast",
        [1],
    ],
)
def test_malformed_or_unknown_extras_are_refused(prop, stay, extras):
    with pytest.raises(ValidationError) as error:
        _book(prop, stay, extras=extras)
    assert error.value.field == "extras"


def test_another_propertys_extra_is_unknown(prop, other_prop, stay):
    elsewhere = extra_service.create_extra(other_prop, {"name": "Elsewhere"})
    with pytest.raises(ValidationError) as error:
        _book(prop, stay, extras=[{"extras_uid": elsewhere.id}])
    assert error.value.field == "extras"


def test_guest_types_count_towards_capacity_and_their_maximum(prop, stay):
    adult = guest_type_service.create_guest_type(prop, {"name": "Adult", "maximum": 3})
    child = guest_type_service.create_guest_type(prop, {"name": "Child", "is_child": True})
    with pytest.raises(ValidationError, match="at most 3"):
        _book(prop, stay, guest_types=[{"guest_type_uid": adult.id, "count": 4}])
    with pytest.raises(ValidationError, match="do not fit") as error:
        _book(
            prop,
            stay,
            guest_types=[{"guest_type_uid": adult.id, "count": 3}, {"guest_type_uid": child.id, "count": 2}],
        )
    assert error.value.field == "guest_types"
    with pytest.raises(ValidationError, match="non-child"):
        _book(prop, stay, guest_types=[{"guest_type_uid": child.id, "count": 1}])


def test_coupon_rules_validity_window_and_uses(prop, stay, make_guest):
    coupon_service.create_coupon(prop, {"code": "OLD", "amount": 5, "valid_to": days(-1)})
    coupon_service.create_coupon(prop, {"code": "WINTER", "amount": 5, "booking_valid_from": days(100)})
    coupon_service.create_coupon(prop, {"code": "ONCE", "amount": 5, "max_uses": 1})
    for code, message in (
        ("NOPE", "Unknown coupon"),
        ("OLD", "not valid today"),
        ("WINTER", "not valid for arrivals"),
    ):
        with pytest.raises(ValidationError, match=message) as error:
            _book(prop, stay, coupon_code=code)
        assert error.value.field == "coupon_code"
    first = _book(prop, stay, coupon_code="ONCE")
    later = {**stay, "arrival": days(40), "departure": days(41)}
    with pytest.raises(Conflict, match="used 1 times"):
        _book(prop, later, coupon_code="ONCE")
    booking_service.cancel_booking(first)  # a cancelled booking gives its use back
    assert _book(prop, later, coupon_code="ONCE").coupon_id == first.coupon_id


def test_a_total_entered_by_hand_is_the_total(prop, stay):
    coupon_service.create_coupon(prop, {"code": "TEN", "amount": 10})
    booking = _book(prop, stay, coupon_code="TEN", contract_total=150)
    assert (booking.contract_total, booking.discount, booking.coupon.code) == (Decimal("150.00"), 0, "TEN")


def test_modify_changes_the_options_reprices_and_reports_them(prop, stay, events):
    parking = extra_service.create_extra(prop, {"name": "Parking", "price": 8, "max_quantity": 2})
    coupon_service.create_coupon(prop, {"code": "FIVE", "amount": 5})
    booking = _book(prop, stay)
    events.mark()

    changes = booking_service.modify_booking(
        booking, {"extras": [{"extra_uid": parking.id, "quantity": 2}], "coupon_code": "FIVE"}
    )

    assert booking.contract_total == Decimal("211.00")
    assert changes["extras"] == [[], [[parking.id, 2]]]
    assert changes["coupon_id"] == [None, booking.coupon_id]
    assert changes["contract_total"] == [200.0, 211.0]
    assert events.one("booking_modified").event_metadata == {"changes": changes}
    events.mark()
    same = booking_service.modify_booking(
        booking, {"extras": [{"extras_uid": parking.id, "quantity": 2}], "coupon_code": "five"}
    )
    assert same == {} and events.rows() == []


def test_modify_keeps_a_deleted_extra_and_an_expired_coupon_already_on_the_booking(prop, stay):
    parking = extra_service.create_extra(prop, {"name": "Parking", "price": 8})
    coupon = coupon_service.create_coupon(prop, {"code": "FIVE", "amount": 5})
    booking = _book(prop, stay, extras=[{"extras_uid": parking.id}], coupon_code="FIVE")
    extra_service.delete_extra(parking)
    coupon_service.update_coupon(coupon, {"valid_to": days(-1)})
    changes = booking_service.modify_booking(
        booking,
        {
            "extras": [{"extras_uid": parking.id, "quantity": 1}],
            "coupon_code": "FIVE",
            "special_reqs": "Quiet",
        },
    )
    assert changes == {"special_reqs": ["", "Quiet"]}


def test_modify_rechecks_guest_types_against_new_rooms(prop, stay, make_room):
    small = make_room(prop, number="202", room_type="Family", max_people=2)
    adult = guest_type_service.create_guest_type(prop, {"name": "Adult"})
    booking = _book(prop, stay, guest_types=[{"guest_type_uid": adult.id, "count": 3}])
    with pytest.raises(ValidationError, match="do not fit"):
        booking_service.modify_booking(booking, {"room_uids": [small.id]})
