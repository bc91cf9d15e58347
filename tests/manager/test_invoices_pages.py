"""Invoice pages: list, new with lines, view, mark paid, cancel."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import Booking, Invoice

from .helpers import count, events, get


def _lines(*rows) -> dict:
    data = {}
    for index, (description, quantity, price) in enumerate(rows):
        data[f"lines-{index}-description"] = description
        data[f"lines-{index}-quantity"] = str(quantity)
        data[f"lines-{index}-unit_price"] = str(price)
        data[f"lines-{index}-tax_rate"] = "10"
    return data


def test_list_and_view(app, manager):
    """The demo's invoices are listed and viewable with their lines."""
    body = manager.get("/manager/properties/1/invoices").get_data(as_text=True)
    with app.app_context():
        uid = db.session.scalar(select(Invoice.id).where(Invoice.property_id == 1).order_by(Invoice.id))
    assert f"/manager/properties/1/invoices/{uid}" in body
    page = manager.get(f"/manager/properties/1/invoices/{uid}").get_data(as_text=True)
    assert "Accommodation" in page and "Mark paid" in page


def test_new_invoice_for_a_booking(app, manager):
    """Two filled lines and two blank ones make a two-line invoice for the booking's guest."""
    with app.app_context():
        booking = db.session.scalar(select(Booking).where(Booking.property_id == 1).order_by(Booking.id))
        booking_id, guest_id = booking.id, booking.guest_id
    data = {
        "contract_uid": str(booking_id),
        "guest_uid": "",
        "due_date": "2030-01-31",
        **_lines(("Dinner", 2, "30.00"), ("Wine", 1, "20")),
    }
    assert manager.get("/manager/properties/1/invoices/new").status_code == 200
    response = manager.post("/manager/properties/1/invoices/new", data=data)
    assert response.status_code == 302
    uid = events(app, "invoice_created")[-1].data["invoice_uid"]
    with app.app_context():
        invoice = db.session.get(Invoice, uid)
        assert (invoice.booking_id, invoice.guest_id, len(invoice.lines)) == (booking_id, guest_id, 2)
        assert invoice.total == Decimal("88.00")


def test_new_invoice_without_lines_is_a_form_error(app, manager):
    """An invoice needs at least one line."""
    before = count(app, Invoice)
    response = manager.post("/manager/properties/1/invoices/new", data={"contract_uid": "", "guest_uid": ""})
    assert response.status_code == 422 and "at least one line" in response.get_data(as_text=True)
    assert count(app, Invoice) == before


def test_new_invoice_with_a_bad_price_is_a_form_error(manager):
    """A non-numeric unit price is refused on its cell."""
    response = manager.post("/manager/properties/1/invoices/new", data=_lines(("Dinner", 1, "lots")))
    assert response.status_code == 422


def test_mark_paid_then_cancel_is_refused(app, manager):
    """A paid invoice cannot be cancelled: 409 and it stays paid."""
    with app.app_context():
        uid = db.session.scalar(select(Invoice.id).where(Invoice.property_id == 1).order_by(Invoice.id))
    assert manager.post(f"/manager/properties/1/invoices/{uid}/paid").status_code == 302
    assert get(app, Invoice, uid).status == "paid"
    assert events(app, "invoice_updated")[-1].event_metadata["changes"]["status"] == ["pending", "paid"]
    response = manager.post(f"/manager/properties/1/invoices/{uid}/cancel")
    assert response.status_code == 409 and "cannot be cancelled" in response.get_data(as_text=True)
    assert get(app, Invoice, uid).status == "paid"


def test_cancel_a_pending_invoice(app, manager):
    """Cancelling raises ``invoice_cancelled``."""
    with app.app_context():
        uid = db.session.scalar(select(Invoice.id).where(Invoice.property_id == 2).order_by(Invoice.id))
    assert manager.post(f"/manager/properties/2/invoices/{uid}/cancel").status_code == 302
    assert events(app, "invoice_cancelled")[-1].data == {"property_uid": 2, "invoice_uid": uid}
