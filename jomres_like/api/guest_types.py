"""Guest types of a property (Jomres "customer types"): list, read, create, change (PATCH), delete.

Scopes ``properties_get`` to read, ``properties_set`` to change; changes fire ``guest_type_saved`` and
``guest_type_deleted`` as the manager pages do.
"""

from __future__ import annotations

from .. import callbacks as records
from ..services import guest_types as service
from . import option_schemas as schemas
from .common import api_property, check_id, commit, envelope, errors_doc, make_blueprint, require
from .schemas import enveloped

bp = make_blueprint("guest_types", "Kinds of guest with their price variance (Jomres customer types).")

ONE = "/properties/<int:property_uid>/guest_types/<int:guest_type_uid>"


@bp.route("/properties/<int:property_uid>/guest_types", methods=["GET"])
@require("properties_get")
@bp.response(200, enveloped("guest_types", schemas.GuestType, many=True))
@errors_doc(bp, 401, 403, 404)
def list_guest_types(property_uid: int):
    """The property's guest types, adults first."""
    prop = api_property(property_uid)
    return envelope("guest_types", [records.guest_type_record(t) for t in service.live_guest_types(prop)])


@bp.route("/properties/<int:property_uid>/guest_types", methods=["POST"])
@require("properties_set")
@bp.arguments(schemas.GuestTypeCreate)
@bp.response(201, enveloped("guest_type_details", schemas.GuestType))
@errors_doc(bp, 400, 401, 403, 404, 413, 422)
def add_guest_type(body: dict, property_uid: int):
    """Create a guest type (fires ``guest_type_saved``)."""
    guest_type = service.create_guest_type(api_property(property_uid), body)
    commit()
    return envelope("guest_type_details", records.guest_type_record(guest_type), status=201)


@bp.route(ONE, methods=["GET"])
@require("properties_get")
@bp.response(200, enveloped("guest_type_details", schemas.GuestType))
@errors_doc(bp, 401, 403, 404)
def read_guest_type(property_uid: int, guest_type_uid: int):
    """One guest type."""
    guest_type = service.get_guest_type(api_property(property_uid), check_id(guest_type_uid, "guest type"))
    return envelope("guest_type_details", records.guest_type_record(guest_type))


@bp.route(ONE, methods=["PATCH"])
@require("properties_set")
@bp.arguments(schemas.GuestTypePatch)
@bp.response(200, enveloped("guest_type_details", schemas.GuestType))
@errors_doc(bp, 400, 401, 403, 404, 413, 422)
def change_guest_type(body: dict, property_uid: int, guest_type_uid: int):
    """Change a guest type (fires ``guest_type_saved`` when something changed)."""
    guest_type = service.get_guest_type(api_property(property_uid), check_id(guest_type_uid, "guest type"))
    service.update_guest_type(guest_type, body)
    commit()
    return envelope("guest_type_details", records.guest_type_record(guest_type))


@bp.route(ONE, methods=["DELETE"])
@require("properties_set")
@bp.response(200, enveloped("deleted"))
@errors_doc(bp, 401, 403, 404)
def delete_guest_type(property_uid: int, guest_type_uid: int):
    """Delete a guest type (fires ``guest_type_deleted``); bookings keep their counts."""
    guest_type = service.get_guest_type(api_property(property_uid), check_id(guest_type_uid, "guest type"))
    service.delete_guest_type(guest_type)
    commit()
    return envelope("deleted", {"guest_type_uid": guest_type_uid})
