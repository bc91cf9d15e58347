"""The callback feature: ``GET /jomres/api/webhooks/{property_uid}/{event}[/{id}]`` (scope ``webhooks_get``).

A remote service that received a webhook calls back here to read the full record, under Jomres' response
keys (``contract_details``, ``guest_details``...). Every event of the catalogue and every legacy name works.
"""

from __future__ import annotations

from .. import callbacks as records
from ..services import NotFound
from .common import check_id, check_property, envelope, errors_doc, make_blueprint, require

bp = make_blueprint("webhooks", "Callback feature: read the full record a webhook notification was about.")

CALLBACK_DOC = {
    "description": (
        "Events: " + ", ".join(records.callback_events()) + ". Response keys: contract_details, "
        "note_details, blackbooking_details, guest_details, invoice_details, room_details, property_details, "
        "property_settings, property_tariffs, extra_details, coupon_details, guest_type_details."
    ),
    "security": [{"bearerAuth": []}],
}
#: The answer, typed per Jomres response key in the OpenAPI document (``api.openapi``)
CallbackEnvelope = "CallbackEnvelope"


def _answer(property_uid: int, event: str, subject_id: int | None):
    if event not in records.SUBJECTS:
        raise NotFound(f"Unknown event {event!r}.")
    check_property(property_uid)  # the property is loaded only for the records that need it
    if subject_id is not None:
        check_id(subject_id)
    if not records.needs_id(event):
        subject_id = None  # property-level events: generic clients may append an id; it is not needed
    return envelope(records.response_key(event), records.callback_record(property_uid, event, subject_id))


@bp.route("/webhooks/<int:property_uid>/<string:event>", methods=["GET"])
@require("webhooks_get")
@bp.doc(summary="The record a property-level event is about", **CALLBACK_DOC)
@bp.response(200, CallbackEnvelope)
@errors_doc(bp, 401, 403, 404)
def property_callback(property_uid: int, event: str):
    """Property events (tariffs_updated, property_*): the property's details, settings or tariffs."""
    return _answer(property_uid, event, None)


@bp.route("/webhooks/<int:property_uid>/<string:event>/<int:subject_id>", methods=["GET"])
@require("webhooks_get")
@bp.doc(summary="The record an event is about", **CALLBACK_DOC)
@bp.response(200, CallbackEnvelope)
@errors_doc(bp, 401, 403, 404)
def record_callback(property_uid: int, event: str, subject_id: int):
    """Booking, note, guest, invoice, room, black-booking, extra, coupon and guest type events, by id."""
    return _answer(property_uid, event, subject_id)
