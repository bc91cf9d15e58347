"""Invoices: create, update (status, lines, due date), cancel."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import INVOICE_STATUSES, Invoice, InvoiceLine, Property
from . import Conflict, NotFound, ValidationError
from .bookings import get_booking
from .events import json_value, raise_event
from .guests import get_guest
from .validation import a_date, money, require_text, whole_number


def get_invoice(prop: Property, invoice_uid: int) -> Invoice:
    """Return an invoice of ``prop`` or raise :class:`NotFound`."""
    invoice = db.session.get(Invoice, invoice_uid)
    if invoice is None or invoice.property_id != prop.id:
        raise NotFound("No such invoice.")
    return invoice


def _lines(items: Any) -> list[InvoiceLine]:
    if not isinstance(items, list) or not items:
        raise ValidationError("An invoice needs at least one line.", field="lines")
    lines = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ValidationError(f"Line {index} must be an object.", field="lines")
        try:
            lines.append(
                InvoiceLine(
                    description=require_text(item.get("description"), "lines", "Description", 255),
                    quantity=whole_number(item.get("quantity", 1), "lines", "Quantity", 1, 10000),
                    unit_price=money(item.get("unit_price"), "lines", "Unit price"),
                    tax_rate=money(item.get("tax_rate", 0), "lines", "Tax rate"),
                )
            )
        except ValidationError as exc:
            raise ValidationError(f"Line {index}: {exc.message}", field="lines") from exc
    return lines


def create_invoice(prop: Property, values: dict[str, Any]) -> Invoice:
    """Create a pending invoice, for a booking or a guest; raise ``invoice_created``."""
    booking = guest = None
    if values.get("contract_uid") not in (None, ""):
        try:
            booking = get_booking(prop, int(values["contract_uid"]))
        except (NotFound, TypeError, ValueError) as exc:
            raise ValidationError("Unknown booking for this property.", field="contract_uid") from exc
        guest = booking.guest
    elif values.get("guest_uid") not in (None, ""):
        try:
            guest = get_guest(prop, int(values["guest_uid"]))
        except (NotFound, TypeError, ValueError) as exc:
            raise ValidationError("Unknown guest for this property.", field="guest_uid") from exc
    due = a_date(values["due_date"], "due_date", "Due date") if values.get("due_date") else None
    invoice = Invoice(
        property_id=prop.id,
        booking_id=booking.id if booking else None,
        guest_id=guest.id if guest else None,
        currency=prop.setting("currency"),
        due_date=due,
    )
    invoice.lines = _lines(values.get("lines"))
    db.session.add(invoice)
    db.session.flush()
    raise_event("invoice_created", property_uid=prop.id, invoice_uid=invoice.id)
    return invoice


def update_invoice(invoice: Invoice, values: dict[str, Any]) -> dict:
    """Change an invoice's status, due date or lines; raise ``invoice_updated`` with the changes."""
    if invoice.status == "cancelled":
        raise Conflict("A cancelled invoice cannot be changed.", field="invoice")
    changes: dict[str, list] = {}
    if "status" in values:
        status = values["status"]
        if status not in INVOICE_STATUSES or status == "cancelled":
            raise ValidationError("Status must be pending or paid (cancel to cancel).", field="status")
        if status != invoice.status:
            changes["status"] = [invoice.status, status]
            invoice.status = status
    if "due_date" in values:
        due = a_date(values["due_date"], "due_date", "Due date") if values["due_date"] else None
        if due != invoice.due_date:
            changes["due_date"] = [json_value(invoice.due_date), json_value(due)]
            invoice.due_date = due
    if "lines" in values:
        old_total = invoice.total
        invoice.lines = _lines(values["lines"])
        db.session.flush()
        if invoice.total != old_total:
            changes["total"] = [json_value(old_total), json_value(invoice.total)]
    if changes:
        db.session.flush()
        raise_event("invoice_updated", property_uid=invoice.property_id, invoice_uid=invoice.id,
                    changes=changes)
    return changes


def cancel_invoice(invoice: Invoice) -> None:
    """Cancel an invoice that is not paid; raise ``invoice_cancelled``."""
    if invoice.status == "cancelled":
        raise Conflict("This invoice is already cancelled.", field="invoice")
    if invoice.status == "paid":
        raise Conflict("A paid invoice cannot be cancelled.", field="invoice")
    invoice.status = "cancelled"
    db.session.flush()
    raise_event("invoice_cancelled", property_uid=invoice.property_id, invoice_uid=invoice.id)
