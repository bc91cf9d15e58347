"""Full records of an event's subject, in Jomres' callback shapes.

The webhook payload (``include_record``) and the REST API's callback feature
(``GET /jomres/api/webhooks/{property_uid}/{event}/{id}``) both describe "what the event is about" with these
functions. Child records are always looked up through their property, so another property's id is not found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .booking_reader import read_booking
from .extensions import db
from .jomres_records import (
    all_property_rooms,
    jomres_room,
    nested,
    property_tariffs,
    room_class_uid,
    rooms_tariffs,
)
from .models import Booking, BookingNote, Invoice, Property, Room, Tariff
from .option_records import booking_extra_record, coupon_record, extra_record, guest_type_record
from .services import NotFound, ValidationError
from .services.blackbookings import get_black_booking
from .services.bookings import get_booking
from .services.coupons import get_coupon
from .services.events import json_value
from .services.extras import get_extra
from .services.guest_types import get_guest_type
from .services.guests import get_guest
from .services.invoices import get_invoice
from .services.notes import get_note
from .services.rooms import get_room
from .signals import CATALOGUE, LEGACY_EVENTS

# --- serialisers ---------------------------------------------------------------------------------------


def guest_record(guest) -> dict[str, Any]:
    """A guest as ``guest_details``."""
    return {
        "guest_uid": guest.id,
        "property_uid": guest.property_id,
        "firstname": guest.firstname,
        "surname": guest.surname,
        "email": guest.email,
        "tel_landline": guest.tel_landline,
        "tel_mobile": guest.tel_mobile,
        "house": guest.house,
        "street": guest.street,
        "town": guest.town,
        "region": guest.region,
        "country": guest.country,
        "postcode": guest.postcode,
        # Jomres' guest fields we have no domain for yet: no discount, no VAT number
        "discount": 0,
        "vat_number": "",
        "vat_number_validated": False,
        "created_at": json_value(guest.created_at),
    }


def tariff_record(tariff: Tariff) -> dict[str, Any]:
    """A tariff as one entry of ``property_tariffs``."""
    return {
        "tariff_id": tariff.id,
        "name": tariff.name,
        "room_type": tariff.room_type,
        "start_date": tariff.start_date.isoformat(),
        "end_date": tariff.end_date.isoformat(),
        "rate_per_night": json_value(tariff.rate_per_night),
        "min_nights": tariff.min_nights,
        "max_nights": tariff.max_nights,
        "pricing_type": tariff.pricing_type,
    }


def room_record(room: Room, tariffs: list[Tariff] | None = None) -> dict[str, Any]:
    """A room as ``room_details``, with the tariffs of its room type (all of them, or those given)."""
    if tariffs is None:
        tariffs = list(room.property.tariffs)
    return {
        "room_uid": room.id,
        "property_uid": room.property_id,
        "room_number": room.number,
        "room_name": room.name,
        "room_type": room.room_type,
        "max_people": room.max_people,
        "room_classes_uid": room_class_uid(room.room_type),
        "propertys_uid": room.property_id,
        "tariffs": [tariff_record(t) for t in tariffs if t.room_type == room.room_type],
    }


def note_record(note) -> dict[str, Any]:
    """A booking note as ``note_details``."""
    return {
        "note_id": note.id,
        "contract_uid": note.booking_id,
        "property_uid": note.booking.property_id,
        "text": note.text,
        "note_content": note.text,
        "author": note.author.username if note.author is not None else None,
        "created_at": json_value(note.created_at),
        "updated_at": json_value(note.updated_at),
    }


def booking_record(booking: Booking) -> dict[str, Any]:
    """A booking as Jomres' ``contract_details``: dates, guest, rooms with tariffs, amounts, flags, notes."""
    guest = booking.guest
    stay_tariffs = [
        t for t in booking.property.tariffs
        if t.start_date < booking.departure and t.end_date > booking.arrival
    ]
    return {
        "contract_uid": booking.id,
        "property_uid": booking.property_id,
        "booking_number": booking.booking_number,
        "tag": booking.booking_number,
        "arrival": booking.arrival.isoformat(),
        "departure": booking.departure.isoformat(),
        "nights": booking.nights,
        "adults": booking.adults,
        "children": booking.children,
        "guest_uid": booking.guest_id,
        "firstname": guest.firstname if guest else "",
        "surname": guest.surname if guest else "",
        "email": guest.email if guest else "",
        "tel_landline": guest.tel_landline if guest else "",
        "tel_mobile": guest.tel_mobile if guest else "",
        "guest": guest_record(guest) if guest else None,
        "room_uids": [room.id for room in booking.rooms],
        "rooms": [room_record(room, stay_tariffs) for room in booking.rooms],
        "currency": booking.property.setting("currency"),
        "contract_total": json_value(booking.contract_total),
        "deposit_required": json_value(booking.deposit_required),
        "deposit_paid": booking.deposit_paid,
        "deposit_ref": booking.deposit_ref,
        "deposits": [
            {"amount": json_value(d.amount), "depositref": d.reference,
             "created_at": json_value(d.created_at)}
            for d in booking.deposits
        ],
        "special_reqs": booking.special_reqs,
        "cancelled": booking.cancelled,
        "cancelled_reason": booking.cancelled_reason,
        "noshow": booking.noshow,
        "booked_in": booking.booked_in,
        "booked_out": booking.booked_out,
        "bookedout": booking.booked_out,
        "rooms_tariffs": rooms_tariffs(booking.rooms, stay_tariffs),
        "roomdeets": {str(room.id): jomres_room(room) for room in booking.rooms},
        "image": "",  # Jomres' guest image: no media library yet
        "status": booking.status,
        "notes": [note_record(note) for note in booking.notes],
        "extras": [line.extra_id for line in booking.extras],
        "extradeets": {str(line.extra_id): booking_extra_record(line) for line in booking.extras},
        "coupon_id": booking.coupon_id,
        "discount": json_value(booking.discount),
        "guest_types": [
            {"guest_type_uid": line.guest_type_id, "type": line.guest_type.name, "count": line.count,
             "is_child": line.guest_type.is_child}
            for line in booking.guest_types
        ],
        "created_at": json_value(booking.created_at),
        "updated_at": json_value(booking.updated_at),
    }


