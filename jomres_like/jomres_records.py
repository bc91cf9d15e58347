"""Records in the shapes Jomres' callback feature answers, where they differ from ours.

``property_tariffs`` is ``tariffs{<rates_uid>: {...}}`` with Jomres' tariff fields, for tariffs valid from
today on; ``property_details`` and ``invoice_details`` carry the whole record as a nested ``property`` /
``invoice`` object; ``all_property_rooms`` groups the live rooms by room type. Our own fields stay beside
Jomres' (``records`` builds them). Jomres numbers its room classes; ours are names, so
:func:`room_class_uid` gives each name a stable number.
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta
from typing import Any

from .models import Property, Room, Tariff
from .services.events import json_value
from .timeutil import utc_today


def room_class_uid(room_type: str) -> int:
    """A stable positive number for a room type's name (Jomres' ``room_classes_uid``)."""
    return zlib.crc32((room_type or "").encode("utf-8")) & 0x7FFFFFFF


def jomres_room(room: Room) -> dict[str, Any]:
    """A room with Jomres' field names (``room_classes_uid``, ``propertys_uid``...)."""
    return {
        "room_uid": room.id,
        "room_classes_uid": room_class_uid(room.room_type),
        "propertys_uid": room.property_id,
        "room_name": room.name,
        "room_number": room.number,
        "max_people": room.max_people,
        "room_type": room.room_type,
    }


def _max_people(prop: Property, room_type: str) -> int:
    people = [r.max_people for r in prop.rooms if not r.deleted and r.room_type == room_type]
    return max(people, default=1)


def _dates(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=day)).isoformat() for day in range((end - start).days)]


def jomres_tariff(tariff: Tariff, prop: Property, today: date) -> dict[str, Any]:
    """One tariff with Jomres' fields; ``tariff_dates`` are its nights from ``today`` on."""
    return {
        "rates_uid": tariff.id,
        "rate_title": tariff.name or tariff.room_type,
        "rate_description": "",
        "validfrom": tariff.start_date.isoformat(),
        "validto": tariff.end_date.isoformat(),
        "roomrateperday": json_value(tariff.rate_per_night),
        "mindays": tariff.min_nights,
        "maxdays": tariff.max_nights,
        "minpeople": 1,
        "maxpeople": _max_people(prop, tariff.room_type),
        "roomclass_uid": room_class_uid(tariff.room_type),
        "ignore_pppn": 1 if tariff.pricing_type == "per_room" else 0,
        "allow_we": 1,
        "weekendonly": 0,
        "dayofweek": 7,  # Jomres: any day of the week
        "minrooms_alreadyselected": 0,
        "maxrooms_alreadyselected": 100,
        "tariff_dates": _dates(max(tariff.start_date, today), tariff.end_date),
        "room_type": tariff.room_type,
        "pricing_type": tariff.pricing_type,
    }


def property_tariffs(prop: Property) -> dict[str, Any]:
    """``property_tariffs``: the tariffs valid from today on, by ``rates_uid`` (a string key, as in JSON)."""
    today = utc_today()
    return {
        "property_uid": prop.id,
        "tariffs": {str(t.id): jomres_tariff(t, prop, today) for t in prop.tariffs if t.end_date > today},
    }


def all_property_rooms(prop: Property) -> dict[str, Any]:
    """``all_property_rooms``: the live rooms grouped by room type, and the room types."""
    rooms = [room for room in prop.rooms if not room.deleted]
    types = sorted({room.room_type for room in rooms})
    return {
        "property_uid": prop.id,
        "property_rooms": {str(room_class_uid(name)): [jomres_room(r) for r in rooms if r.room_type == name]
                           for name in types},
        "room_types": {
            str(room_class_uid(name)): {"room_classes_uid": room_class_uid(name), "room_class_abbv": name,
                                        "room_class_full_desc": name}
            for name in types
        },
    }


def nested(name: str, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with itself nested under ``name`` too (Jomres' ``invoice`` / ``property`` object)."""
    return {name: dict(record), **record}


def rooms_tariffs(rooms, stay_tariffs: list) -> str:
    """Jomres' ``rooms_tariffs``: ``room_uid^rates_uid`` per room, comma-separated (0: no tariff found)."""
    def first(room) -> int:
        found = sorted((t for t in stay_tariffs if t.room_type == room.room_type),
                       key=lambda t: (t.start_date, t.id))
        return found[0].id if found else 0

    return ",".join(f"{room.id}^{first(room)}" for room in rooms)
