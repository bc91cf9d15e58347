"""Invoice pages: list, new with lines, view, mark paid, cancel."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Booking, Invoice
from ..services import invoices as invoice_service
from .blueprint import bp
from .bookings import live_guests
from .common import attempt, child, current_property, page, paginate
from .forms import ActionForm, InvoiceForm

INVOICES = "/properties/<int:property_uid>/invoices"
BOOKING_CHOICES = 200


@bp.route(INVOICES)
def invoices(property_uid: int):
    """A property's invoices, newest first, a page at a time."""
    prop = current_property(property_uid)
    query = select(Invoice).where(Invoice.property_id == prop.id).order_by(Invoice.id.desc())
    return page("manager/invoices/list.html", prop=prop, pagination=paginate(query))


@bp.route(INVOICES + "/new", methods=["GET", "POST"])
def invoice_new(property_uid: int):
    """Create an invoice for a booking or a guest, with up to twenty lines."""
    prop = current_property(property_uid)
    form = InvoiceForm()
    recent = db.session.scalars(
        select(Booking)
        .where(Booking.property_id == prop.id)
        .order_by(Booking.arrival.desc(), Booking.id.desc())
        .limit(BOOKING_CHOICES)
    )
    form.set_choices(list(recent), live_guests(prop))
    if form.validate_on_submit():
        values = form.values()
        outcome = attempt(form, lambda: invoice_service.create_invoice(prop, values), form.error_aliases())
        if outcome.ok:
            flash(f"Invoice {outcome.value.id} created.", "success")
            return redirect(
                url_for("manager.invoice_view", property_uid=prop.id, invoice_uid=outcome.value.id)
            )
        return page("manager/invoices/form.html", form, outcome.status, prop=prop)
    return page("manager/invoices/form.html", form, prop=prop)


@bp.route(INVOICES + "/<int:invoice_uid>")
def invoice_view(property_uid: int, invoice_uid: int):
    """An invoice with its lines."""
    prop = current_property(property_uid)
    invoice = child(invoice_service.get_invoice, prop, invoice_uid)
    return page("manager/invoices/view.html", prop=prop, invoice=invoice, action_form=ActionForm())


def _invoice_action(property_uid: int, invoice_uid: int, action: Callable, done: str):
    prop = current_property(property_uid)
    invoice = child(invoice_service.get_invoice, prop, invoice_uid)
    form = ActionForm()
    outcome = attempt(form, lambda: action(invoice)) if form.validate_on_submit() else None
    if outcome is None or not outcome.ok:
        return page(
            "manager/invoices/view.html",
            status=outcome.status if outcome else 400,
            prop=prop,
            invoice=invoice,
            action_form=form,
        )
    flash(done, "success")
    return redirect(url_for("manager.invoice_view", property_uid=prop.id, invoice_uid=invoice.id))


@bp.route(INVOICES + "/<int:invoice_uid>/paid", methods=["POST"])
def invoice_paid(property_uid: int, invoice_uid: int):
    """Mark an invoice as paid."""
    return _invoice_action(
        property_uid,
        invoice_uid,
        lambda invoice: invoice_service.update_invoice(invoice, {"status": "paid"}),
        "Invoice marked as paid.",
    )


@bp.route(INVOICES + "/<int:invoice_uid>/cancel", methods=["POST"])
def invoice_cancel(property_uid: int, invoice_uid: int):
    """Cancel an unpaid invoice."""
    return _invoice_action(property_uid, invoice_uid, invoice_service.cancel_invoice, "Invoice cancelled.")
