"""services.invoices: invoice rules and invoice_created / invoice_updated / invoice_cancelled."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jomres_like.services import Conflict, NotFound, ValidationError
from jomres_like.services import invoices as service

from .helpers import days

LINES = [{"description": "Room", "quantity": 2, "unit_price": "50"},
         {"description": "Breakfast", "quantity": 1, "unit_price": 10, "tax_rate": 10}]


def test_create_invoice_for_a_booking_raises_invoice_created(prop, make_booking, events):
    booking = make_booking(prop)
    events.mark()

    invoice = service.create_invoice(prop, {"contract_uid": booking.id, "lines": LINES, "due_date": days(3)})

    assert (invoice.booking_id, invoice.guest_id) == (booking.id, booking.guest_id)
    assert (invoice.status, invoice.currency, invoice.due_date) == ("pending", "EUR", days(3))
    assert [line.total for line in invoice.lines] == [Decimal("100.00"), Decimal("11.00")]
    assert invoice.total == Decimal("111.00")
    event = events.one("invoice_created")
    assert event.data == {"property_uid": prop.id, "invoice_uid": invoice.id}


def test_create_invoice_for_a_guest_uses_the_property_currency(prop, make_guest, events):
    from jomres_like.services.properties import update_settings

    guest = make_guest(prop)
    update_settings(prop, {"currency": "GBP"})
    events.mark()

    invoice = service.create_invoice(prop, {"guest_uid": str(guest.id), "lines": LINES[:1]})

    assert (invoice.guest_id, invoice.booking_id, invoice.currency) == (guest.id, None, "GBP")
    assert events.names() == ["invoice_created"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": None}, "lines"),
        ({"lines": "Room"}, "lines"),
        ({"lines": ["Room"]}, "lines.0"),
        ({"lines": [{"description": "", "unit_price": 1}]}, "lines.0.description"),
        ({"lines": [{"description": "Room", "unit_price": -1}]}, "lines.0.unit_price"),
        ({"lines": [{"description": "Room", "unit_price": 1, "quantity": 0}]}, "lines.0.quantity"),
        ({"lines": [LINES[0], {"description": "Room", "unit_price": 1, "tax_rate": -5}]}, "lines.1.tax_rate"),
        ({"lines": LINES, "contract_uid": 999999}, "contract_uid"),
        ({"lines": LINES, "contract_uid": "x"}, "contract_uid"),
        ({"lines": LINES, "guest_uid": 999999}, "guest_uid"),
        ({"lines": LINES, "due_date": "next week"}, "due_date"),
    ],
)
def test_create_invoice_refuses_bad_values(prop, events, values, field):
    with pytest.raises(ValidationError) as error:
        service.create_invoice(prop, values)
    assert error.value.field == field
    assert events.rows() == []


def test_create_invoice_refuses_a_booking_or_guest_of_another_property(prop, other_prop, make_booking):
    booking = make_booking(other_prop)
    with pytest.raises(ValidationError):
        service.create_invoice(prop, {"contract_uid": booking.id, "lines": LINES})
    with pytest.raises(ValidationError):
        service.create_invoice(prop, {"guest_uid": booking.guest_id, "lines": LINES})


def test_update_invoice_records_status_due_date_and_total(prop, events):
    invoice = service.create_invoice(prop, {"lines": LINES})
    events.mark()

    changes = service.update_invoice(invoice, {"status": "paid", "due_date": days(7).isoformat(),
                                               "lines": [{"description": "Room", "unit_price": 80}]})

    assert changes == {"status": ["pending", "paid"], "due_date": [None, days(7).isoformat()],
                       "total": [111.0, 80.0]}
    assert (invoice.status, invoice.total, len(invoice.lines)) == ("paid", Decimal("80.00"), 1)
    event = events.one("invoice_updated")
    assert event.data == {"property_uid": prop.id, "invoice_uid": invoice.id}
    assert event.event_metadata == {"changes": changes}


def test_update_invoice_without_a_change_raises_nothing(prop, events):
    invoice = service.create_invoice(prop, {"lines": LINES})
    events.mark()
    assert service.update_invoice(invoice, {"status": "pending", "due_date": "", "lines": list(LINES)}) == {}
    assert events.rows() == []


@pytest.mark.parametrize(
    ("values", "field"),
    [({"status": "cancelled"}, "status"), ({"status": "lost"}, "status"), ({"lines": []}, "lines"),
     ({"due_date": "soon"}, "due_date")],
)
def test_update_invoice_refuses_bad_values(prop, events, values, field):
    invoice = service.create_invoice(prop, {"lines": LINES})
    events.mark()
    with pytest.raises(ValidationError) as error:
        service.update_invoice(invoice, values)
    assert error.value.field == field
    assert events.rows() == []


def test_cancel_invoice_raises_invoice_cancelled(prop, events):
    invoice = service.create_invoice(prop, {"lines": LINES})
    events.mark()

    service.cancel_invoice(invoice)

    assert invoice.status == "cancelled"
    assert events.one("invoice_cancelled").data == {"property_uid": prop.id, "invoice_uid": invoice.id}


@pytest.mark.parametrize("status", ["paid", "cancelled"])
def test_paid_or_cancelled_invoices_cannot_be_cancelled(prop, events, status):
    invoice = service.create_invoice(prop, {"lines": LINES})
    if status == "paid":
        service.update_invoice(invoice, {"status": "paid"})
    else:
        service.cancel_invoice(invoice)
    events.mark()
    with pytest.raises(Conflict):
        service.cancel_invoice(invoice)
    assert invoice.status == status
    assert events.rows() == []


def test_a_cancelled_invoice_cannot_be_changed(prop, events):
    invoice = service.create_invoice(prop, {"lines": LINES})
    service.cancel_invoice(invoice)
    events.mark()
    with pytest.raises(Conflict):
        service.update_invoice(invoice, {"status": "paid"})
    assert events.rows() == []


def test_get_invoice_refuses_an_invoice_of_another_property(prop, other_prop):
    invoice = service.create_invoice(other_prop, {"lines": LINES})
    with pytest.raises(NotFound):
        service.get_invoice(prop, invoice.id)
    assert service.get_invoice(other_prop, invoice.id) is invoice
