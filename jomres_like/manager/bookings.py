"""Booking pages: the list with filters, new, view, edit."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Guest, Property, Room
from ..services import bookings as booking_service
from ..services.extras import live_extras
from ..services.guest_types import live_guest_types
from . import failed_forms
from .blueprint import bp
from .common import MAX_ID, attempt, child, current_property, page, paginate
from .forms import (
    ActionForm,
    BookingEditForm,
    BookingFilterForm,
    BookingForm,
    CancelForm,
    DepositForm,
    NoteForm,
)

NEW_GUEST = "New guest (fill in below)"


def live_rooms(prop: Property) -> list[Room]:
    """The rooms of ``prop`` that are not deleted."""
    return [room for room in prop.rooms if not room.deleted]


def live_guests(prop: Property) -> list[Guest]:
    """The guests of ``prop`` that are not deleted, by name."""
    query = (
        select(Guest)
        .where(Guest.property_id == prop.id, Guest.deleted.is_(False))
        .order_by(Guest.surname, Guest.firstname, Guest.id)
    )
    return list(db.session.scalars(query))


def submitted_guests(prop: Property) -> list[Guest]:
    """The guest a posted booking form names, if it is a live guest of ``prop``; else none.

    That is all the guest field's choices need to be validated: a property with thousands of guests does not
    load them all for each booking saved. They are loaded only to show the form (:func:`live_guests`).
    """
    try:
        guest_id = int(request.form.get("guest_uid", ""))
    except ValueError:
        return []
    guest = db.session.get(Guest, guest_id) if 0 < guest_id <= MAX_ID else None
    return [guest] if guest is not None and guest.property_id == prop.id and not guest.deleted else []


def option_choices(prop: Property, booking=None) -> dict:
    """The extras and guest types the booking form offers, by id: the live ones and the booking's own."""
    extras = {extra.id: extra for extra in live_extras(prop)}
    kinds = {kind.id: kind for kind in live_guest_types(prop)}
    if booking is not None:
        extras.update({line.extra_id: line.extra for line in booking.extras})
        kinds.update({line.guest_type_id: line.guest_type for line in booking.guest_types})
    return {"extra_choices": extras, "guest_type_choices": kinds}


def fill_options(form, choices: dict, booking=None) -> None:
    """A line per extra and guest type on a form being shown first: the booking's amounts, or for a new
    booking the auto-select extras once."""
    quantities = {line.extra_id: line.quantity for line in booking.extras} if booking else {}
    counts = {line.guest_type_id: line.count for line in booking.guest_types} if booking else {}
    form.fill_options(
        [(uid, quantities.get(uid, 0) if booking else int(extra.auto_select))
         for uid, extra in choices["extra_choices"].items()],
        [(uid, counts.get(uid, 0)) for uid in choices["guest_type_choices"]],
        booking.coupon.code if booking is not None and booking.coupon is not None else "",
    )


@bp.route("/properties/<int:property_uid>/bookings")
def bookings(property_uid: int):
    """A property's bookings, filtered by dates, status and guest or booking number, a page at a time."""
    prop = current_property(property_uid)
    filters = BookingFilterForm(request.args)
    status = 200
    query_args = {}
    if filters.validate():
        query_args = {
            "start": filters.start.data,
            "end": filters.end.data,
            "status": filters.status.data or None,
            "search": (filters.q.data or "").strip(),
        }
    else:
        status = 400
    pagination = paginate(booking_service.bookings_query(prop, **query_args))
    return page(
        "manager/bookings/list.html", status=status, prop=prop, filters=filters, pagination=pagination
    )


@bp.route("/properties/<int:property_uid>/bookings/new", methods=["GET", "POST"])
def booking_new(property_uid: int):
    """Book rooms for an existing or a new guest."""
    prop = current_property(property_uid)
    form = BookingForm()
    rooms = live_rooms(prop)
    submitted = form.is_submitted()
    form.set_choices(rooms, submitted_guests(prop) if submitted else live_guests(prop), NEW_GUEST)
    status = None  # a form error after a POST: 422
    if form.validate_on_submit():
        outcome = attempt(
            form, lambda: booking_service.create_booking(prop, form.values()), BookingForm.GUEST_ALIASES
        )
        if outcome.ok:
            flash(f"Booking {outcome.value.booking_number} created.", "success")
            return redirect(
                url_for("manager.booking_view", property_uid=prop.id, contract_uid=outcome.value.id)
            )
        status = outcome.status
    choices = option_choices(prop)
    if submitted:  # shown again with its errors: every guest to choose from
        form.set_choices(rooms, live_guests(prop), NEW_GUEST)
    else:
        fill_options(form, choices)
    return page("manager/bookings/form.html", form, status, prop=prop, booking=None, **choices)


def render_booking(prop: Property, booking, status: int = 200, **forms):
    """The booking page, with its action forms (those given carry errors to show)."""
    forms.setdefault("cancel_form", CancelForm())
    forms.setdefault("note_form", NoteForm(formdata=None))
    forms.setdefault("deposit_form", DepositForm(formdata=None))
    forms.setdefault("action_form", ActionForm())
    return page("manager/bookings/view.html", status=status, prop=prop, booking=booking, **forms)


@bp.route("/properties/<int:property_uid>/bookings/<int:contract_uid>")
def booking_view(property_uid: int, contract_uid: int):
    """A booking: details, rooms, guest, notes, deposits and the actions its state allows."""
    prop = current_property(property_uid)
    booking = child(booking_service.get_booking, prop, contract_uid)
    kept = failed_forms.restore(booking.id, {"note_form": NoteForm, "deposit_form": DepositForm})
    return render_booking(prop, booking, **kept)


@bp.route("/properties/<int:property_uid>/bookings/<int:contract_uid>/edit", methods=["GET", "POST"])
def booking_edit(property_uid: int, contract_uid: int):
    """Change a booking's dates, rooms, guest, amounts or requests."""
    prop = current_property(property_uid)
    booking = child(booking_service.get_booking, prop, contract_uid)
    form = BookingEditForm(obj=booking)
    rooms = live_rooms(prop)
    rooms += [room for room in booking.rooms if room not in rooms]
    submitted = form.is_submitted()
    form.set_choices(rooms, submitted_guests(prop) if submitted else live_guests(prop))
    status = None  # a form error after a POST: 422
    if form.validate_on_submit():
        number = booking.booking_number  # read before the commit expires it
        outcome = attempt(form, lambda: booking_service.modify_booking(booking, form.values()))
        if outcome.ok:
            flash(f"Booking {number} saved." if outcome.value else f"Booking {number}: nothing changed.",
                  "success")
            # the ids from the URL: the committed objects would be loaded again just to read them
            return redirect(
                url_for("manager.booking_view", property_uid=property_uid, contract_uid=contract_uid)
            )
        status = outcome.status
    choices = option_choices(prop, booking)
    if submitted:  # shown again with its errors: every guest to choose from
        form.set_choices(rooms, live_guests(prop))
    else:
        form.room_uids.data = [room.id for room in booking.rooms]
        form.guest_uid.data = str(booking.guest_id)
        fill_options(form, choices, booking)
    return page("manager/bookings/form.html", form, status, prop=prop, booking=booking, **choices)
