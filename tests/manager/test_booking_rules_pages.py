"""The booking rules on the manager pages: every error of a form at once, each beside its field."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import Booking, BookingNote, Deposit, Invoice, Property, Room, Tariff
from jomres_like.timeutil import utc_today

from .helpers import count, get

TODAY = utc_today()
BOOKINGS = "/manager/properties/1/bookings"


class _Errors(HTMLParser):
    """The ``field-error`` messages of a page by the id of the control they follow, and the form errors."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self.above: list[str] = []
        self._control = None
        self._into = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("id") and attrs.get("type") != "hidden":
            # the room checkboxes are one field: its errors follow the last of them
            self._control = "room_uids" if attrs["id"].startswith("room_uids-") else attrs["id"]
        elif tag == "small" and attrs.get("class") == "field-error":
            self._into = self.fields.setdefault(self._control, [])
        elif tag == "p" and "flash-error" in (attrs.get("class") or ""):
            self._into = self.above

    def handle_data(self, data):
        if self._into is not None and data.strip():
            self._into.append(data.strip())
            self._into = None


def errors_of(body: str) -> _Errors:
    """Parse ``body`` for its errors."""
    parser = _Errors()
    parser.feed(body)
    return parser


def day(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def room_of(app, number: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Room.id).where(Room.property_id == 1, Room.number == number))


def new_booking(app, **extra) -> dict:
    """A valid new booking of room 101 (a Double for two) for the first demo guest, far ahead."""
    return {"arrival": day(150), "departure": day(152), "room_uids": [str(room_of(app, "101"))],
            "guest_uid": "1", "adults": "2", "children": "0", **extra}


# ---- bookings -----------------------------------------------------------------------------------------


def test_nine_adults_in_a_double_are_refused_beside_the_adults_field(app, manager):
    before = count(app, Booking)
    response = manager.post(f"{BOOKINGS}/new", data=new_booking(app, adults="9"))
    assert response.status_code == 422
    assert errors_of(response.get_data(as_text=True)).fields == {
        "adults": ["9 people do not fit: room 101 (2) sleeps 2 at most."]
    }
    assert count(app, Booking) == before


def test_the_family_room_takes_four(app, manager):
    data = new_booking(app, adults="2", children="2", room_uids=[str(room_of(app, "104"))])
    assert manager.post(f"{BOOKINGS}/new", data=data).status_code == 302


def test_every_error_of_the_booking_form_is_shown_at_once_beside_its_field(app, manager):
    """A past arrival, too many people and a deposit above the total: three messages, three fields."""
    response = manager.post(
        f"{BOOKINGS}/new",
        data=new_booking(app, arrival=day(-2), departure=day(1), adults="5", contract_total="100",
                         deposit_required="150"),
    )
    assert response.status_code == 422
    errors = errors_of(response.get_data(as_text=True))
    assert set(errors.fields) == {"arrival", "adults", "deposit_required"}
    assert "past stay" in errors.fields["arrival"][0]
    assert errors.above == []


def test_a_past_stay_is_recorded_when_marked_so(app, manager):
    data = new_booking(app, arrival=day(-20), departure=day(-18), contract_total="180")
    refused = manager.post(f"{BOOKINGS}/new", data=data)
    assert refused.status_code == 422 and "arrival" in errors_of(refused.get_data(as_text=True)).fields
    assert manager.post(f"{BOOKINGS}/new", data={**data, "past_stay": "y"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Booking).where(Booking.arrival == TODAY - timedelta(days=20)))


def test_the_overlap_error_names_the_booking_number_the_pages_show(app, manager):
    assert manager.post(f"{BOOKINGS}/new", data=new_booking(app)).status_code == 302
    with app.app_context():
        taken = db.session.scalars(select(Booking).order_by(Booking.id.desc())).first()
        number, uid = taken.booking_number, taken.id
    response = manager.post(f"{BOOKINGS}/new", data=new_booking(app, arrival=day(151), departure=day(153)))
    assert response.status_code == 409
    messages = errors_of(response.get_data(as_text=True)).fields["room_uids"]
    assert messages == [f"Room 101 is already booked from {day(150)} to {day(152)} (booking {number})."]
    assert number in manager.get(f"{BOOKINGS}/{uid}").get_data(as_text=True)


