"""Properties, their tariffs and guests (scopes ``properties_get``, ``properties_set``, ``bookings_get``)."""

from __future__ import annotations

from sqlalchemy import select

from .. import callbacks as records
from ..extensions import db
from ..models import Guest
from ..services.access import visible_properties
from ..services.tariffs import replace_tariffs
from . import schemas
from .common import api_property, commit, current_user, envelope, errors_doc, make_blueprint, require

bp = make_blueprint("properties", "Properties the key's owner manages, their tariffs and guests.")


@bp.route("/properties", methods=["GET"])
@require("properties_get")
@bp.response(200, schemas.enveloped("properties", schemas.Property, many=True))
@errors_doc(bp, 401, 403)
def list_properties():
    """The live properties the key's owner manages."""
    return envelope("properties", [records.property_record(p) for p in visible_properties(current_user())])


@bp.route("/properties/<int:property_uid>", methods=["GET"])
@require("properties_get")
@bp.response(200, schemas.enveloped("property_details", schemas.Property))
@errors_doc(bp, 401, 403, 404)
def read_property(property_uid: int):
    """One property, with its settings."""
    prop = api_property(property_uid)
    return envelope("property_details", {**records.property_record(prop),
                                         "settings": records.settings_record(prop)})


@bp.route("/properties/<int:property_uid>/tariffs", methods=["GET"])
@require("properties_get")
@bp.response(200, schemas.enveloped("property_tariffs"))
@errors_doc(bp, 401, 403, 404)
def read_tariffs(property_uid: int):
    """The property's tariffs."""
    return envelope("property_tariffs", records.tariffs_record(api_property(property_uid)))


@bp.route("/properties/<int:property_uid>/tariffs", methods=["PUT"])
@require("properties_set")
@bp.arguments(schemas.TariffsIn)
@bp.response(200, schemas.enveloped("property_tariffs"))
@errors_doc(bp, 400, 401, 403, 404, 413, 422)
def replace_property_tariffs(body: dict, property_uid: int):
    """Replace all tariffs of the property (fires ``tariffs_updated``)."""
    prop = api_property(property_uid)
    replace_tariffs(prop, body["tariffs"])
    commit()
    return envelope("property_tariffs", records.tariffs_record(prop))


@bp.route("/properties/<int:property_uid>/guests", methods=["GET"])
@require("bookings_get")
@bp.response(200, schemas.enveloped("guests", schemas.Guest, many=True))
@errors_doc(bp, 401, 403, 404)
def list_guests(property_uid: int):
    """The property's live guests."""
    prop = api_property(property_uid)
    query = select(Guest).where(Guest.property_id == prop.id, Guest.deleted.is_(False)).order_by(Guest.id)
    return envelope("guests", [records.guest_record(g) for g in db.session.scalars(query)])
