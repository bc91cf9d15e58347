"""Invoices: create, update (status, lines, due date), cancel."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import INVOICE_STATUSES, Invoice, InvoiceLine, Property
from . import Conflict, NotFound, ValidationError
from .bookings import get_booking
from .events import json_value, raise_event
from .guests import get_guest
from .validation import Errors, a_date, money, require_text, whole_number


def get_invoice(prop: Property, invoice_uid: int) -> Invoice:
    """Return an invoice of ``prop`` or raise :class:`NotFound`."""
    invoice = db.session.get(Invoice, invoice_uid)
    if invoice is None or invoice.property_id != prop.id:
        raise NotFound("No such invoice.")
    return invoice


LINE_RULES = {
    "description": lambda v: require_text(v, "description", "Description", 255),
    "quantity": lambda v: whole_number(v, "quantity", "Quantity", 1, 10000),
    "unit_price": lambda v: money(v, "unit_price", "Unit price"),
    "tax_rate": lambda v: money(v, "tax_rate", "Tax rate"),
}

LINE_DEFAULTS = {"quantity": 1, "tax_rate": 0}


def _lines(items: Any, errors: Errors) -> list[InvoiceLine]:
    """The lines, typed; each error is kept in ``errors`` as ``lines.<index>.<field>`` (0-based)."""
    if not isinstance(items, list) or not items:
        errors.add("lines", "An invoice needs at least one line.")
        return []
    lines = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.add(f"lines.{index}", f"Line {index + 1} must be an object.")
            continue
        typed = {}
        for name, rule in LINE_RULES.items():
            try:
                typed[name] = rule(item.get(name, LINE_DEFAULTS.get(name)))
            except ValidationError as exc:
                errors.add(f"lines.{index}.{name}", f"Line {index + 1}: {exc.message}")
        if len(typed) == len(LINE_RULES):
            lines.append(InvoiceLine(**typed))
    return lines


def create_invoice(prop: Property, values: dict[str, Any]) -> Invoice:
    """Create a pending invoice, for a booking or a guest; raise ``invoice_created``.

    Every error is reported at once; a line's as ``lines.<index>.<field>`` (0-based index of ``lines``).
    """
    booking = guest = None
    errors = Errors()
    if values.get("contract_uid") not in (None, ""):
        try:
            booking = get_booking(prop, int(values["contract_uid"]))
            guest = booking.guest
        except (NotFound, TypeError, ValueError):
            errors.add("contract_uid", "Unknown booking for this property.")
    elif values.get("guest_uid") not in (None, ""):
        try:
            guest = get_guest(prop, int(values["guest_uid"]))
        except (NotFound, TypeError, ValueError):
            errors.add("guest_uid", "Unknown guest for this property.")
    due = errors.check(a_date, values["due_date"], "due_date", "Due date") if values.get("due_date") else None
    lines = _lines(values.get("lines"), errors)
    errors.raise_any()
    invoice = Invoice(
        property_id=prop.id,
        booking_id=booking.id if booking else None,
        guest_id=guest.id if guest else None,
        currency=prop.setting("currency"),
        due_date=due,
    )
    invoice.lines = lines
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
        errors = Errors()
        lines = _lines(values["lines"], errors)
        errors.raise_any()
        invoice.lines = lines
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