def test_one_night_one_adult_is_said_so(app, manager):
    data = new_booking(app, departure=day(151), adults="1", children="1")
    response = manager.post(f"{BOOKINGS}/new", data=data)
    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert "(1 night)" in page and "1 nights" not in page
    assert "1 adult, 1 child" in page


# ---- notes and deposits: Post/Redirect/Get ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data", "form_field", "message"),
    [
        ("notes", {"text": "  "}, "text", "This field is required."),
        ("notes", {"text": "x" * 5001}, "text", "Field cannot be longer than 5000 characters."),
        ("deposits", {"amount": "0", "reference": "PAY-9"}, "amount", "Amount must be more than 0."),
        ("deposits", {"amount": "ten", "reference": ""}, "amount", "Not a valid decimal value."),
    ],
)
def test_a_failed_note_or_deposit_redirects_and_shows_its_errors_once(
    app, manager, path, data, form_field, message
):
    """The POST answers 303 to the booking page (a reload re-posts nothing), which shows the error once."""
    uid = get(app, Booking, 1).id
    notes, deposits = count(app, BookingNote), count(app, Deposit)
    response = manager.post(f"{BOOKINGS}/{uid}/{path}", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{BOOKINGS}/{uid}")
    page = manager.get(response.headers["Location"])
    assert page.status_code == 200
    errors = errors_of(page.get_data(as_text=True)).fields
    assert errors[form_field] == [message]
    assert "This field is required." in errors.get("reference", ["This field is required."])
    again = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert errors_of(again).fields == {}
    assert (count(app, BookingNote), count(app, Deposit)) == (notes, deposits)


def test_a_failed_deposit_keeps_what_was_typed(app, manager):
    uid = get(app, Booking, 1).id
    response = manager.post(f"{BOOKINGS}/{uid}/deposits", data={"amount": "-3", "reference": "BANK-77"})
    page = manager.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="BANK-77"' in page and 'value="-3"' in page
    assert errors_of(page).fields == {"amount": ["Amount cannot be negative."]}


def test_the_kept_form_is_only_shown_on_its_booking(app, manager):
    uid, other = get(app, Booking, 1).id, get(app, Booking, 2).id
    manager.post(f"{BOOKINGS}/{uid}/notes", data={"text": ""})
    assert errors_of(manager.get(f"{BOOKINGS}/{other}").get_data(as_text=True)).fields == {}


# ---- tariffs ------------------------------------------------------------------------------------------


def test_the_tariff_form_offers_the_propertys_room_types(app, manager):
    page = manager.get("/manager/properties/1/tariffs/new").get_data(as_text=True)
    assert '<select id="room_type" name="room_type">' in page
    for kind in ("Double", "Twin", "Family"):
        assert f'<option value="{kind}">{kind}</option>' in page


def test_a_tariff_for_a_room_type_the_property_lacks_is_refused_with_its_other_errors(app, manager):
    before = count(app, Tariff)
    response = manager.post("/manager/properties/1/tariffs/new", data={
        "room_type": "Penthouse", "start_date": day(10), "end_date": day(5), "rate_per_night": "500",
        "min_nights": "1", "max_nights": "7", "pricing_type": "per_room",
    })
    assert response.status_code == 422
    errors = errors_of(response.get_data(as_text=True)).fields
    assert errors == {
        "room_type": ["Room type must be one of the property's room types (Double, Family, Twin)."],
        "end_date": ["End date must be after start date."],
    }
    assert count(app, Tariff) == before


# ---- settings -----------------------------------------------------------------------------------------


def test_settings_refuse_an_unknown_currency_and_a_bad_email_at_once(app, manager):
    response = manager.post("/manager/properties/1/settings", data={
        "currency": "XYZ", "checkin_time": "14:00", "checkout_time": "11:00", "deposit_percent": "20",
        "tax_rate": "0", "contact_email": "front desk", "contact_phone": "",
    })
    assert response.status_code == 422
    errors = errors_of(response.get_data(as_text=True)).fields
    assert set(errors) == {"currency", "contact_email"}
    assert "ISO 4217" in errors["currency"][0]
    with app.app_context():
        assert db.session.get(Property, 1).setting("currency") == "EUR"


def test_settings_accept_a_current_currency(app, manager):
    response = manager.post("/manager/properties/1/settings", data={
        "currency": "gbp", "checkin_time": "14:00", "checkout_time": "11:00", "deposit_percent": "20",
        "tax_rate": "0", "contact_email": "desk@fawlty.example", "contact_phone": "",
    })
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Property, 1).setting("currency") == "GBP"


