"""Guests of a property."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Booking, Guest, Property
from . import Conflict, NotFound, ValidationError
from .availability import current_or_future
from .events import apply_changes, raise_event
from .validation import require_text

GUEST_FIELDS = {
    "firstname": ("First name", 120, True),
    "surname": ("Surname", 120, True),
    "email": ("Email", 255, False),
    "tel_landline": ("Landline", 40, False),
    "tel_mobile": ("Mobile", 40, False),
    "house": ("House", 120, False),
    "street": ("Street", 255, False),
    "town": ("Town", 120, False),
    "region": ("Region", 120, False),
    "country": ("Country", 2, False),
    "postcode": ("Postcode", 20, False),
}


def get_guest(prop: Property, guest_uid: int) -> Guest:
    """Return a live guest of ``prop`` or raise :class:`NotFound`."""
    guest = db.session.get(Guest, guest_uid)
    if guest is None or guest.deleted or guest.property_id != prop.id:
        raise NotFound("No such guest.")
    return guest


def clean_guest(values: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """Validate guest fields and return them cleaned."""
    cleaned = {}
    for field, (label, length, required) in GUEST_FIELDS.items():
        if field not in values:
            if required and not partial:
                raise ValidationError(f"{label} is required.", field=field)
            continue
        cleaned[field] = require_text(values[field], field, label, length, required)
    email = cleaned.get("email")
    if email and ("@" not in email or email.startswith("@") or email.endswith("@") or " " in email):
        raise ValidationError("Email is not a valid address.", field="email")
    if "country" in cleaned:
        cleaned["country"] = cleaned["country"].upper()
    return cleaned


def create_guest(prop: Property, values: dict[str, Any]) -> Guest:
    """Create a guest of ``prop``; raise ``guest_saved``."""
    guest = Guest(property_id=prop.id, **clean_guest(values))
    db.session.add(guest)
    db.session.flush()
    raise_event("guest_saved", property_uid=prop.id, guest_uid=guest.id)
    return guest


def update_guest(guest: Guest, values: dict[str, Any]) -> dict:
    """Change a guest; raise ``guest_updated`` with the changes, if any."""
    changes = apply_changes(guest, clean_guest(values, partial=True))
    if changes:
        db.session.flush()
        raise_event("guest_updated", property_uid=guest.property_id, guest_uid=guest.id, changes=changes)
    return changes


def delete_guest(guest: Guest) -> None:
    """Delete a guest with no current or future booking (departing today counts); raise ``guest_deleted``."""
    active = db.session.execute(
        select(Booking.booking_number).where(Booking.guest_id == guest.id, current_or_future()).limit(1)
    ).first()
    if active:
        raise Conflict(
            f"This guest has a current or future booking (booking {active.booking_number}) and cannot be "
            "deleted.",
            field="guest",
        )
    guest.deleted = True
    db.session.flush()
    raise_event("guest_deleted", property_uid=guest.property_id, guest_uid=guest.id)
