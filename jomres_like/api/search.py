"""Search across all properties (scope ``search_get``, super managers only; GET only)."""

from __future__ import annotations

from sqlalchemy import or_, select

from .. import callbacks as records
from ..extensions import db
from ..models import Booking, Guest, Property
from ..services import PermissionDenied
from . import schemas
from .common import current_user, envelope, errors_doc, make_blueprint, require

bp = make_blueprint("search", "Search across every property (super managers).")
LIMIT = 50


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@bp.route("/search", methods=["GET"])
@require("search_get")
@bp.arguments(schemas.SearchQuery, location="query")
@bp.response(200, schemas.enveloped("search"))
@errors_doc(bp, 401, 403, 422)
def search(args: dict):
    """Properties by name or town, guests by name or email, bookings by number (at most 50 of each)."""
    if not current_user().is_super_manager:
        raise PermissionDenied("Only super managers can search across properties.")
    like = _like(args["q"].strip())
    props = db.session.scalars(
        select(Property).where(Property.deleted.is_(False),
                               or_(Property.name.ilike(like, escape="\\"),
                                   Property.town.ilike(like, escape="\\")))
        .order_by(Property.id).limit(LIMIT))
    guests = db.session.scalars(
        select(Guest).join(Property, Property.id == Guest.property_id)
        .where(Guest.deleted.is_(False), Property.deleted.is_(False),
               or_(Guest.firstname.ilike(like, escape="\\"), Guest.surname.ilike(like, escape="\\"),
                   Guest.email.ilike(like, escape="\\")))
        .order_by(Guest.id).limit(LIMIT))
    bookings = db.session.scalars(
        select(Booking).join(Property, Property.id == Booking.property_id)
        .where(Property.deleted.is_(False), Booking.booking_number.ilike(like, escape="\\"))
        .order_by(Booking.id).limit(LIMIT))
    return envelope("search", {
        "properties": [records.property_record(p) for p in props],
        "guests": [records.guest_record(g) for g in guests],
        "bookings": [records.booking_record(b) for b in bookings],
    })
