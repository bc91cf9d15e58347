"""A booking read with six prebuilt Core statements, for ``contract_details`` on the callback's hot path.

:func:`read_booking` answers a view of the booking exposing exactly what ``records.booking_record`` reads of
the ORM objects (guest, rooms, the property's tariffs of the stay, its currency setting, deposits, notes with
their author's name, extras and guest types with their names), so the serialiser is shared and the answer
is the same. The statements name table columns only and run on the session's connection (its transaction):
no ORM loading, no session bookkeeping. They are as few as the shapes allow: under gunicorn's threads every
SQLite call hands the GIL over, so each statement costs about three times its single-threaded time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, select

from .extensions import db
from .models import (
    Booking,
    BookingExtra,
    BookingGuestType,
    BookingNote,
    Deposit,
    Extra,
    Guest,
    GuestType,
    Property,
    Room,
    Tariff,
    User,
)
from .models.bookings import booking_rooms
from .services import NotFound

_B, _G, _P, _R, _T = Booking.__table__, Guest.__table__, Property.__table__, Room.__table__, Tariff.__table__
_D, _N, _U = Deposit.__table__, BookingNote.__table__, User.__table__
_BE, _E, _BG, _GT = BookingExtra.__table__, Extra.__table__, BookingGuestType.__table__, GuestType.__table__
_GUEST, _TARIFF = "guest__", "tariff__"  # label prefixes of the joined guest's and tariffs' columns

# The booking with its guest (outer join) and its property's settings.
_BOOKING = (
    select(_B, _P.c.settings.label("property_settings"), *[c.label(_GUEST + c.name) for c in _G.c])
    .join(_P, _P.c.id == _B.c.property_id)
    .outerjoin(_G, _G.c.id == _B.c.guest_id)
    .where(_B.c.id == bindparam("uid"), _B.c.property_id == bindparam("pid"))
)
# Its rooms, each with the property's tariffs of the stay for its room type (outer join: rooms without any).
_ROOMS_AND_TARIFFS = (
    select(_R, *[c.label(_TARIFF + c.name) for c in _T.c])
    .join(booking_rooms, booking_rooms.c.room_id == _R.c.id)
    .outerjoin(_T, and_(_T.c.property_id == bindparam("pid"), _T.c.room_type == _R.c.room_type,
                        _T.c.start_date < bindparam("dep"), _T.c.end_date > bindparam("arr")))
    .where(booking_rooms.c.booking_id == bindparam("uid"))
    .order_by(_R.c.id, _T.c.start_date, _T.c.id)
)
_DEPOSITS = select(_D).where(_D.c.booking_id == bindparam("uid")).order_by(_D.c.id)
_NOTES = (
    select(_N, _U.c.username)
    .outerjoin(_U, _U.c.id == _N.c.author_id)
    .where(_N.c.booking_id == bindparam("uid"))
    .order_by(_N.c.id)
)
# Its extras and guest types, with the names of the extras and types.
_EXTRAS = (
    select(_BE, _E.c.name)
    .join(_E, _E.c.id == _BE.c.extra_id)
    .where(_BE.c.booking_id == bindparam("uid"))
    .order_by(_BE.c.extra_id)
)
_GUEST_TYPES = (
    select(_BG, _GT.c.name, _GT.c.is_child)
    .join(_GT, _GT.c.id == _BG.c.guest_type_id)
    .where(_BG.c.booking_id == bindparam("uid"))
    .order_by(_BG.c.guest_type_id)
)


class RowView:
    """Columns read like the ORM object they stand for, with a few extra attributes."""

    def __init__(self, columns: dict[str, Any] | None = None, **extra: Any):
        self.__dict__.update(columns or {}, **extra)


class BookingView(RowView):
    """A booking read with Core statements, exposing what ``booking_record`` reads."""

    nights = Booking.nights
    status = Booking.status


class PropertyView(RowView):
    """The booking's property as ``booking_record`` reads it: its tariffs of the stay and its settings."""

    setting = Property.setting


def _split(columns: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    """Take the ``prefix``-labelled columns out of ``columns``: the joined row, or ``None`` if it had none."""
    joined = {name[len(prefix):]: columns.pop(name) for name in [n for n in columns if n.startswith(prefix)]}
    return joined if joined["id"] is not None else None


def read_booking(property_uid: int, uid: int) -> BookingView:
    """The booking ``uid`` of property ``property_uid`` with what ``booking_record`` reads (NotFound)."""
    run = db.session.connection().execute
    row = run(_BOOKING, {"uid": uid, "pid": property_uid}).first()
    if row is None:
        raise NotFound("No such booking.")
    columns = row._asdict()
    guest = _split(columns, _GUEST)
    settings = columns.pop("property_settings")
    booking = BookingView(columns, guest=RowView(guest) if guest is not None else None)

    rooms: dict[int, RowView] = {}
    tariffs: dict[int, RowView] = {}
    for room_row in run(_ROOMS_AND_TARIFFS, {"uid": uid, "pid": property_uid, "arr": booking.arrival,
                                             "dep": booking.departure}):
        room = room_row._asdict()
        tariff = _split(room, _TARIFF)
        rooms.setdefault(room["id"], RowView(room))
        if tariff is not None:
            tariffs.setdefault(tariff["id"], RowView(tariff))
    booking.rooms = list(rooms.values())
    # The property's tariffs of the stay for the booked room types, in the relationship's order.
    stay_tariffs = sorted(tariffs.values(), key=lambda t: (t.start_date, t.id))
    booking.property = PropertyView(id=property_uid, settings=settings, tariffs=stay_tariffs)

    booking.deposits = [RowView(d._asdict()) for d in run(_DEPOSITS, {"uid": uid})]
    booking.notes = [
        RowView(n._asdict(), booking=booking,
                author=RowView(username=n.username) if n.author_id else None)
        for n in run(_NOTES, {"uid": uid})
    ]
    booking.extras = [RowView(e._asdict(), extra=RowView(name=e.name)) for e in run(_EXTRAS, {"uid": uid})]
    booking.guest_types = [
        RowView(t._asdict(), guest_type=RowView(name=t.name, is_child=t.is_child))
        for t in run(_GUEST_TYPES, {"uid": uid})
    ]
    return booking
