"""Schemas of a property's extras, coupons and guest types: request bodies and answers."""

from __future__ import annotations

from marshmallow import fields, validate

from .schemas import JsonBoolean, JsonInteger, JsonNumber, _In, _Out

_money = validate.Range(min=0, max=9_999_999_999)
_percent = validate.Range(min=0, max=100)


class ExtraPatch(_In):
    """Fields of an optional extra that may change; a PATCH changes only those it names."""

    name = fields.String(validate=validate.Length(min=1, max=255))
    description = fields.String(validate=validate.Length(max=5000))
    price = JsonNumber(allow_nan=False, validate=_money,
                       metadata={"description": "Per unit and per booking, tax included."})
    tax_rate = JsonNumber(allow_nan=False, validate=_percent)
    max_quantity = JsonInteger(validate=validate.Range(min=1, max=1000))
    valid_from = fields.Date(allow_none=True, metadata={"description": "First arrival it is offered for."})
    valid_to = fields.Date(allow_none=True, metadata={"description": "Last arrival date it is offered for."})
    room_type = fields.String(validate=validate.Length(max=80),
                              metadata={"description": "Only with a room of this type; \"\": any."})
    auto_select = JsonBoolean(metadata={"description": "Added to new bookings naming no extras."})
    include_in_property_lists = JsonBoolean()


class ExtraCreate(ExtraPatch):
    """A new optional extra."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=255))


class Extra(_Out):
    """An optional extra (Jomres ``extra_details``)."""

    extras_uid = fields.Integer()
    property_uid = fields.Integer()
    name = fields.String()
    desc = fields.String()
    price = fields.Float()
    auto_select = fields.Boolean()
    tax_rate = fields.Float()
    maxquantity = fields.Integer()
    validfrom = fields.Date(allow_none=True)
    validto = fields.Date(allow_none=True)
    include_in_property_lists = fields.Boolean()
    limited_to_room_type = fields.String()


class CouponPatch(_In):
    """Fields of a coupon that may change; a PATCH changes only those it names."""

    code = fields.String(validate=validate.Length(min=1, max=40))
    description = fields.String(validate=validate.Length(max=255))
    amount = JsonNumber(allow_nan=False, validate=_money,
                        metadata={"description": "Money off, or a percentage with is_percentage."})
    is_percentage = JsonBoolean()
    valid_from = fields.Date(allow_none=True, metadata={"description": "First day a booking may use it."})
    valid_to = fields.Date(allow_none=True, metadata={"description": "Last day a booking may use it."})
    booking_valid_from = fields.Date(allow_none=True, metadata={"description": "First arrival date."})
    booking_valid_to = fields.Date(allow_none=True, metadata={"description": "Last arrival date."})
    max_uses = JsonInteger(allow_none=True, validate=validate.Range(min=1, max=1_000_000),
                           metadata={"description": "Bookings (not cancelled) that may use it."})


class CouponCreate(CouponPatch):
    """A new coupon."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    amount = JsonNumber(required=True, allow_nan=False, validate=_money)


class Coupon(_Out):
    """A coupon (``coupon_details``)."""

    coupon_id = fields.Integer()
    property_uid = fields.Integer()
    coupon_code = fields.String()
    amount = fields.Float()
    is_percentage = fields.Boolean()
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    booking_valid_from = fields.Date(allow_none=True)
    booking_valid_to = fields.Date(allow_none=True)
    max_uses = fields.Integer(allow_none=True)
    uses = fields.Integer()


class GuestTypePatch(_In):
    """Fields of a guest type that may change; a PATCH changes only those it names."""

    name = fields.String(validate=validate.Length(min=1, max=120))
    notes = fields.String(validate=validate.Length(max=5000))
    maximum = JsonInteger(validate=validate.Range(min=1, max=100),
                          metadata={"description": "Most guests of this type in one booking."})
    is_percentage = JsonBoolean()
    posneg = JsonBoolean(metadata={"description": "true: the variance is added; false: taken off."})
    variance = JsonNumber(allow_nan=False, validate=_money,
                          metadata={"description": "Per guest and night: an amount, or a percentage of the "
                                                   "night's room rate."})
    is_child = JsonBoolean()


class GuestTypeCreate(GuestTypePatch):
    """A new guest type."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=120))


class GuestType(_Out):
    """A guest type (Jomres ``guest_type_details``; ``posneg`` 1 plus, 0 minus)."""

    guest_type_uid = fields.Integer()
    property_uid = fields.Integer()
    type = fields.String()
    notes = fields.String()
    maximum = fields.Integer()
    is_percentage = fields.Boolean()
    posneg = fields.Integer()
    variance = fields.Float()
    is_child = fields.Boolean()
