"""Black booking pages: list, new, delete (rooms taken out of service)."""

from __future__ import annotations

from flask import flash, redirect, url_for

from ..services import blackbookings as black_service
from .blueprint import bp
from .bookings import live_rooms
from .common import attempt, child, current_property, page
from .forms import ActionForm, BlackBookingForm, room_options, values_of

BLACK = "/properties/<int:property_uid>/blackbookings"


@bp.route(BLACK)
def blackbookings(property_uid: int):
    """A property's black bookings."""
    prop = current_property(property_uid)
    return page(
        "manager/blackbookings/list.html",
        prop=prop,
        blacks=black_service.black_bookings(prop),
        action_form=ActionForm(),
    )


@bp.route(BLACK + "/new", methods=["GET", "POST"])
def blackbooking_new(property_uid: int):
    """Take rooms out of service for a while."""
    prop = current_property(property_uid)
    form = BlackBookingForm()
    form.room_uids.choices = room_options(live_rooms(prop))
    if form.validate_on_submit():
        values = values_of(form, ("room_uids", "start", "end", "reason"))
        outcome = attempt(form, lambda: black_service.create_black_booking(prop, values))
        if outcome.ok:
            flash("Rooms taken out of service.", "success")
            return redirect(url_for("manager.blackbookings", property_uid=prop.id))
        return page("manager/blackbookings/form.html", form, outcome.status, prop=prop)
    return page("manager/blackbookings/form.html", form, prop=prop)


@bp.route(BLACK + "/<int:blackbooking_uid>/delete", methods=["POST"])
def blackbooking_delete(property_uid: int, blackbooking_uid: int):
    """Put the rooms of a black booking back in service."""
    prop = current_property(property_uid)
    black = child(black_service.get_black_booking, prop, blackbooking_uid)
    form = ActionForm()
    outcome = (
        attempt(form, lambda: black_service.delete_black_booking(black))
        if form.validate_on_submit()
        else None
    )
    if outcome is None or not outcome.ok:
        return page(
            "manager/blackbookings/list.html",
            status=outcome.status if outcome else 400,
            prop=prop,
            blacks=black_service.black_bookings(prop),
            action_form=form,
        )
    flash("Black booking deleted.", "success")
    return redirect(url_for("manager.blackbookings", property_uid=prop.id))
