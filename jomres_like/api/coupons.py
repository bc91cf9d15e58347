"""Coupons of a property: list, read, create, change (PATCH), delete.

Scopes ``properties_get`` to read, ``properties_set`` to change; changes fire ``coupon_saved``,
``coupon_updated`` and ``coupon_deleted`` as the manager pages do.
"""

from __future__ import annotations

from .. import callbacks as records
from ..services import coupons as service
from . import option_schemas as schemas
from .common import api_property, check_id, commit, envelope, errors_doc, make_blueprint, require
from .schemas import enveloped

bp = make_blueprint("coupons", "Discount codes a booking may use.")

ONE = "/properties/<int:property_uid>/coupons/<int:coupon_id>"


@bp.route("/properties/<int:property_uid>/coupons", methods=["GET"])
@require("properties_get")
@bp.response(200, enveloped("coupons", schemas.Coupon, many=True))
@errors_doc(bp, 401, 403, 404)
def list_coupons(property_uid: int):
    """The property's coupons, by code."""
    prop = api_property(property_uid)
    return envelope("coupons", [records.coupon_record(c) for c in service.live_coupons(prop)])


@bp.route("/properties/<int:property_uid>/coupons", methods=["POST"])
@require("properties_set")
@bp.arguments(schemas.CouponCreate)
@bp.response(201, enveloped("coupon_details", schemas.Coupon))
@errors_doc(bp, 400, 401, 403, 404, 413, 422)
def add_coupon(body: dict, property_uid: int):
    """Create a coupon (fires ``coupon_saved``)."""
    coupon = service.create_coupon(api_property(property_uid), body)
    commit()
    return envelope("coupon_details", records.coupon_record(coupon), status=201)


@bp.route(ONE, methods=["GET"])
@require("properties_get")
@bp.response(200, enveloped("coupon_details", schemas.Coupon))
@errors_doc(bp, 401, 403, 404)
def read_coupon(property_uid: int, coupon_id: int):
    """One coupon."""
    coupon = service.get_coupon(api_property(property_uid), check_id(coupon_id, "coupon"))
    return envelope("coupon_details", records.coupon_record(coupon))


@bp.route(ONE, methods=["PATCH"])
@require("properties_set")
@bp.arguments(schemas.CouponPatch)
@bp.response(200, enveloped("coupon_details", schemas.Coupon))
@errors_doc(bp, 400, 401, 403, 404, 413, 422)
def change_coupon(body: dict, property_uid: int, coupon_id: int):
    """Change a coupon (fires ``coupon_updated`` when something changed)."""
    coupon = service.get_coupon(api_property(property_uid), check_id(coupon_id, "coupon"))
    service.update_coupon(coupon, body)
    commit()
    return envelope("coupon_details", records.coupon_record(coupon))


@bp.route(ONE, methods=["DELETE"])
@require("properties_set")
@bp.response(200, enveloped("deleted"))
@errors_doc(bp, 401, 403, 404)
def delete_coupon(property_uid: int, coupon_id: int):
    """Delete a coupon (fires ``coupon_deleted``); bookings keep their discount."""
    service.delete_coupon(service.get_coupon(api_property(property_uid), check_id(coupon_id, "coupon")))
    commit()
    return envelope("deleted", {"coupon_id": coupon_id})
