"""Booking actions, all POST with CSRF: cancel, no-show, check in/out and undo, notes, deposits."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, url_for
from flask_wtf import FlaskForm

from ..services import bookings as booking_service
from ..services import notes as note_service
from . import failed_forms
from .blueprint import bp
from .bookings import render_booking
from .common import attempt, child, current_property, page
from .forms import ActionForm, CancelForm, DepositForm, NoteForm

BOOKING = "/properties/<int:property_uid>/bookings/<int:contract_uid>"


def _load(property_uid: int, contract_uid: int):
    prop = current_property(property_uid)
    return prop, child(booking_service.get_booking, prop, contract_uid)


def _act(
    property_uid: int,
    contract_uid: int,
    form: FlaskForm,
    form_name: str,
    action: Callable,
    done: str,
    redirect_errors: bool = False,
):
    """Run ``action(booking, form)``; back to the booking with a flash, or the booking page with the error.

    With ``redirect_errors`` a failure goes back to the booking too (303), its form kept for that page.
    """
    prop, booking = _load(property_uid, contract_uid)
    back = url_for("manager.booking_view", property_uid=prop.id, contract_uid=booking.id)
    number = booking.booking_number  # read before the commit expires it
    outcome = attempt(form, lambda: action(booking, form)) if form.validate_on_submit() else None
    if outcome is not None and outcome.ok:
        flash(done.format(number=number), "success")
        return redirect(back)
    if redirect_errors:
        failed_forms.keep(booking.id, form_name, form)
        return redirect(back, 303)
    return render_booking(prop, booking, outcome.status if outcome else 422, **{form_name: form})


@bp.route(BOOKING + "/cancel", methods=["POST"])
def booking_cancel(property_uid: int, contract_uid: int):
    """Cancel a booking, with a reason."""
    return _act(
        property_uid,
        contract_uid,
        CancelForm(),
        "cancel_form",
        lambda booking, form: booking_service.cancel_booking(booking, form.reason.data or ""),
        "Booking {number} cancelled.",
    )


def _state_action(name: str, function: Callable, done: str, path: str, doc: str) -> None:
    def view(property_uid: int, contract_uid: int):
        return _act(
            property_uid,
            contract_uid,
            ActionForm(),
            "action_form",
            lambda booking, _form: function(booking),
            done,
        )

    view.__name__ = name
    view.__doc__ = f"{doc} (POST)."
    bp.add_url_rule(BOOKING + path, name, view, methods=["POST"])


STATE_ACTIONS = (  # endpoint, service, flash, path, docstring
    ("booking_noshow", booking_service.mark_noshow, "Booking {number} marked as a no-show.", "/noshow",
     "Mark the booking as a no-show"),
    ("booking_checkin", booking_service.check_in, "Booking {number}: guest checked in.", "/checkin",
     "Check the guest in"),
    ("booking_checkin_undo", booking_service.undo_check_in, "Booking {number}: check-in undone.",
     "/checkin/undo", "Undo the check-in"),
    ("booking_checkout", booking_service.check_out, "Booking {number}: guest checked out.", "/checkout",
     "Check the guest out"),
    ("booking_checkout_undo", booking_service.undo_check_out, "Booking {number}: check-out undone.",
     "/checkout/undo", "Undo the check-out"),
)
for _action in STATE_ACTIONS:
    _state_action(*_action)


@bp.route(BOOKING + "/notes", methods=["POST"])
def note_add(property_uid: int, contract_uid: int):
    """Add a note to a booking."""
    return _act(
        property_uid,
        contract_uid,
        NoteForm(),
        "note_form",
        lambda booking, form: note_service.save_note(booking, form.text.data),
        "Note added to booking {number}.",
        redirect_errors=True,
    )


@bp.route(BOOKING + "/notes/<int:note_id>/edit", methods=["GET", "POST"])
def note_edit(property_uid: int, contract_uid: int, note_id: int):
    """Edit a note."""
    prop, booking = _load(property_uid, contract_uid)
    note = child(note_service.get_note, booking, note_id)
    form = NoteForm(obj=note)
    if form.validate_on_submit():
        outcome = attempt(form, lambda: note_service.save_note(booking, form.text.data, note))
        if outcome.ok:
            flash(f"Note on booking {booking.booking_number} saved.", "success")
            return redirect(url_for("manager.booking_view", property_uid=prop.id, contract_uid=booking.id))
        return page("manager/bookings/note.html", form, outcome.status, prop=prop, booking=booking, note=note)
    return page("manager/bookings/note.html", form, prop=prop, booking=booking, note=note)


@bp.route(BOOKING + "/notes/<int:note_id>/delete", methods=["POST"])
def note_delete(property_uid: int, contract_uid: int, note_id: int):
    """Delete a note."""
    _prop, booking = _load(property_uid, contract_uid)
    note = child(note_service.get_note, booking, note_id)
    return _act(
        property_uid,
        contract_uid,
        ActionForm(),
        "action_form",
        lambda _booking, _form: note_service.delete_note(note),
        "Note deleted from booking {number}.",
    )


@bp.route(BOOKING + "/deposits", methods=["POST"])
def deposit_add(property_uid: int, contract_uid: int):
    """Record a deposit payment."""
    return _act(
        property_uid,
        contract_uid,
        DepositForm(),
        "deposit_form",
        lambda booking, form: note_service.save_deposit(booking, form.amount.data, form.reference.data),
        "Deposit recorded on booking {number}.",
        redirect_errors=True,
    )
