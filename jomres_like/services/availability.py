"""Room availability: no room booked twice or while blacked out; which bookings are still current."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, select

from ..extensions import db
from ..models import BlackBooking, Booking, Property, Room, black_booking_rooms, booking_rooms
from ..timeutil import utc_today
from . import Conflict, ValidationError


def current_or_future() -> ColumnElement[bool]:
    """The condition for a booking not cancelled and not yet over: one departing today still counts.

    The guest may be in the room until checkout, so their guest record and the room must stay.
    """
    return and_(Booking.cancelled.is_(False), Booking.departure >= utc_today())


def load_rooms(prop: Property, room_ids, lock: bool = True) -> list[Room]:
    """Return the live rooms ``room_ids`` of ``prop``, locked for update so that checks serialise."""
    try:
        ids = sorted({int(room_id) for room_id in room_ids or []})
    except (TypeError, ValueError) as exc:
        raise ValidationError("Rooms must be room ids.", field="room_uids") from exc
    if not ids:
        raise ValidationError("Choose at least one room.", field="room_uids")
    query = select(Room).where(Room.id.in_(ids)).order_by(Room.id)
    if lock:
        query = query.with_for_update()
    rooms = list(db.session.scalars(query))
    found = {room.id for room in rooms if room.property_id == prop.id and not room.deleted}
    missing = [room_id for room_id in ids if room_id not in found]
    if missing:
        raise ValidationError(
            f"Unknown room(s) for this property: {', '.join(map(str, missing))}.", "room_uids"
        )
    return rooms


def check_rooms_free(
    rooms: list[Room],
    start: date,
    end: date,
    ignore_booking: int | None = None,
    ignore_black_booking: int | None = None,
) -> None:
    """Raise :class:`Conflict` if any room is taken over ``[start, end)`` by a booking or black booking."""
    room_ids = [room.id for room in rooms]
    bookings = (
        select(Booking.id, Booking.arrival, Booking.departure, booking_rooms.c.room_id)
        .join(booking_rooms, booking_rooms.c.booking_id == Booking.id)
        .where(
            booking_rooms.c.room_id.in_(room_ids),
            Booking.cancelled.is_(False),
            Booking.noshow.is_(False),
            Booking.arrival < end,
            Booking.departure > start,
        )
    )
    if ignore_booking is not None:
        bookings = bookings.where(Booking.id != ignore_booking)
    clash = db.session.execute(bookings.limit(1)).first()
    numbers = {room.id: room.number for room in rooms}
    if clash:
        raise Conflict(
            f"Room {numbers[clash.room_id]} is already booked from {clash.arrival} to {clash.departure} "
            f"(booking {clash.id}).",
            field="room_uids",
        )
    blacks = (
        select(BlackBooking.id, BlackBooking.start, BlackBooking.end, black_booking_rooms.c.room_id)
        .join(black_booking_rooms, black_booking_rooms.c.black_booking_id == BlackBooking.id)
        .where(
            black_booking_rooms.c.room_id.in_(room_ids), BlackBooking.start < end, BlackBooking.end > start
        )
    )
    if ignore_black_booking is not None:
        blacks = blacks.where(BlackBooking.id != ignore_black_booking)
    clash = db.session.execute(blacks.limit(1)).first()
    if clash:
        raise Conflict(
            f"Room {numbers[clash.room_id]} is out of service from {clash.start} to {clash.end}.",
            field="room_uids",
        )
