"""The booking rules a manager relies on: capacity, past stays, one booking number, all errors at once."""

from __future__ import annotations

import pytest

from jomres_like.services import Conflict, ValidationError
from jomres_like.services import bookings as service
from jomres_like.services import invoices as invoice_service
from jomres_like.services import notes as note_service
from jomres_like.services import properties as property_service
from jomres_like.services import tariffs as tariff_service

from .helpers import days


@pytest.fixture
def double(prop, make_room):
    """Room 1, a Double for two."""
    return make_room(prop, number="1", room_type="Double", max_people=2)


@pytest.fixture
def family(prop, make_room):
    """Room 2, a Family room for four."""
    return make_room(prop, number="2", room_type="Family", max_people=4)


@pytest.fixture
def guest(prop, make_guest):
    """A guest of ``prop``."""
    return make_guest(prop)


def stay(rooms, guest, start=5, end=8, **extra):
    """Booking values for ``rooms`` over ``[today+start, today+end)``."""
    return {"arrival": days(start), "departure": days(end), "room_uids": [r.id for r in rooms],
            "guest_uid": guest.id, "contract_total": 300, **extra}


# ---- capacity -----------------------------------------------------------------------------------------


def test_nine_adults_do_not_fit_a_room_for_two(prop, double, guest, events):
    """The refusal names the adults field, the room and what it sleeps; no booking, no event."""
    events.mark()
    with pytest.raises(ValidationError) as error:
        service.create_booking(prop, stay([double], guest, adults=9))
    assert error.value.field == "adults"
    assert error.value.message == "9 people do not fit: room 1 (2) sleeps 2 at most."
    assert events.rows() == []


def test_children_count_towards_capacity_and_rooms_add_up(prop, double, family, guest):
    """Two adults and a child do not fit the Double, but the Double and the Family room sleep six."""
    with pytest.raises(ValidationError, match="3 people do not fit"):
        service.create_booking(prop, stay([double], guest, adults=2, children=1))
    booking = service.create_booking(prop, stay([double, family], guest, adults=4, children=2))
    assert (booking.adults, booking.children) == (4, 2)


def test_a_change_must_fit_the_rooms_too(prop, double, family, guest):
    """More people, or a smaller room, is refused on change; the booking keeps its values."""
    booking = service.create_booking(prop, stay([family], guest, adults=4))
    with pytest.raises(ValidationError) as error:
        service.modify_booking(booking, {"room_uids": [double.id]})
    assert error.value.field == "adults"
    with pytest.raises(ValidationError, match="5 people do not fit"):
        service.modify_booking(booking, {"children": 1})
    assert (booking.adults, booking.children, [r.id for r in booking.rooms]) == (4, 0, [family.id])


# ---- past stays ---------------------------------------------------------------------------------------


def test_a_new_booking_in_the_past_is_refused(prop, double, guest, events):
    """An arrival before today is refused on the arrival field; today is fine."""
    events.mark()
    with pytest.raises(ValidationError) as error:
        service.create_booking(prop, stay([double], guest, -3, -1))
    assert error.value.field == "arrival"
    assert "past stay" in error.value.message
    assert events.rows() == []
    assert service.create_booking(prop, stay([double], guest, 0, 1)).arrival == days(0)


@pytest.mark.parametrize("flag", [True, "1", "on"])
def test_a_past_stay_being_recorded_is_accepted(prop, double, guest, flag):
    booking = service.create_booking(prop, stay([double], guest, -3, -1, past_stay=flag))
    assert (booking.arrival, booking.departure) == (days(-3), days(-1))


@pytest.mark.parametrize("flag", [False, "0", "", None, "false"])
def test_a_past_stay_flag_that_is_not_set_refuses(prop, double, guest, flag):
    with pytest.raises(ValidationError):
        service.create_booking(prop, stay([double], guest, -3, -1, past_stay=flag))


