"""services.extras, services.coupons, services.guest_types: their rules and events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jomres_like.services import Conflict, NotFound, ValidationError
from jomres_like.services import coupons as coupon_service
from jomres_like.services import extras as extra_service
from jomres_like.services import guest_types as guest_type_service
from jomres_like.services.events import raise_event

from .helpers import days


def test_create_extra_cleans_and_raises_extra_saved(prop, make_room, events):
    make_room(prop, room_type="Family")
    events.mark()
    extra = extra_service.create_extra(
        prop,
        {
            "name": " Breakfast ",
            "price": "12.5",
            "tax_rate": 10,
            "max_quantity": 4,
            "valid_from": days(1).isoformat(),
            "room_type": "Family",
            "auto_select": "1",
        },
    )

    assert (extra.name, extra.price, extra.tax_rate, extra.max_quantity) == (
        "Breakfast",
        Decimal("12.50"),
        Decimal("10.00"),
        4,
    )
    assert (extra.valid_from, extra.valid_to, extra.room_type, extra.auto_select) == (
        days(1),
        None,
        "Family",
        True,
    )
    event = events.one("extra_saved")
    assert event.data == {"property_uid": prop.id, "extras_uid": extra.id}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"price": "-1"}, "price"),
        ({"price": "lots"}, "price"),
        ({"tax_rate": 101}, "tax_rate"),
        ({"max_quantity": 0}, "max_quantity"),
        ({"valid_from": "2030-02-30"}, "valid_from"),
        ({"valid_from": "2030-02-02", "valid_to": "2030-02-01"}, "valid_to"),
        ({"room_type": "Penthouse"}, "room_type"),
        ({"auto_select": "maybe"}, "auto_select"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_extra_refuses_bad_values(prop, events, change, field):
    with pytest.raises(ValidationError) as error:
        extra_service.create_extra(prop, {"name": "Parking", **change})
    assert field in error.value.errors
    assert events.rows() == []


def test_update_extra_raises_extra_saved_with_the_changes_and_nothing_when_unchanged(prop, events):
    extra = extra_service.create_extra(prop, {"name": "Parking", "price": 8})
    events.mark()

    assert extra_service.update_extra(extra, {"price": "8.00", "name": "Parking"}) == {}
    assert events.rows() == []
    changes = extra_service.update_extra(extra, {"price": 9})
    assert changes == {"price": [8.0, 9.0]}
    event = events.one("extra_saved")
    assert event.event_metadata == {"changes": changes}


def test_delete_extra_raises_extra_deleted_and_hides_it(prop, other_prop, events):
    extra = extra_service.create_extra(prop, {"name": "Parking"})
    events.mark()
    extra_service.delete_extra(extra)
    assert events.one("extra_deleted").data == {"property_uid": prop.id, "extras_uid": extra.id}
    with pytest.raises(NotFound):
        extra_service.get_extra(prop, extra.id)
    other = extra_service.create_extra(other_prop, {"name": "Elsewhere"})
    with pytest.raises(NotFound):
        extra_service.get_extra(prop, other.id)


def test_extra_uid_is_accepted_for_extras_uid(prop, events):
    row = raise_event("extra_saved", property_uid=prop.id, extra_uid=7)
    assert row.data == {"property_uid": prop.id, "extras_uid": 7}


def test_guest_type_create_update_delete_raise_their_events(prop, events):
    kind = guest_type_service.create_guest_type(
        prop,
        {
            "name": "Child",
            "is_child": True,
            "variance": 50,
            "is_percentage": True,
            "posneg": False,
            "maximum": 3,
        },
    )
    assert (kind.is_child, kind.is_percentage, kind.posneg, kind.variance) == (
        True,
        True,
        False,
        Decimal("50"),
    )
    assert events.one("guest_type_saved").data == {"property_uid": prop.id, "guest_type_uid": kind.id}
    events.mark()
    assert guest_type_service.update_guest_type(kind, {"maximum": 4}) == {"maximum": [3, 4]}
    assert events.one("guest_type_saved").event_metadata == {"changes": {"maximum": [3, 4]}}
    events.mark()
    guest_type_service.delete_guest_type(kind)
    assert events.one("guest_type_deleted").data == {"property_uid": prop.id, "guest_type_uid": kind.id}
    with pytest.raises(NotFound):
        guest_type_service.get_guest_type(prop, kind.id)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Child", "maximum": 0}, "maximum"),
        ({"name": "Child", "variance": -5}, "variance"),
        ({"name": "Child", "variance": 150, "is_percentage": True}, "variance"),
    ],
)
def test_guest_type_refuses_bad_values(prop, events, values, field):
    with pytest.raises(ValidationError) as error:
        guest_type_service.create_guest_type(prop, values)
    assert field in error.value.errors
    assert events.rows() == []


def test_coupon_create_update_delete_raise_their_events(prop, events):
    coupon = coupon_service.create_coupon(
        prop,
        {
            "code": "SUMMER",
            "amount": 15,
            "is_percentage": True,
            "booking_valid_from": days(10),
            "max_uses": 2,
        },
    )
    assert events.one("coupon_saved").data == {"property_uid": prop.id, "coupon_id": coupon.id}
    events.mark()
    assert coupon_service.update_coupon(coupon, {"amount": 20}) == {"amount": [15.0, 20.0]}
    assert events.one("coupon_updated").data == {"property_uid": prop.id, "coupon_id": coupon.id}
    events.mark()
    coupon_service.delete_coupon(coupon)
    assert events.one("coupon_deleted").data == {"property_uid": prop.id, "coupon_id": coupon.id}
    with pytest.raises(NotFound):
        coupon_service.get_coupon(prop, coupon.id)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"code": "", "amount": 5}, "code"),
        ({"code": "TWO WORDS", "amount": 5}, "code"),
        ({"code": "X"}, "amount"),
        ({"code": "X", "amount": 120, "is_percentage": True}, "amount"),
        ({"code": "X", "amount": 5, "valid_from": "2030-01-02", "valid_to": "2030-01-01"}, "valid_to"),
        (
            {"code": "X", "amount": 5, "booking_valid_from": "2030-01-02", "booking_valid_to": "2030-01-01"},
            "booking_valid_to",
        ),
        ({"code": "X", "amount": 5, "max_uses": 0}, "max_uses"),
    ],
)
def test_coupon_refuses_bad_values(prop, events, values, field):
    with pytest.raises(ValidationError) as error:
        coupon_service.create_coupon(prop, values)
    assert field in error.value.errors
    assert events.rows() == []


def test_coupon_codes_are_unique_per_property_in_any_case(prop, other_prop, events):
    coupon_service.create_coupon(prop, {"code": "SUMMER", "amount": 5})
    with pytest.raises(Conflict):
        coupon_service.create_coupon(prop, {"code": "summer", "amount": 5})
    coupon_service.create_coupon(other_prop, {"code": "SUMMER", "amount": 5})  # another property: fine
