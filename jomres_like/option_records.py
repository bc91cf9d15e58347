"""Callback records of a booking's options: extras, coupons and guest types, with Jomres' field names."""

from __future__ import annotations

from typing import Any

from .services.booking_options import tax_part
from .services.coupons import uses
from .services.events import json_value


def booking_extra_record(line) -> dict[str, Any]:
    """An extra on a booking, as one entry of ``contract_details.extradeets``: tax included in the total."""
    total = line.unit_price * line.quantity
    return {
        "extras_uid": line.extra_id,
        "name": line.extra.name,
        "quantity": line.quantity,
        "price": json_value(line.unit_price),
        "tax_rate": json_value(line.tax_rate),
        "total": json_value(total),
        "tax": json_value(tax_part(total, line.tax_rate)),
    }


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


def extra_record(extra) -> dict[str, Any]:
    """An optional extra as Jomres' ``extra_details``."""
    return {
        "extras_uid": extra.id,
        "property_uid": extra.property_id,
        "name": extra.name,
        "desc": extra.description,
        "price": json_value(extra.price),
        "auto_select": extra.auto_select,
        "tax_rate": json_value(extra.tax_rate),
        "maxquantity": extra.max_quantity,
        "validfrom": _day(extra.valid_from),
        "validto": _day(extra.valid_to),
        "include_in_property_lists": extra.include_in_property_lists,
        "limited_to_room_type": extra.room_type,
    }


def coupon_record(coupon) -> dict[str, Any]:
    """A coupon as ``coupon_details``: Jomres' coupon fields, and its guest limit (``max_uses``, ``uses``)."""
    return {
        "coupon_id": coupon.id,
        "property_uid": coupon.property_id,
        "coupon_code": coupon.code,
        "description": coupon.description,
        "amount": json_value(coupon.amount),
        "is_percentage": coupon.is_percentage,
        "valid_from": _day(coupon.valid_from),
        "valid_to": _day(coupon.valid_to),
        "booking_valid_from": _day(coupon.booking_valid_from),
        "booking_valid_to": _day(coupon.booking_valid_to),
        "max_uses": coupon.max_uses,
        "uses": uses(coupon),
    }


def guest_type_record(guest_type) -> dict[str, Any]:
    """A guest type as Jomres' ``guest_type_details`` (``posneg`` 1: plus, 0: minus)."""
    return {
        "guest_type_uid": guest_type.id,
        "property_uid": guest_type.property_id,
        "type": guest_type.name,
        "notes": guest_type.notes,
        "maximum": guest_type.maximum,
        "is_percentage": guest_type.is_percentage,
        "posneg": 1 if guest_type.posneg else 0,
        "variance": json_value(guest_type.variance),
        "is_child": guest_type.is_child,
    }
