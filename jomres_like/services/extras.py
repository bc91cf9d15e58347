"""Optional extras of a property (Jomres' optional_extras plugin): create, change, delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Extra, Property, Room
from . import NotFound, ValidationError
from .events import apply_changes, raise_event
from .validation import flag, money, open_range, optional_date, percentage, require_text, whole_number

#: field -> (label, the default of a new extra)
EXTRA_FIELDS: dict[str, tuple[str, Any]] = {
    "name": ("Name", None),
    "description": ("Description", ""),
    "price": ("Price", 0),
    "tax_rate": ("Tax rate", 0),
    "max_quantity": ("Maximum quantity", 1),
    "valid_from": ("Valid from", None),
    "valid_to": ("Valid to", None),
    "room_type": ("Limited to room type", ""),
    "auto_select": ("Auto-select", False),
    "include_in_property_lists": ("Show in property lists", True),
}


def get_extra(prop: Property, extras_uid: int) -> Extra:
    """Return a live extra of ``prop`` or raise :class:`NotFound`."""
    extra = db.session.get(Extra, extras_uid)
    if extra is None or extra.deleted or extra.property_id != prop.id:
        raise NotFound("No such extra.")
    return extra


def live_extras(prop: Property) -> list[Extra]:
    """The extras of ``prop`` that are not deleted, by name."""
    query = select(Extra).where(Extra.property_id == prop.id, Extra.deleted.is_(False))
    return list(db.session.scalars(query.order_by(Extra.name, Extra.id)))


def room_types(prop: Property) -> list[str]:
    """The room types of ``prop``'s live rooms, sorted."""
    query = select(Room.room_type).where(Room.property_id == prop.id, Room.deleted.is_(False)).distinct()
    return sorted(db.session.scalars(query))


def _clean_one(prop: Property, field: str, value: Any) -> Any:
    label = EXTRA_FIELDS[field][0]
    if field == "name":
        return require_text(value, field, label, 255)
    if field == "description":
        return require_text(value, field, label, 5000, required=False)
    if field == "price":
        return money(value, field, label)
    if field == "tax_rate":
        return percentage(value, field, label)
    if field == "max_quantity":
        return whole_number(value, field, label, 1, 1000)
    if field in ("valid_from", "valid_to"):
        return optional_date(value, field, label)
    if field == "room_type":
        room_type = require_text(value, field, label, 80, required=False)
        if room_type and room_type not in room_types(prop):
            raise ValidationError(f"{room_type} is not a room type of this property.", field=field)
        return room_type
    return flag(value, field, label)


def clean_extra(prop: Property, values: dict[str, Any], current: Extra | None = None) -> dict[str, Any]:
    """Validate an extra's fields (all of them for a new one, those given for a change) and type them."""
    unknown = sorted(set(values) - set(EXTRA_FIELDS))
    if unknown:
        raise ValidationError(f"Unknown field {unknown[0]}.", field=unknown[0])
    cleaned: dict[str, Any] = {}
    for field, (_label, default) in EXTRA_FIELDS.items():
        if field in values:
            cleaned[field] = _clean_one(prop, field, values[field])
        elif current is None:
            cleaned[field] = _clean_one(prop, field, default)
    start = cleaned.get("valid_from", current.valid_from if current else None)
    end = cleaned.get("valid_to", current.valid_to if current else None)
    open_range(start, end, "valid_to", "The validity")
    return cleaned


def create_extra(prop: Property, values: dict[str, Any]) -> Extra:
    """Create an extra of ``prop``; raise ``extra_saved``."""
    extra = Extra(property_id=prop.id, **clean_extra(prop, values))
    db.session.add(extra)
    db.session.flush()
    raise_event("extra_saved", property_uid=prop.id, extras_uid=extra.id)
    return extra


def update_extra(extra: Extra, values: dict[str, Any]) -> dict:
    """Change an extra; raise ``extra_saved`` with the changes, if any (Jomres has no extra_updated)."""
    changes = apply_changes(extra, clean_extra(extra.property, values, current=extra))
    if changes:
        db.session.flush()
        raise_event("extra_saved", property_uid=extra.property_id, extras_uid=extra.id, changes=changes)
    return changes


def delete_extra(extra: Extra) -> None:
    """Delete an extra; bookings that have it keep it at its price. Raise ``extra_deleted``."""
    extra.deleted = True
    db.session.flush()
    raise_event("extra_deleted", property_uid=extra.property_id, extras_uid=extra.id)
