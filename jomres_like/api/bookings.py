"""Bookings of a property: list, read, create, modify (PATCH), cancel (``bookings_get``, ``bookings_set``).

Changes call the same services as the manager pages, so they fire the same webhooks.
"""

from __future__ import annotations

from sqlalchemy import func, select

from .. import callbacks as records
from ..extensions import db
from ..services import ValidationError
from ..services.bookings import bookings_query, cancel_booking, create_booking, get_booking, modify_booking
from . import schemas
from .common import api_property, check_id, commit, envelope, errors_doc, make_blueprint, require

bp = make_blueprint("bookings", "Bookings (Jomres contracts) of a property.")


@bp.route("/properties/<int:property_uid>/bookings", methods=["GET"])
@require("bookings_get")
@bp.arguments(schemas.BookingsQuery, location="query")
@bp.response(200, schemas.enveloped("bookings", schemas.Booking, many=True))
@errors_doc(bp, 401, 403, 404, 422)
def list_bookings(args: dict, property_uid: int):
    """Bookings whose stay overlaps ``[from, to)``, newest arrival first, ``per_page`` at a time."""
    prop = api_property(property_uid)
    start, end = args.get("from_"), args.get("to")
    if start and end and end <= start:
        raise ValidationError("'to' must be after 'from'.", field="to")
    query = bookings_query(prop, start=start, end=end)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page, per_page = args["page"], args["per_page"]
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return envelope("bookings", [records.booking_record(b) for b in rows], page=page, per_page=per_page,
                    total=total, headers={"X-Total-Count": total})


@bp.route("/properties/<int:property_uid>/bookings", methods=["POST"])
@require("bookings_set")
@bp.arguments(schemas.BookingCreate)
@bp.response(201, schemas.enveloped("contract_details", schemas.Booking))
@errors_doc(bp, 400, 401, 403, 404, 409, 413, 422)
def add_booking(body: dict, property_uid: int):
    """Create a booking (fires ``booking_added``)."""
    prop = api_property(property_uid)
    booking = create_booking(prop, body)
    commit()
    return envelope("contract_details", records.booking_record(booking), status=201)


@bp.route("/properties/<int:property_uid>/bookings/<int:contract_uid>", methods=["GET"])
@require("bookings_get")
@bp.response(200, schemas.enveloped("contract_details", schemas.Booking))
@errors_doc(bp, 401, 403, 404)
def read_booking(property_uid: int, contract_uid: int):
    """One booking."""
    booking = get_booking(api_property(property_uid), check_id(contract_uid, "booking"))
    return envelope("contract_details", records.booking_record(booking))


@bp.route("/properties/<int:property_uid>/bookings/<int:contract_uid>", methods=["PATCH"])
@require("bookings_set")
@bp.arguments(schemas.BookingPatch)
@bp.response(200, schemas.enveloped("contract_details", schemas.Booking))
@errors_doc(bp, 400, 401, 403, 404, 409, 413, 422)
def change_booking(body: dict, property_uid: int, contract_uid: int):
    """Change a booking's dates, rooms, guest, amounts or requests (fires ``booking_modified``)."""
    booking = get_booking(api_property(property_uid), check_id(contract_uid, "booking"))
    modify_booking(booking, body)
    commit()
    return envelope("contract_details", records.booking_record(booking))


@bp.route("/properties/<int:property_uid>/bookings/<int:contract_uid>/cancel", methods=["POST"])
@require("bookings_set")
@bp.arguments(schemas.CancelIn, required=False)
@bp.response(200, schemas.enveloped("contract_details", schemas.Booking))
@errors_doc(bp, 400, 401, 403, 404, 409, 413, 422)
def cancel(body: dict, property_uid: int, contract_uid: int):
    """Cancel a booking (fires ``booking_cancelled``)."""
    booking = get_booking(api_property(property_uid), check_id(contract_uid, "booking"))
    cancel_booking(booking, (body or {}).get("reason", ""))
    commit()
    return envelope("contract_details", records.booking_record(booking))
