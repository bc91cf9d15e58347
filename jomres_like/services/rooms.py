"""Rooms of a property."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Booking, Property, Room, booking_rooms
from . import Conflict, NotFound
from .availability import current_or_future
from .events import apply_changes, raise_event
from .validation import require_text, whole_number


def get_room(prop: Property, room_uid: int) -> Room:
    """Return a live room of ``prop`` or raise :class:`NotFound`."""
    room = db.session.get(Room, room_uid)
    if room is None or room.deleted or room.property_id != prop.id:
        raise NotFound("No such room.")
    return room


def _clean(values: dict[str, Any], partial: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "number" in values or not partial:
        cleaned["number"] = require_text(values.get("number"), "number", "Room number", 40)
    if "name" in values:
        cleaned["name"] = require_text(values["name"], "name", "Name", 255, required=False)
    if "room_type" in values or not partial:
        cleaned["room_type"] = require_text(values.get("room_type", "Double"), "room_type", "Room type", 80)
    if "max_people" in values:
        cleaned["max_people"] = whole_number(values["max_people"], "max_people", "Max people", 1, 100)
    return cleaned


def _unique_number(prop: Property, number: str, room: Room | None = None) -> None:
    query = select(Room.id).where(Room.property_id == prop.id, Room.number == number, Room.deleted.is_(False))
    if room is not None:
        query = query.where(Room.id != room.id)
    if db.session.execute(query).first():
        raise Conflict(f"Room {number} already exists.", field="number")


def add_room(prop: Property, values: dict[str, Any]) -> Room:
    """Add a room to ``prop``; raise ``room_added``."""
    cleaned = _clean(values, partial=False)
    _unique_number(prop, cleaned["number"])
    room = Room(property_id=prop.id, **cleaned)
    db.session.add(room)
    db.session.flush()
    raise_event("room_added", property_uid=prop.id, room_uid=room.id)
    return room


def update_room(room: Room, values: dict[str, Any]) -> dict:
    """Change a room; raise ``room_updated`` with the changes, if any."""
    cleaned = _clean(values, partial=True)
    if "number" in cleaned:
        _unique_number(room.property, cleaned["number"], room)
    changes = apply_changes(room, cleaned)
    if changes:
        db.session.flush()
        raise_event("room_updated", property_uid=room.property_id, room_uid=room.id, changes=changes)
    return changes


def delete_room(room: Room) -> None:
    """Delete a room with no current or future booking (departing today counts); raise ``room_deleted``."""
    upcoming = db.session.execute(
        select(Booking.booking_number)
        .join(booking_rooms, booking_rooms.c.booking_id == Booking.id)
        .where(booking_rooms.c.room_id == room.id, current_or_future())
        .order_by(Booking.arrival)
        .limit(1)
    ).first()
    if upcoming:
        raise Conflict(
            f"This room has current or future bookings (booking {upcoming.booking_number} first); cancel or "
            "move them first.",
            field="room",
        )
    room.deleted = True
    db.session.flush()
    raise_event("room_deleted", property_uid=room.property_id, room_uid=room.id)
