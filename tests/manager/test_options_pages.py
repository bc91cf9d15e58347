"""Extras, coupons and guest types pages, and a booking made with them through the booking form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import Booking, Coupon, Extra, GuestType, Room
from jomres_like.timeutil import utc_today

from .helpers import events, get

FAR = utc_today() + timedelta(days=100)


def _id(app, model, property_uid: int = 1, **where) -> int:
    with app.app_context():
        query = select(model.id).where(model.property_id == property_uid)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query.order_by(model.id))


def test_lists_show_the_demo_records(manager):
    assert "Breakfast" in manager.get("/manager/properties/1/extras").get_data(as_text=True)
    assert "WELCOME10" in manager.get("/manager/properties/1/coupons").get_data(as_text=True)
    assert "Child" in manager.get("/manager/properties/1/guest_types").get_data(as_text=True)


def test_extra_new_edit_delete_raise_their_events(app, manager):
    data = {
        "name": "Late checkout",
        "price": "15",
        "tax_rate": "20",
        "max_quantity": "1",
        "room_type": "Family",
        "include_in_property_lists": "y",
    }
    assert manager.post("/manager/properties/1/extras/new", data=data).status_code == 302
    uid = events(app, "extra_saved")[-1].data["extras_uid"]
    extra = get(app, Extra, uid)
    assert (extra.name, extra.room_type, extra.auto_select, extra.property_id) == (
        "Late checkout",
        "Family",
        False,
        1,
    )

    form = manager.get(f"/manager/properties/1/extras/{uid}/edit").get_data(as_text=True)
    assert 'value="Late checkout"' in form
    response = manager.post(f"/manager/properties/1/extras/{uid}/edit", data={**data, "price": "16"})
    assert response.status_code == 302
    assert events(app, "extra_saved")[-1].event_metadata == {"changes": {"price": [15.0, 16.0]}}

    assert manager.post(f"/manager/properties/1/extras/{uid}/delete").status_code == 302
    assert events(app, "extra_deleted")[-1].data == {"property_uid": 1, "extras_uid": uid}
    assert get(app, Extra, uid).deleted


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"price": "-1"}, "cannot be negative"),
        ({"room_type": "Penthouse"}, "Not a valid choice"),
        ({"valid_from": "2030-02-02", "valid_to": "2030-02-01"}, "cannot end before it starts"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_extra_form_errors_are_shown_beside_the_field(app, manager, change, message):
    data = {"name": "Parking", "price": "5", "max_quantity": "1", "room_type": "", **change}
    response = manager.post("/manager/properties/1/extras/new", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body and 'class="field-error"' in body
    assert not events(app, "extra_saved")[len(events(app, "extra_saved")) :]  # nothing new


def test_another_managers_extra_is_404(app, manager):
    other = _id(app, Extra, property_uid=3)
    assert manager.get(f"/manager/properties/1/extras/{other}/edit").status_code == 404
    assert manager.post(f"/manager/properties/1/extras/{other}/delete").status_code == 404


def test_coupon_new_edit_delete_raise_their_events(app, manager):
    data = {"code": "SPRING", "amount": "12.5", "booking_valid_from": FAR.isoformat(), "max_uses": "3"}
    assert manager.post("/manager/properties/1/coupons/new", data=data).status_code == 302
    uid = events(app, "coupon_saved")[-1].data["coupon_id"]
    coupon = get(app, Coupon, uid)
    assert (coupon.code, coupon.booking_valid_from, coupon.max_uses, coupon.is_percentage) == (
        "SPRING",
        FAR,
        3,
        False,
    )
    response = manager.post(f"/manager/properties/1/coupons/{uid}/edit", data={**data, "is_percentage": "y"})
    assert response.status_code == 302
    assert events(app, "coupon_updated")[-1].event_metadata == {"changes": {"is_percentage": [False, True]}}
    assert manager.post(f"/manager/properties/1/coupons/{uid}/delete").status_code == 302
    assert events(app, "coupon_deleted")[-1].data == {"property_uid": 1, "coupon_id": uid}


def test_a_coupon_code_taken_is_a_form_error(manager):
    response = manager.post("/manager/properties/1/coupons/new", data={"code": "welcome10", "amount": "5"})
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)


def test_guest_type_new_edit_delete_raise_their_events(app, manager):
    data = {
        "name": "Infant",
        "maximum": "2",
        "posneg": "False",
        "variance": "100",
        "is_percentage": "y",
        "is_child": "y",
    }
    assert manager.post("/manager/properties/1/guest_types/new", data=data).status_code == 302
    uid = events(app, "guest_type_saved")[-1].data["guest_type_uid"]
    kind = get(app, GuestType, uid)
    assert (kind.name, kind.posneg, kind.is_percentage, kind.is_child, kind.maximum) == (
        "Infant",
        False,
        True,
        True,
        2,
    )
    response = manager.post(f"/manager/properties/1/guest_types/{uid}/edit", data={**data, "maximum": "3"})
    assert response.status_code == 302
    assert events(app, "guest_type_saved")[-1].event_metadata == {"changes": {"maximum": [2, 3]}}
    assert manager.post(f"/manager/properties/1/guest_types/{uid}/delete").status_code == 302
    assert events(app, "guest_type_deleted")[-1].data == {"property_uid": 1, "guest_type_uid": uid}


def test_a_percentage_variance_over_100_is_a_form_error(manager):
    data = {"name": "Odd", "maximum": "2", "posneg": "True", "variance": "150", "is_percentage": "y"}
    response = manager.post("/manager/properties/1/guest_types/new", data=data)
    assert response.status_code == 422 and "more than 100" in response.get_data(as_text=True)


def _booking_form(app) -> dict:
    family = _id(app, Room, room_type="Family")
    return {
        "arrival": FAR.isoformat(),
        "departure": (FAR + timedelta(days=2)).isoformat(),
        "room_uids": str(family),
        "guest_uid": "1",
        "adults": "1",
        "children": "0",
        "special_reqs": "",
        "extras-0-extras_uid": str(_id(app, Extra, name="Breakfast")),
        "extras-0-quantity": "2",
        "extras-1-extras_uid": str(_id(app, Extra, name="Parking")),
        "extras-1-quantity": "0",
        "extras-2-extras_uid": str(_id(app, Extra, name="Extra bed")),
        "extras-2-quantity": "1",
        "guest_types-0-guest_type_uid": str(_id(app, GuestType, name="Adult")),
        "guest_types-0-count": "2",
        "guest_types-1-guest_type_uid": str(_id(app, GuestType, name="Child")),
        "guest_types-1-count": "1",
        "coupon_code": "welcome10",
    }


def test_the_booking_form_offers_extras_guest_types_and_a_coupon(manager):
    body = manager.get("/manager/properties/1/bookings/new").get_data(as_text=True)
    assert "Breakfast" in body and "Extra bed" in body and "Child" in body
    assert 'name="extras-0-quantity"' in body and 'name="guest_types-0-count"' in body
    assert 'name="coupon_code"' in body


def test_a_booking_with_extras_coupon_and_guest_types_shows_the_right_total(app, manager):
    response = manager.post("/manager/properties/1/bookings/new", data=_booking_form(app))
    assert response.status_code == 302, response.get_data(as_text=True)
    uid = events(app, "booking_added")[-1].data["contract_uid"]
    booking = get(app, Booking, uid)
    # Family 140 x 2 nights + breakfast 2 x 12 + extra bed 20 - one child at 50 % of 280; then 10 % off
    assert str(booking.contract_total) == "165.60"
    assert (booking.adults, booking.children) == (2, 1)
    body = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "165.60" in body and "2 × Breakfast" in body and "Coupon WELCOME10" in body and "18.40" in body
    assert "1 × Child" in body

    edit = manager.get(f"/manager/properties/1/bookings/{uid}/edit").get_data(as_text=True)
    assert 'value="WELCOME10"' in edit and 'name="extras-0-quantity"' in edit
    form = {**_booking_form(app), "extras-2-quantity": "0", "coupon_code": ""}
    del form["guest_uid"]
    form["guest_uid"] = "1"
    assert manager.post(f"/manager/properties/1/bookings/{uid}/edit", data=form).status_code == 302
    modified = events(app, "booking_modified")[-1]
    assert modified.data == {"property_uid": 1, "contract_uid": uid}
    assert set(modified.event_metadata["changes"]) >= {"extras", "coupon_id", "contract_total"}
    assert str(get(app, Booking, uid).contract_total) == "164.00"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"coupon_code": "NOPE"}, "Unknown coupon code NOPE"),
        ({"extras-0-quantity": "9"}, "at most 8"),
        ({"guest_types-0-count": "9"}, "at most 8"),
        ({"extras-0-quantity": "-1"}, "Number must be between"),
    ],
)
def test_booking_option_errors_are_shown_beside_their_field(app, manager, change, message):
    before = len(events(app, "booking_added"))
    response = manager.post("/manager/properties/1/bookings/new", data={**_booking_form(app), **change})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body and 'class="field-error"' in body
    assert len(events(app, "booking_added")) == before