# ---- invoices -----------------------------------------------------------------------------------------


def test_invoice_line_errors_are_shown_beside_their_line_not_as_a_flash(app, manager):
    """Line 1 left blank is skipped; the errors of the lines typed in rows 2 and 4 land on those rows."""
    before = count(app, Invoice)
    data = {
        "contract_uid": "", "guest_uid": "1", "due_date": "",
        "lines-0-description": "", "lines-0-quantity": "1", "lines-0-unit_price": "", "lines-0-tax_rate": "0",
        "lines-1-description": "Room", "lines-1-quantity": "1", "lines-1-unit_price": "-5",
        "lines-1-tax_rate": "0",
        "lines-2-description": "Breakfast", "lines-2-quantity": "2", "lines-2-unit_price": "10",
        "lines-2-tax_rate": "0",
        "lines-3-description": "", "lines-3-quantity": "1", "lines-3-unit_price": "4",
        "lines-3-tax_rate": "0",
    }
    response = manager.post("/manager/properties/1/invoices/new", data=data)
    assert response.status_code == 422
    errors = errors_of(response.get_data(as_text=True))
    assert errors.fields == {
        "lines-1-unit_price": ["Line 1: Unit price cannot be negative."],
        "lines-3-description": ["Line 3: Description is required."],
    }
    assert errors.above == []
    assert count(app, Invoice) == before


# ---- the booking number in every message --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data", "flash"),
    [
        ("checkin", {}, "Booking {number}: guest checked in."),
        ("noshow", {}, "Booking {number} marked as a no-show."),
        ("cancel", {"reason": "Plans changed"}, "Booking {number} cancelled."),
        ("notes", {"text": "Late arrival"}, "Note added to booking {number}."),
        ("deposits", {"amount": "10", "reference": "PAY-1"}, "Deposit recorded on booking {number}."),
    ],
)
def test_booking_flashes_name_the_booking_number(app, manager, path, data, flash):
    booking = get(app, Booking, 2)
    response = manager.post(f"{BOOKINGS}/{booking.id}/{path}", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert flash.format(number=booking.booking_number) in response.get_data(as_text=True)


def test_saving_a_booking_names_its_number(app, manager):
    with app.app_context():
        booking = db.session.get(Booking, 2)
        rooms = [str(r.id) for r in booking.rooms]
        db.session.expunge(booking)
    form = {"arrival": booking.arrival.isoformat(), "departure": booking.departure.isoformat(),
            "room_uids": rooms, "guest_uid": str(booking.guest_id),
            "adults": "1", "children": "0", "contract_total": "1", "deposit_required": "0"}
    page = manager.post(f"{BOOKINGS}/{booking.id}/edit", data=form, follow_redirects=True)
    assert f"Booking {booking.booking_number} saved." in page.get_data(as_text=True)
    again = manager.post(f"{BOOKINGS}/{booking.id}/edit", data=form, follow_redirects=True)
    assert f"Booking {booking.booking_number}: nothing changed." in again.get_data(as_text=True)