def black_booking_record(black) -> dict[str, Any]:
    """A black booking as ``blackbooking_details``."""
    return {
        "contract_uid": black.id,
        "property_uid": black.property_id,
        "start": black.start.isoformat(),
        "end": black.end.isoformat(),
        "reason": black.reason,
        "arrival": black.start.isoformat(),
        "departure": black.end.isoformat(),
        "special_reqs": black.reason,
        "room_uids": [room.id for room in black.rooms],
    }


def invoice_record(invoice: Invoice) -> dict[str, Any]:
    """An invoice as ``invoice_details``, with its lines."""
    return {
        "invoice_uid": invoice.id,
        "property_uid": invoice.property_id,
        "contract_uid": invoice.booking_id,
        "guest_uid": invoice.guest_id,
        "status": invoice.status,
        "currency": invoice.currency,
        "due_date": json_value(invoice.due_date),
        "total": json_value(invoice.total),
        "lines": [
            {
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": json_value(line.unit_price),
                "tax_rate": json_value(line.tax_rate),
                "total": json_value(line.total),
            }
            for line in invoice.lines
        ],
        "created_at": json_value(invoice.created_at),
        "updated_at": json_value(invoice.updated_at),
    }


def property_record(prop: Property) -> dict[str, Any]:
    """A property as ``property_details``, with its live rooms."""
    return {
        "property_uid": prop.id,
        "property_name": prop.name,
        "property_street": prop.street,
        "property_town": prop.town,
        "property_region": prop.region,
        "property_country": prop.country,
        "property_postcode": prop.postcode,
        "property_email": prop.email,
        "property_tel": prop.telephone,
        "property_description": prop.description,
        "published": prop.published,
        "approved": prop.approved,
        "rooms": [
            {"room_uid": r.id, "room_number": r.number, "room_name": r.name, "room_type": r.room_type}
            for r in prop.rooms
            if not r.deleted
        ],
    }


