"""Guest types of a property (Jomres "customer types"): create, change, delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import GuestType, Property
from . import NotFound, ValidationError
from .events import apply_changes, raise_event
from .validation import flag, money, require_text, whole_number

#: field -> (label, the default of a new guest type)
GUEST_TYPE_FIELDS: dict[str, tuple[str, Any]] = {
    "name": ("Name", None),
    "notes": ("Notes", ""),
    "maximum": ("Maximum per booking", 10),
    "is_percentage": ("Percentage", False),
    "posneg": ("Plus (not minus)", True),
    "variance": ("Variance", 0),
    "is_child": ("Child", False),
}


def get_guest_type(prop: Property, guest_type_uid: int) -> GuestType:
    """Return a live guest type of ``prop`` or raise :class:`NotFound`."""
    guest_type = db.session.get(GuestType, guest_type_uid)
    if guest_type is None or guest_type.deleted or guest_type.property_id != prop.id:
        raise NotFound("No such guest type.")
    return guest_type


def live_guest_types(prop: Property) -> list[GuestType]:
    """The guest types of ``prop`` that are not deleted, adults first, then by name."""
    query = select(GuestType).where(GuestType.property_id == prop.id, GuestType.deleted.is_(False))
    return list(db.session.scalars(query.order_by(GuestType.is_child, GuestType.name, GuestType.id)))


def _clean_one(field: str, value: Any) -> Any:
    label = GUEST_TYPE_FIELDS[field][0]
    if field == "name":
        return require_text(value, field, label, 120)
    if field == "notes":
        return require_text(value, field, label, 5000, required=False)
    if field == "maximum":
        return whole_number(value, field, label, 1, 100)
    if field == "variance":
        return money(value, field, label)
    return flag(value, field, label)


def clean_guest_type(values: dict[str, Any], current: GuestType | None = None) -> dict[str, Any]:
    """Validate a guest type's fields (all of them for a new one, those given for a change) and type them."""
    unknown = sorted(set(values) - set(GUEST_TYPE_FIELDS))
    if unknown:
        raise ValidationError(f"Unknown field {unknown[0]}.", field=unknown[0])
    cleaned: dict[str, Any] = {}
    for field, (_label, default) in GUEST_TYPE_FIELDS.items():
        if field in values:
            cleaned[field] = _clean_one(field, values[field])
        elif current is None:
            cleaned[field] = _clean_one(field, default)
    is_percentage = cleaned.get("is_percentage", current.is_percentage if current else False)
    variance = cleaned.get("variance", current.variance if current else 0)
    if is_percentage and variance > 100:
        raise ValidationError("A percentage variance cannot be more than 100 %.", field="variance")
    return cleaned


def create_guest_type(prop: Property, values: dict[str, Any]) -> GuestType:
    """Create a guest type of ``prop``; raise ``guest_type_saved``."""
    guest_type = GuestType(property_id=prop.id, **clean_guest_type(values))
    db.session.add(guest_type)
    db.session.flush()
    raise_event("guest_type_saved", property_uid=prop.id, guest_type_uid=guest_type.id)
    return guest_type


def update_guest_type(guest_type: GuestType, values: dict[str, Any]) -> dict:
    """Change a guest type; raise ``guest_type_saved`` with the changes, if any (Jomres has no *_updated)."""
    changes = apply_changes(guest_type, clean_guest_type(values, current=guest_type))
    if changes:
        db.session.flush()
        raise_event(
            "guest_type_saved", property_uid=guest_type.property_id, guest_type_uid=guest_type.id,
            changes=changes,
        )
    return changes


def delete_guest_type(guest_type: GuestType) -> None:
    """Delete a guest type; bookings that have it keep their counts. Raise ``guest_type_deleted``."""
    guest_type.deleted = True
    db.session.flush()
    raise_event("guest_type_deleted", property_uid=guest_type.property_id, guest_type_uid=guest_type.id)
