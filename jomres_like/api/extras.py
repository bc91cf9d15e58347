"""Optional extras of a property: list, read, create, change (PATCH), delete.

Scopes ``properties_get`` to read, ``properties_set`` to change; changes fire ``extra_saved`` and
``extra_deleted`` as the manager pages do.
"""

from __future__ import annotations

from .. import callbacks as records
from ..services import extras as service
from . import option_schemas as schemas
from .common import api_property, check_id, commit, envelope, errors_doc, make_blueprint, require
from .schemas import enveloped

bp = make_blueprint("extras", "Optional extras a booking may add (Jomres' optional_extras plugin).")

ONE = "/properties/<int:property_uid>/extras/<int:extras_uid>"


@bp.route("/properties/<int:property_uid>/extras", methods=["GET"])
@require("properties_get")
@bp.response(200, enveloped("extras", schemas.Extra, many=True))
@errors_doc(bp, 401, 403, 404)
def list_extras(property_uid: int):
    """The property's extras, by name."""
    prop = api_property(property_uid)
    return envelope("extras", [records.extra_record(e) for e in service.live_extras(prop)])


@bp.route("/properties/<int:property_uid>/extras", methods=["POST"])
@require("properties_set")
@bp.arguments(schemas.ExtraCreate)
@bp.response(201, enveloped("extra_details", schemas.Extra))
@errors_doc(bp, 400, 401, 403, 404, 413, 422)
def add_extra(body: dict, property_uid: int):
    """Create an extra (fires ``extra_saved``)."""
    extra = service.create_extra(api_property(property_uid), body)
    commit()
    return envelope("extra_details", records.extra_record(extra), status=201)


@bp.route(ONE, methods=["GET"])
@require("properties_get")
@bp.response(200, enveloped("extra_details", schemas.Extra))
@errors_doc(bp, 401, 403, 404)
def read_extra(property_uid: int, extras_uid: int):
    """One extra."""
    extra = service.get_extra(api_property(property_uid), check_id(extras_uid, "extra"))
    return envelope("extra_details", records.extra_record(extra))


@bp.route(ONE, methods=["PATCH"])
@require("properties_set")
@bp.arguments(schemas.ExtraPatch)
@bp.response(200, enveloped("extra_details", schemas.Extra))
@errors_doc(bp, 400, 401, 403, 404, 413, 422)
def change_extra(body: dict, property_uid: int, extras_uid: int):
    """Change an extra (fires ``extra_saved`` when something changed)."""
    extra = service.get_extra(api_property(property_uid), check_id(extras_uid, "extra"))
    service.update_extra(extra, body)
    commit()
    return envelope("extra_details", records.extra_record(extra))


@bp.route(ONE, methods=["DELETE"])
@require("properties_set")
@bp.response(200, enveloped("deleted"))
@errors_doc(bp, 401, 403, 404)
def delete_extra(property_uid: int, extras_uid: int):
    """Delete an extra (fires ``extra_deleted``); bookings keep it."""
    service.delete_extra(service.get_extra(api_property(property_uid), check_id(extras_uid, "extra")))
    commit()
    return envelope("deleted", {"extras_uid": extras_uid})