def test_moving_a_booking_into_the_past_needs_the_flag(prop, double, guest):
    booking = service.create_booking(prop, stay([double], guest, 5, 8))
    with pytest.raises(ValidationError) as error:
        service.modify_booking(booking, {"arrival": days(-2)})
    assert error.value.field == "arrival"
    service.modify_booking(booking, {"arrival": days(-2), "past_stay": True})
    assert booking.arrival == days(-2)
    # a booking already begun keeps its arrival while other fields change
    assert service.modify_booking(booking, {"special_reqs": "Cot"}) == {"special_reqs": ["", "Cot"]}


# ---- one booking identifier ---------------------------------------------------------------------------


def test_the_overlap_error_names_the_booking_number(prop, double, guest):
    """The number the pages show, not the row id."""
    taken = service.create_booking(prop, stay([double], guest, 5, 8))
    with pytest.raises(Conflict) as error:
        service.create_booking(prop, stay([double], guest, 6, 9))
    assert f"(booking {taken.booking_number})" in error.value.message
    assert f"(booking {taken.id})" not in error.value.message


# ---- every error at once ------------------------------------------------------------------------------


def test_every_booking_error_is_reported_at_once(prop, double, guest):
    """Bad dates, people, amounts and guest come back together, each on its field."""
    bad = {"arrival": "soon", "departure": days(3), "room_uids": [double.id], "adults": 0, "children": -1,
           "contract_total": "lots", "deposit_required": -5, "guest_uid": 999999}
    with pytest.raises(ValidationError) as error:
        service.create_booking(prop, bad)
    assert set(error.value.errors) == {
        "arrival", "adults", "children", "contract_total", "deposit_required", "guest_uid"
    }


def test_capacity_and_past_arrival_are_reported_together(prop, double, guest):
    with pytest.raises(ValidationError) as error:
        service.create_booking(prop, stay([double], guest, -2, 1, adults=9, deposit_required=400))
    assert set(error.value.errors) == {"arrival", "adults", "deposit_required"}


def test_every_change_error_is_reported_at_once(prop, double, guest):
    booking = service.create_booking(prop, stay([double], guest))
    with pytest.raises(ValidationError) as error:
        service.modify_booking(booking, {"departure": days(1), "adults": "two", "contract_total": -1})
    assert set(error.value.errors) == {"departure", "adults", "contract_total"}


def test_every_invoice_line_error_is_reported_on_its_line_and_field(prop):
    lines = [{"description": "Room", "unit_price": 10},
             {"description": "", "unit_price": "x", "quantity": 0},
             {"description": "Spa", "unit_price": 5, "tax_rate": -1}]
    with pytest.raises(ValidationError) as error:
        invoice_service.create_invoice(prop, {"lines": lines, "due_date": "later"})
    assert error.value.errors == {
        "due_date": "Due date must be a date (YYYY-MM-DD).",
        "lines.1.description": "Line 2: Description is required.",
        "lines.1.quantity": "Line 2: Quantity must be between 1 and 10000.",
        "lines.1.unit_price": "Line 2: Unit price must be a number.",
        "lines.2.tax_rate": "Line 3: Tax rate cannot be negative.",
    }


def test_a_deposit_reports_amount_and_reference_together(prop, double, guest):
    booking = service.create_booking(prop, stay([double], guest))
    with pytest.raises(ValidationError) as error:
        note_service.save_deposit(booking, "0", "  ")
    assert set(error.value.errors) == {"amount", "reference"}
    assert booking.deposits == []


# ---- tariffs: the property's room types ---------------------------------------------------------------


def test_a_tariff_for_a_room_type_the_property_lacks_is_refused(prop, double, events):
    events.mark()
    values = {"room_type": "Penthouse", "start_date": days(1), "end_date": days(30), "rate_per_night": 500}
    with pytest.raises(ValidationError) as error:
        tariff_service.save_tariff(prop, values)
    assert error.value.errors == {"room_type": "Room type must be one of the property's room types (Double)."}
    assert events.rows() == []
    assert tariff_service.save_tariff(prop, {**values, "room_type": "Double"}).room_type == "Double"


def test_a_tariff_keeps_its_room_type_after_the_last_room_of_it_went(prop, double, family):
    from jomres_like.services.rooms import delete_room

    values = {"room_type": "Family", "start_date": days(1), "end_date": days(30), "rate_per_night": 90}
    tariff = tariff_service.save_tariff(prop, values)
    delete_room(family)
    tariff_service.save_tariff(prop, {**values, "rate_per_night": 95}, tariff)
    assert tariff.rate_per_night == 95
    with pytest.raises(ValidationError):
        tariff_service.save_tariff(prop, values)  # but no new tariff for it


