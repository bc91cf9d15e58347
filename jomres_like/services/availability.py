"""Room availability: no room booked twice or while blacked out; which bookings are still current."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, bindparam, literal_column, select, union_all

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


def check_capacity(rooms: list[Room], adults: int, children: int) -> None:
    """Refuse more people than the rooms sleep together (the sum of their ``max_people``)."""
    capacity = sum(room.max_people for room in rooms)
    people = adults + children
    if people > capacity:
        rooms_named = ", ".join(f"{room.number} ({room.max_people})" for room in rooms)
        raise ValidationError(
            f"{people} people do not fit: room{'s' if len(rooms) > 1 else ''} {rooms_named} "
            f"sleep{'' if len(rooms) > 1 else 's'} {capacity} at most.",
            field="adults",
        )


# Built once (every booking saved runs it): the first clash of the rooms over [start, end), bookings before
# black bookings, in one statement. A booking or black booking being changed is left out by its id (0: none).
_BOOKED = (
    select(literal_column("0").label("kind"), Booking.id, Booking.arrival.label("start"),
           Booking.departure.label("end"), booking_rooms.c.room_id)
    .join(booking_rooms, booking_rooms.c.booking_id == Booking.id)
    .where(
        booking_rooms.c.room_id.in_(bindparam("rooms", expanding=True)),
        Booking.cancelled.is_(False),
        Booking.noshow.is_(False),
        Booking.arrival < bindparam("end"),
        Booking.departure > bindparam("start"),
        Booking.id != bindparam("ignore_booking"),
    )
)
_BLACKED_OUT = (
    select(literal_column("1").label("kind"), BlackBooking.id, BlackBooking.start, BlackBooking.end,
           black_booking_rooms.c.room_id)
    .join(black_booking_rooms, black_booking_rooms.c.black_booking_id == BlackBooking.id)
    .where(
        black_booking_rooms.c.room_id.in_(bindparam("rooms", expanding=True)),
        BlackBooking.start < bindparam("end"),
        BlackBooking.end > bindparam("start"),
        BlackBooking.id != bindparam("ignore_black_booking"),
    )
)
_FIRST_CLASH = union_all(_BOOKED, _BLACKED_OUT).order_by("kind").limit(1)


def check_rooms_free(
    rooms: list[Room],
    start: date,
    end: date,
    ignore_booking: int | None = None,
    ignore_black_booking: int | None = None,
) -> None:
    """Raise :class:`Conflict` if any room is taken over ``[start, end)`` by a booking or black booking."""
    clash = db.session.execute(
        _FIRST_CLASH,
        {
            "rooms": [room.id for room in rooms],
            "start": start,
            "end": end,
            "ignore_booking": ignore_booking or 0,
            "ignore_black_booking": ignore_black_booking or 0,
        },
    ).first()
    if clash is None:
        return
    number = next(room.number for room in rooms if room.id == clash.room_id)
    if clash.kind == 0:
        # named by its number, as the pages show it (read apart: a text column in the union above would
        # need one collation on both sides in MariaDB)
        booking_number = db.session.scalar(select(Booking.booking_number).where(Booking.id == clash.id))
        raise Conflict(
            f"Room {number} is already booked from {clash.start} to {clash.end} (booking {booking_number}).",
            field="room_uids",
        )
    raise Conflict(f"Room {number} is out of service from {clash.start} to {clash.end}.", field="room_uids")
