"""Properties: create, update, publish, settings, delete."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import DEFAULT_PROPERTY_SETTINGS, Property, User
from . import Conflict, ValidationError
from .events import apply_changes, raise_event
from .validation import Errors, currency_code, email_address, money, require_text, whole_number

PROPERTY_FIELDS = {
    "name": ("Name", 255, True),
    "street": ("Street", 255, False),
    "town": ("Town", 120, False),
    "region": ("Region", 120, False),
    "country": ("Country", 2, False),
    "postcode": ("Postcode", 20, False),
    "email": ("Email", 255, False),
    "telephone": ("Telephone", 40, False),
    "description": ("Description", 10000, False),
}


def _clean(values: dict[str, Any], partial: bool) -> dict[str, Any]:
    cleaned = {}
    errors = Errors()
    for field, (label, length, required) in PROPERTY_FIELDS.items():
        if field not in values:
            if required and not partial:
                errors.add(field, f"{label} is required.")
            continue
        if field == "email":
            cleaned[field] = errors.check(email_address, values[field], field, label, required)
        else:
            cleaned[field] = errors.check(require_text, values[field], field, label, length, required)
    errors.raise_any()
    if "country" in cleaned:
        cleaned["country"] = cleaned["country"].upper()
    return cleaned


def create_property(values: dict[str, Any], managers: list[User] | None = None) -> Property:
    """Create a property, assign it to ``managers``, and raise ``property_created``."""
    prop = Property(**_clean(values, partial=False), settings=dict(DEFAULT_PROPERTY_SETTINGS))
    db.session.add(prop)  # before the managers: reading their role may autoflush
    for manager in managers or []:
        if manager.role == "manager":
            prop.managers.append(manager)
    db.session.flush()
    raise_event("property_created", property_uid=prop.id)
    return prop


def update_property(prop: Property, values: dict[str, Any]) -> dict:
    """Change a property's details; raise ``property_updated`` with the changes, if any."""
    changes = apply_changes(prop, _clean(values, partial=True))
    if changes:
        db.session.flush()
        raise_event("property_updated", property_uid=prop.id, changes=changes)
    return changes


def set_published(prop: Property, published: bool) -> bool:
    """Publish or unpublish a property; return whether anything changed."""
    if prop.published == published:
        return False
    if published and not prop.approved:
        raise Conflict("This property is awaiting approval and cannot be published yet.", field="published")
    prop.published = published
    db.session.flush()
    raise_event("property_published" if published else "property_unpublished", property_uid=prop.id)
    return True


SETTING_RULES = {
    "currency": lambda v: currency_code(v, "currency", "Currency"),
    "checkin_time": lambda v: _time(v, "checkin_time", "Check-in time"),
    "checkout_time": lambda v: _time(v, "checkout_time", "Check-out time"),
    "deposit_percent": lambda v: whole_number(v, "deposit_percent", "Deposit percent", 0, 100),
    "tax_rate": lambda v: float(money(v, "tax_rate", "Tax rate")),
    "contact_email": lambda v: email_address(v, "contact_email", "Contact email"),
    "contact_phone": lambda v: require_text(v, "contact_phone", "Contact phone", 40, False),
}


def _time(value: Any, field: str, label: str) -> str:
    text = require_text(value, field, label, 5)
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[0]) > 23 or int(parts[1]) > 59:
        raise ValidationError(f"{label} must look like 14:00.", field=field)
    return f"{int(parts[0]):02d}:{int(parts[1]):02d}"


def update_settings(prop: Property, values: dict[str, Any]) -> dict:
    """Change property settings; raise ``property_settings_updated`` with the changes, if any.

    Every invalid setting is reported at once, and then nothing changes.
    """
    current = {**DEFAULT_PROPERTY_SETTINGS, **(prop.settings or {})}
    changes = {}
    errors = Errors()
    typed = {}
    for key, value in values.items():
        rule = SETTING_RULES.get(key)
        if rule is None:
            errors.add(key, f"Unknown setting {key!r}.")
            continue
        typed[key] = errors.check(rule, value)
    errors.raise_any()
    for key, new in typed.items():
        if current.get(key) != new:
            changes[key] = [current.get(key), new]
            current[key] = new
    if changes:
        prop.settings = current
        db.session.flush()
        raise_event("property_settings_updated", property_uid=prop.id, changes=changes)
    return changes


def delete_property(prop: Property) -> None:
    """Delete a property (kept in the database, hidden everywhere); raise ``property_deleted``."""
    if prop.deleted:
        return
    prop.deleted = True
    prop.published = False
    db.session.flush()
    raise_event("property_deleted", property_uid=prop.id)