def settings_record(prop: Property) -> dict[str, Any]:
    """A property's settings as ``property_settings`` (defaults filled in)."""
    from .models import DEFAULT_PROPERTY_SETTINGS

    return {"property_uid": prop.id, **{key: prop.setting(key) for key in DEFAULT_PROPERTY_SETTINGS}}


def tariffs_record(prop: Property) -> dict[str, Any]:
    """A property's tariffs as ``property_tariffs``."""
    return {"property_uid": prop.id, "tariffs": [tariff_record(t) for t in prop.tariffs]}


# --- events -> records --------------------------------------------------------------------------------

_BOOKING_EVENTS = (
    "booking_added", "booking_modified", "booking_cancelled", "booking_marked_noshow", "guest_checkedin",
    "guest_checkedin_undone", "guest_checkedout", "guest_checkedout_undone", "deposit_saved",
)

#: event name -> (response key, id key in the event data or None)
SUBJECTS: dict[str, tuple[str, str | None]] = {
    **{name: ("contract_details", "contract_uid") for name in _BOOKING_EVENTS},
    "booking_note_saved": ("note_details", "note_id"),
    "booking_note_deleted": ("note_details", "note_id"),
    "booking_note_save": ("note_details", "note_uid"),
    "blackbooking_created": ("blackbooking_details", "contract_uid"),
    "blackbooking_deleted": ("blackbooking_details", "contract_uid"),
    "blackbooking_added": ("blackbooking_details", "contract_uid"),
    "guest_saved": ("guest_details", "guest_uid"),
    "guest_updated": ("guest_details", "guest_uid"),
    "guest_deleted": ("guest_details", "guest_uid"),
    "invoice_created": ("invoice_details", "invoice_uid"),
    "invoice_updated": ("invoice_details", "invoice_uid"),
    "invoice_cancelled": ("invoice_details", "invoice_uid"),
    "invoice_saved": ("invoice_details", "invoice_uid"),
    "tariffs_updated": ("property_tariffs", None),
    "room_added": ("room_details", "room_uid"),
    "room_updated": ("room_details", "room_uid"),
    "room_deleted": ("room_details", "room_uid"),
    "property_created": ("property_details", None),
    "property_updated": ("property_details", None),
    "property_published": ("property_details", None),
    "property_unpublished": ("property_details", None),
    "property_deleted": ("property_details", None),
    "property_added": ("property_details", None),
    "property_saved": ("property_details", None),
    "property_settings_updated": ("property_settings", None),
    "rooms_multiple_added": ("all_property_rooms", None),
    "extra_saved": ("extra_details", "extras_uid"),
    "extra_deleted": ("extra_details", "extras_uid"),
    "coupon_saved": ("coupon_details", "coupon_id"),
    "coupon_updated": ("coupon_details", "coupon_id"),
    "coupon_deleted": ("coupon_details", "coupon_id"),
    "guest_type_saved": ("guest_type_details", "guest_type_uid"),
    "guest_type_deleted": ("guest_type_details", "guest_type_uid"),
}
# Other spellings of an id key in an event's data: Jomres' fake-event tool says ``extra_uid``.
ID_ALIASES = {"extras_uid": ("extra_uid",)}


def callback_events() -> list[str]:
    """Every event name the callback feature answers (catalogue and legacy names, but not webhook_test)."""
    return [name for name in list(CATALOGUE) + list(LEGACY_EVENTS) if name in SUBJECTS]


def response_key(event: str) -> str:
    """Jomres' response key for ``event`` (``contract_details``...); :class:`NotFound` for unknown events."""
    if event not in SUBJECTS:
        raise NotFound(f"Unknown event {event!r}.")
    return SUBJECTS[event][0]


