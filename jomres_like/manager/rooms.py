"""Room pages: list, new, edit, delete."""

from __future__ import annotations

from flask import flash, redirect, url_for

from ..services import rooms as room_service
from .blueprint import bp
from .bookings import live_rooms
from .common import attempt, child, current_property, page
from .forms import ActionForm, RoomForm, values_of

ROOMS = "/properties/<int:property_uid>/rooms"


@bp.route(ROOMS)
def rooms(property_uid: int):
    """A property's rooms."""
    prop = current_property(property_uid)
    return page("manager/rooms/list.html", prop=prop, rooms=live_rooms(prop), action_form=ActionForm())


@bp.route(ROOMS + "/new", methods=["GET", "POST"])
def room_new(property_uid: int):
    """Add a room."""
    prop = current_property(property_uid)
    form = RoomForm()
    if form.validate_on_submit():
        outcome = attempt(form, lambda: room_service.add_room(prop, values_of(form, RoomForm.FIELDS)))
        if outcome.ok:
            flash(f"Room {outcome.value.number} added.", "success")
            return redirect(url_for("manager.rooms", property_uid=prop.id))
        return page("manager/rooms/form.html", form, outcome.status, prop=prop, room=None)
    return page("manager/rooms/form.html", form, prop=prop, room=None)


@bp.route(ROOMS + "/<int:room_uid>/edit", methods=["GET", "POST"])
def room_edit(property_uid: int, room_uid: int):
    """Edit a room."""
    prop = current_property(property_uid)
    room = child(room_service.get_room, prop, room_uid)
    form = RoomForm(obj=room)
    if form.validate_on_submit():
        outcome = attempt(form, lambda: room_service.update_room(room, values_of(form, RoomForm.FIELDS)))
        if outcome.ok:
            flash("Room saved." if outcome.value else "Nothing changed.", "success")
            return redirect(url_for("manager.rooms", property_uid=prop.id))
        return page("manager/rooms/form.html", form, outcome.status, prop=prop, room=room)
    return page("manager/rooms/form.html", form, prop=prop, room=room)


@bp.route(ROOMS + "/<int:room_uid>/delete", methods=["POST"])
def room_delete(property_uid: int, room_uid: int):
    """Delete a room without current or future bookings."""
    prop = current_property(property_uid)
    room = child(room_service.get_room, prop, room_uid)
    form = ActionForm()
    outcome = attempt(form, lambda: room_service.delete_room(room)) if form.validate_on_submit() else None
    if outcome is None or not outcome.ok:
        return page(
            "manager/rooms/list.html",
            status=outcome.status if outcome else 400,
            prop=prop,
            rooms=live_rooms(prop),
            action_form=form,
        )
    flash("Room deleted.", "success")
    return redirect(url_for("manager.rooms", property_uid=prop.id))