def test_a_room_added_in_the_same_transaction_makes_its_type_priceable(prop, double):
    from jomres_like.services.rooms import add_room

    assert tariff_service.room_types(prop) == ["Double"]  # loads what there is
    add_room(prop, {"number": "9", "room_type": "Suite", "max_people": 3})
    values = {"room_type": "Suite", "start_date": days(1), "end_date": days(30), "rate_per_night": 300}
    assert tariff_service.save_tariff(prop, values).room_type == "Suite"


def test_replacing_tariffs_refuses_an_unknown_room_type_by_item(prop, double):
    good = {"room_type": "Double", "start_date": days(1), "end_date": days(30), "rate_per_night": 90}
    with pytest.raises(ValidationError) as error:
        tariff_service.replace_tariffs(prop, [good, {**good, "room_type": "Penthouse", "rate_per_night": -1}])
    assert set(error.value.errors) == {"tariffs.1.room_type", "tariffs.1.rate_per_night"}


def test_every_tariff_error_is_reported_at_once(prop, double):
    with pytest.raises(ValidationError) as error:
        tariff_service.save_tariff(prop, {"room_type": "Suite", "start_date": days(5), "end_date": days(1),
                                          "rate_per_night": "free", "min_nights": 0})
    assert set(error.value.errors) == {"room_type", "end_date", "rate_per_night", "min_nights"}


# ---- settings -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["EUR", "gbp", " usd ", "JPY", "CHF"])
def test_current_currency_codes_are_accepted(prop, code):
    property_service.update_settings(prop, {"currency": code})
    assert prop.setting("currency") == code.strip().upper()


@pytest.mark.parametrize("code", ["XYZ", "EU", "EURO", "HRK", "123", ""])
def test_other_currency_codes_are_refused(prop, code):
    with pytest.raises(ValidationError) as error:
        property_service.update_settings(prop, {"currency": code})
    assert error.value.field == "currency"
    assert prop.setting("currency") == "EUR"


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "two@@example.com", "a b@example.com", "@x.org"])
def test_a_contact_email_that_is_no_address_is_refused(prop, email):
    with pytest.raises(ValidationError) as error:
        property_service.update_settings(prop, {"contact_email": email})
    assert error.value.field == "contact_email"


def test_a_contact_email_may_be_blank_or_an_address(prop):
    property_service.update_settings(prop, {"contact_email": "desk@fawlty.example"})
    assert prop.setting("contact_email") == "desk@fawlty.example"
    property_service.update_settings(prop, {"contact_email": ""})
    assert prop.setting("contact_email") == ""


def test_every_settings_error_is_reported_at_once_and_nothing_changes(prop, events):
    events.mark()
    with pytest.raises(ValidationError) as error:
        property_service.update_settings(
            prop, {"currency": "XYZ", "contact_email": "nope", "deposit_percent": 150, "checkin_time": "9"}
        )
    assert set(error.value.errors) == {"currency", "contact_email", "deposit_percent", "checkin_time"}
    assert events.rows() == []


def test_a_property_email_must_be_an_address(prop):
    with pytest.raises(ValidationError) as error:
        property_service.update_property(prop, {"email": "info at hotel", "name": ""})
    assert set(error.value.errors) == {"email", "name"}


# ---- the booking number in other refusals -------------------------------------------------------------


def test_deleting_a_booked_room_or_guest_names_the_booking_number(prop, double, guest):
    from jomres_like.services.guests import delete_guest
    from jomres_like.services.rooms import delete_room

    booking = service.create_booking(prop, stay([double], guest))
    with pytest.raises(Conflict) as room_error:
        delete_room(double)
    assert f"(booking {booking.booking_number} first)" in room_error.value.message
    with pytest.raises(Conflict) as guest_error:
        delete_guest(guest)
    assert f"(booking {booking.booking_number})" in guest_error.value.message