def needs_id(event: str) -> bool:
    """Whether the callback for ``event`` needs the subject's id."""
    response_key(event)
    return SUBJECTS[event][1] is not None


def _note(prop: Property, note_id: int):
    note = db.session.get(BookingNote, note_id)
    if note is None:
        raise NotFound("No such note.")
    booking = get_booking(prop, note.booking_id)  # NotFound for another property's note
    return get_note(booking, note_id)


def contract_details(property_uid: int, uid: int) -> dict[str, Any]:
    """``booking_record`` of property ``property_uid``'s booking ``uid``, read with Core statements only."""
    return booking_record(read_booking(property_uid, uid))


_LOADERS: dict[str, Callable[[Property, int | None], dict]] = {
    "contract_details": lambda prop, uid: contract_details(prop.id, uid),
    "note_details": lambda prop, uid: note_record(_note(prop, uid)),
    "blackbooking_details": lambda prop, uid: black_booking_record(get_black_booking(prop, uid)),
    "guest_details": lambda prop, uid: guest_record(get_guest(prop, uid)),
    "invoice_details": lambda prop, uid: nested("invoice", invoice_record(get_invoice(prop, uid))),
    "room_details": lambda prop, uid: room_record(get_room(prop, uid)),
    "property_details": lambda prop, uid: nested("property", property_record(prop)),
    "property_settings": lambda prop, uid: settings_record(prop),
    "property_tariffs": lambda prop, uid: property_tariffs(prop),
    "all_property_rooms": lambda prop, uid: all_property_rooms(prop),
    "extra_details": lambda prop, uid: extra_record(get_extra(prop, uid)),
    "coupon_details": lambda prop, uid: coupon_record(get_coupon(prop, uid)),
    "guest_type_details": lambda prop, uid: guest_type_record(get_guest_type(prop, uid)),
}


def _checked_key(event: str, subject_id: int | None) -> str:
    """The response key of ``event``, once its ``subject_id`` is known usable (:class:`NotFound`)."""
    key = response_key(event)
    if needs_id(event):
        if subject_id is None:
            raise NotFound(f"The {event} callback needs an id.")
        if not isinstance(subject_id, int) or isinstance(subject_id, bool) or subject_id < 1:
            raise NotFound("No such record.")
    return key


def subject_record(prop: Property, event: str, subject_id: int | None) -> dict[str, Any]:
    """The record ``event`` is about, looked up through ``prop``; :class:`NotFound` when unknown or gone.

    ``prop`` must be live and visible to the caller (access is checked before).
    """
    return _LOADERS[_checked_key(event, subject_id)](prop, subject_id)


def callback_record(property_uid: int, event: str, subject_id: int | None) -> dict[str, Any]:
    """:func:`subject_record` for a property whose access was checked but which is not loaded yet.

    ``contract_details``, the callback remote systems ask for most, is read without loading the property;
    the other records load it first.
    """
    key = _checked_key(event, subject_id)
    if key == "contract_details":
        return contract_details(property_uid, subject_id)
    return _LOADERS[key](db.session.get(Property, property_uid), subject_id)


def record_for_event(event: str, data: dict) -> dict | None:
    """The full record of the event's subject, or ``None`` when it is gone (or the event has none)."""
    if event not in SUBJECTS or not isinstance(data, dict):
        return None
    try:
        prop = db.session.get(Property, int(data.get("property_uid")))
    except (TypeError, ValueError):
        return None
    if prop is None or prop.deleted:
        return None
    id_key = SUBJECTS[event][1]
    subject_id = None
    if id_key is not None:
        value = data.get(id_key)
        for alias in ID_ALIASES.get(id_key, ()):
            value = data.get(alias) if value is None else value
        try:
            subject_id = int(value)
        except (TypeError, ValueError):
            return None
    try:
        return subject_record(prop, event, subject_id)
    except (NotFound, ValidationError):
        return None

