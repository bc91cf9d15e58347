"""Coupons of a property: create, change, delete, and the rules of using one on a booking."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import Booking, Coupon, Property
from ..timeutil import utc_today
from . import Conflict, NotFound, ValidationError
from .events import apply_changes, raise_event
from .validation import flag, money, open_range, optional_date, require_text, whole_number

#: field -> (label, the default of a new coupon)
COUPON_FIELDS: dict[str, tuple[str, Any]] = {
    "code": ("Code", None),
    "description": ("Description", ""),
    "amount": ("Discount", None),
    "is_percentage": ("Percentage", False),
    "valid_from": ("Valid from", None),
    "valid_to": ("Valid to", None),
    "booking_valid_from": ("Arrivals from", None),
    "booking_valid_to": ("Arrivals until", None),
    "max_uses": ("Maximum uses", None),
}


def get_coupon(prop: Property, coupon_id: int) -> Coupon:
    """Return a live coupon of ``prop`` or raise :class:`NotFound`."""
    coupon = db.session.get(Coupon, coupon_id)
    if coupon is None or coupon.deleted or coupon.property_id != prop.id:
        raise NotFound("No such coupon.")
    return coupon


def live_coupons(prop: Property) -> list[Coupon]:
    """The coupons of ``prop`` that are not deleted, by code."""
    query = select(Coupon).where(Coupon.property_id == prop.id, Coupon.deleted.is_(False))
    return list(db.session.scalars(query.order_by(Coupon.code, Coupon.id)))


def _clean_one(field: str, value: Any) -> Any:
    label = COUPON_FIELDS[field][0]
    if field == "code":
        code = require_text(value, field, label, 40)
        if any(char.isspace() for char in code):
            raise ValidationError("Code cannot contain spaces.", field=field)
        return code
    if field == "description":
        return require_text(value, field, label, 255, required=False)
    if field == "amount":
        if value in (None, ""):
            raise ValidationError("Discount is required.", field=field)
        return money(value, field, label)
    if field == "is_percentage":
        return flag(value, field, label)
    if field == "max_uses":
        return None if value in (None, "") else whole_number(value, field, label, 1, 1_000_000)
    return optional_date(value, field, label)


def _find(prop: Property, code: str, lock: bool = False) -> Coupon | None:
    query = select(Coupon).where(
        Coupon.property_id == prop.id, Coupon.deleted.is_(False), func.lower(Coupon.code) == code.lower()
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalars(query.order_by(Coupon.id)).first()


def clean_coupon(prop: Property, values: dict[str, Any], current: Coupon | None = None) -> dict[str, Any]:
    """Validate a coupon's fields (all of them for a new one, those given for a change) and type them."""
    unknown = sorted(set(values) - set(COUPON_FIELDS))
    if unknown:
        raise ValidationError(f"Unknown field {unknown[0]}.", field=unknown[0])
    cleaned: dict[str, Any] = {}
    for field, (_label, default) in COUPON_FIELDS.items():
        if field in values:
            cleaned[field] = _clean_one(field, values[field])
        elif current is None:
            cleaned[field] = _clean_one(field, default)
    merged = {field: cleaned.get(field, getattr(current, field, None)) for field in COUPON_FIELDS}
    if merged["is_percentage"] and merged["amount"] > 100:
        raise ValidationError("A percentage discount cannot be more than 100 %.", field="amount")
    open_range(merged["valid_from"], merged["valid_to"], "valid_to", "The validity")
    open_range(merged["booking_valid_from"], merged["booking_valid_to"], "booking_valid_to", "The arrivals")
    if "code" in cleaned:
        same = _find(prop, cleaned["code"])
        if same is not None and same is not current:
            raise Conflict(f"Coupon {cleaned['code']} already exists.", field="code")
    return cleaned


def create_coupon(prop: Property, values: dict[str, Any]) -> Coupon:
    """Create a coupon of ``prop``; raise ``coupon_saved``."""
    coupon = Coupon(property_id=prop.id, **clean_coupon(prop, values))
    db.session.add(coupon)
    db.session.flush()
    raise_event("coupon_saved", property_uid=prop.id, coupon_id=coupon.id)
    return coupon


def update_coupon(coupon: Coupon, values: dict[str, Any]) -> dict:
    """Change a coupon; raise ``coupon_updated`` with the changes, if any."""
    changes = apply_changes(coupon, clean_coupon(coupon.property, values, current=coupon))
    if changes:
        db.session.flush()
        raise_event("coupon_updated", property_uid=coupon.property_id, coupon_id=coupon.id, changes=changes)
    return changes


def delete_coupon(coupon: Coupon) -> None:
    """Delete a coupon; bookings that used it keep their discount. Raise ``coupon_deleted``."""
    coupon.deleted = True
    db.session.flush()
    raise_event("coupon_deleted", property_uid=coupon.property_id, coupon_id=coupon.id)


def uses(coupon: Coupon, ignore_booking: int | None = None) -> int:
    """How many bookings that are not cancelled use ``coupon`` (leaving out ``ignore_booking``)."""
    query = select(func.count()).select_from(Booking).where(
        Booking.coupon_id == coupon.id, Booking.cancelled.is_(False), Booking.id != (ignore_booking or 0)
    )
    return db.session.scalar(query) or 0


def check_window(coupon: Coupon, arrival: date) -> None:
    """Refuse ``coupon`` for a stay arriving outside its arrivals window."""
    if coupon.booking_valid_from and arrival < coupon.booking_valid_from or (
        coupon.booking_valid_to and arrival > coupon.booking_valid_to
    ):
        raise ValidationError(
            f"Coupon {coupon.code} is not valid for arrivals on {arrival.isoformat()}.", field="coupon_code"
        )


def usable_coupon(prop: Property, code: Any, arrival: date, booking_id: int | None = None) -> Coupon | None:
    """The live coupon of ``prop`` with ``code`` (any case), if a booking made today arriving on ``arrival``
    may use it: today within its validity, the arrival within its window, and a use left
    (``booking_id``, the booking it is for, does not count). ``None`` for a blank code."""
    code = require_text(code, "coupon_code", "Coupon code", 40, required=False)
    if not code:
        return None
    coupon = _find(prop, code, lock=True)  # locked: two bookings cannot take its last use at once
    if coupon is None:
        raise ValidationError(f"Unknown coupon code {code}.", field="coupon_code")
    today = utc_today()
    if coupon.valid_from and today < coupon.valid_from or coupon.valid_to and today > coupon.valid_to:
        raise ValidationError(f"Coupon {coupon.code} is not valid today.", field="coupon_code")
    check_window(coupon, arrival)
    if coupon.max_uses is not None and uses(coupon, booking_id) >= coupon.max_uses:
        raise Conflict(f"Coupon {coupon.code} has been used {coupon.max_uses} times already.",
                       field="coupon_code")
    return coupon
