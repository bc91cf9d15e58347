"""Black bookings: rooms taken out of service for a while."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import BlackBooking, Property
from . import NotFound
from .availability import check_rooms_free, load_rooms
from .events import raise_event
from .validation import date_range, require_text


def get_black_booking(prop: Property, uid: int) -> BlackBooking:
    """Return a black booking of ``prop`` or raise :class:`NotFound`."""
    black = db.session.get(BlackBooking, uid)
    if black is None or black.property_id != prop.id:
        raise NotFound("No such black booking.")
    return black


def black_bookings(prop: Property) -> list[BlackBooking]:
    """All black bookings of ``prop``, soonest first."""
    query = select(BlackBooking).where(BlackBooking.property_id == prop.id).order_by(BlackBooking.start)
    return list(db.session.scalars(query))


def create_black_booking(prop: Property, values: dict[str, Any]) -> BlackBooking:
    """Take rooms out of service over ``[start, end)``; raise ``blackbooking_created``."""
    start, end = date_range(values.get("start"), values.get("end"), "start", "end", "End")
    reason = require_text(values.get("reason", ""), "reason", "Reason", 255, required=False)
    rooms = load_rooms(prop, values.get("room_uids"))
    check_rooms_free(rooms, start, end)
    black = BlackBooking(property_id=prop.id, start=start, end=end, reason=reason)
    black.rooms = rooms
    db.session.add(black)
    db.session.flush()
    raise_event("blackbooking_created", property_uid=prop.id, contract_uid=black.id)
    return black


def delete_black_booking(black: BlackBooking) -> None:
    """Put the rooms back in service; raise ``blackbooking_deleted``."""
    prop_id, uid = black.property_id, black.id
    db.session.delete(black)
    db.session.flush()
    raise_event("blackbooking_deleted", property_uid=prop_id, contract_uid=uid)
