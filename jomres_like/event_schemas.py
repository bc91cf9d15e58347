"""JSON Schemas of what a receiver gets (each event's envelope and ``data``) and of the callback records.

Built from the catalogue (:mod:`.signals`), so a new event is described as soon as it is declared: its
``data`` keys are typed by :data:`KEY_SCHEMAS` (an unknown key is described as any JSON value). The callback
records are described under their Jomres response keys (:data:`RECORD_SCHEMAS`); the REST API's OpenAPI
document, ``GET /jomres/api/webhook_events`` and the event catalogue page all use these.
"""

from __future__ import annotations

from typing import Any

from .signals import CATALOGUE, LEGACY_DATA_KEYS, EventType, legacy_name

DIALECT = "https://json-schema.org/draft/2020-12/schema"

INT, STR, NUM, BOOL = {"type": "integer"}, {"type": "string"}, {"type": "number"}, {"type": "boolean"}
STR0, INT0 = {"type": ["string", "null"]}, {"type": ["integer", "null"]}
DATE = {"type": "string", "format": "date"}
ANY: dict = {}


def _obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    """An object schema with ``properties``; other properties may follow (we add fields beside Jomres')."""
    return {"type": "object", "properties": properties, "required": list(required)}


def _list(item: dict) -> dict:
    return {"type": "array", "items": item}


#: The type of each ``data`` key an event may carry.
KEY_SCHEMAS: dict[str, dict] = {
    **{
        key: INT
        for key in (
            "property_uid",
            "contract_uid",
            "note_id",
            "note_uid",
            "guest_uid",
            "invoice_uid",
            "room_uid",
            "webhook_id",
            "guest_type_uid",
            "extras_uid",
            "extra_uid",
            "review_uid",
            "cms_user_id",
            "changeover_day_of_week",
            "message_id",
            "recipient_id",
        )
    },
    "coupon_id": INT,
    "depositref": STR,
    "room_ids": {"type": ["string", "array"], "description": "The rooms' ids (Jomres: a JSON-encoded list)."},
    "property_ids": _list(INT),
    **{
        key: STR
        for key in ("name", "username", "email", "plugin", "added_image", "deleted_image", "resource_type")
    },
}

_TARIFF = _obj(
    ("tariff_id",),
    tariff_id=INT,
    name=STR0,
    room_type=STR,
    start_date=DATE,
    end_date=DATE,
    rate_per_night=NUM,
    min_nights=INT0,
    max_nights=INT0,
    pricing_type=STR,
)
_JOMRES_ROOM = _obj(
    ("room_uid",),
    room_uid=INT,
    room_classes_uid=INT,
    propertys_uid=INT,
    room_name=STR0,
    room_number=STR0,
    max_people=INT0,
    room_type=STR0,
)
_ROOM = _obj(
    ("room_uid", "property_uid"),
    room_uid=INT,
    property_uid=INT,
    room_number=STR0,
    room_name=STR0,
    room_type=STR0,
    max_people=INT0,
    room_classes_uid=INT,
    propertys_uid=INT,
    tariffs=_list(_TARIFF),
)
_GUEST = _obj(
    ("guest_uid", "property_uid"),
    guest_uid=INT,
    property_uid=INT,
    firstname=STR0,
    surname=STR0,
    email=STR0,
    tel_landline=STR0,
    tel_mobile=STR0,
    house=STR0,
    street=STR0,
    town=STR0,
    region=STR0,
    country=STR0,
    postcode=STR0,
    discount=NUM,
    vat_number=STR0,
    vat_number_validated=BOOL,
    created_at=STR0,
)
_NOTE = _obj(
    ("note_id", "contract_uid"),
    note_id=INT,
    contract_uid=INT,
    property_uid=INT,
    text=STR0,
    note_content=STR0,
    author=STR0,
    created_at=STR0,
    updated_at=STR0,
)
_INVOICE = _obj(
    ("invoice_uid", "property_uid"),
    invoice_uid=INT,
    property_uid=INT,
    contract_uid=INT0,
    guest_uid=INT0,
    status=STR0,
    currency=STR0,
    due_date=STR0,
    total=NUM,
    created_at=STR0,
    updated_at=STR0,
    lines=_list(_obj(description=STR0, quantity=NUM, unit_price=NUM, tax_rate=NUM, total=NUM)),
)
_PROPERTY = _obj(
    ("property_uid",),
    property_uid=INT,
    property_name=STR0,
    property_street=STR0,
    property_town=STR0,
    property_region=STR0,
    property_country=STR0,
    property_postcode=STR0,
    property_email=STR0,
    property_tel=STR0,
    property_description=STR0,
    published=BOOL,
    approved=BOOL,
    rooms=_list(_obj(room_uid=INT, room_number=STR0, room_name=STR0, room_type=STR0)),
)
_JOMRES_TARIFF = _obj(
    ("rates_uid",),
    rates_uid=INT,
    rate_title=STR0,
    rate_description=STR0,
    validfrom=DATE,
    validto=DATE,
    roomrateperday=NUM,
    mindays=INT0,
    maxdays=INT0,
    minpeople=INT,
    maxpeople=INT,
    roomclass_uid=INT,
    ignore_pppn=INT,
    allow_we=INT,
    weekendonly=INT,
    dayofweek=INT,
    minrooms_alreadyselected=INT,
    maxrooms_alreadyselected=INT,
    tariff_dates=_list(DATE),
    room_type=STR0,
    pricing_type=STR0,
)

#: The callback records by Jomres response key.
RECORD_SCHEMAS: dict[str, dict] = {
    "contract_details": _obj(
        ("contract_uid", "property_uid", "arrival", "departure"),
        contract_uid=INT,
        property_uid=INT,
        booking_number=STR0,
        tag=STR0,
        arrival=DATE,
        departure=DATE,
        nights=INT,
        adults=INT0,
        children=INT0,
        guest_uid=INT0,
        firstname=STR0,
        surname=STR0,
        email=STR0,
        tel_landline=STR0,
        tel_mobile=STR0,
        room_uids=_list(INT),
        rooms=_list(_ROOM),
        rooms_tariffs=STR,
        roomdeets={"type": "object", "additionalProperties": _JOMRES_ROOM},
        currency=STR0,
        contract_total=NUM,
        deposit_required=NUM,
        deposit_paid=BOOL,
        deposit_ref=STR0,
        special_reqs=STR0,
        cancelled=BOOL,
        cancelled_reason=STR0,
        noshow=BOOL,
        booked_in=BOOL,
        booked_out=BOOL,
        bookedout=BOOL,
        image=STR0,
        status=STR0,
        extras=ANY,
        extradeets=ANY,
        coupon_id=INT0,
        notes=_list(_NOTE),
        created_at=STR0,
        updated_at=STR0,
        deposits=_list(_obj(amount=NUM, depositref=STR0, created_at=STR0)),
    ),
    "note_details": _NOTE,
    "blackbooking_details": _obj(
        ("contract_uid", "property_uid"),
        contract_uid=INT,
        property_uid=INT,
        start=DATE,
        end=DATE,
        arrival=DATE,
        departure=DATE,
        special_reqs=STR0,
        reason=STR0,
        room_uids=_list(INT),
    ),
    "guest_details": _GUEST,
    "invoice_details": {**_INVOICE, "properties": {**_INVOICE["properties"], "invoice": _INVOICE}},
    "room_details": _ROOM,
    "property_details": {**_PROPERTY, "properties": {**_PROPERTY["properties"], "property": _PROPERTY}},
    "property_settings": _obj(("property_uid",), property_uid=INT),
    "property_tariffs": _obj(
        ("property_uid", "tariffs"),
        property_uid=INT,
        tariffs={"type": "object", "additionalProperties": _JOMRES_TARIFF},
    ),
    "all_property_rooms": _obj(
        ("property_uid",),
        property_uid=INT,
        property_rooms={"type": "object", "additionalProperties": _list(_JOMRES_ROOM)},
        room_types={
            "type": "object",
            "additionalProperties": _obj(
                room_classes_uid=INT, room_class_abbv=STR0, room_class_full_desc=STR0
            ),
        },
    ),
}


def event_names(event: EventType) -> list[str]:
    """The names ``event`` is sent under: its own, and its older Jomres name when it has one."""
    return list(dict.fromkeys((event.name, legacy_name(event.name))))


def data_schema(event: EventType) -> dict[str, Any]:
    """The JSON Schema of ``event``'s ``data``: its keys, ``manager_id`` and ``task``."""
    properties = {key: KEY_SCHEMAS.get(key, ANY) for key in event.keys}
    for key, older in LEGACY_DATA_KEYS.items():
        if key in event.keys:
            properties[older] = {**INT, "description": f"Sent beside {key} to jomres_legacy webhooks."}
    properties["manager_id"] = {**INT0, "description": "The webhook's manager; null for site-wide webhooks."}
    properties["task"] = {"type": "string", "enum": event_names(event), "description": "The event name."}
    return {"type": "object", "properties": properties, "required": [*event.keys, "manager_id", "task"]}


def envelope_schema(event: EventType, data: dict | None = None) -> dict[str, Any]:
    """The JSON Schema of the body a receiver gets for ``event`` (``data`` inline unless given)."""
    return {
        "type": "object",
        "description": event.description,
        "properties": {
            "id": {"type": "string", "description": "The webhook-id header: the same on every retry."},
            "event": {"type": "string", "enum": event_names(event)},
            "subscription_id": INT,
            "created_at": {"type": "string", "format": "date-time"},
            "context": {"type": "string", "enum": [event.context]},
            "context_id": INT0,
            "data": data if data is not None else data_schema(event),
            "event_metadata": {
                "type": "object",
                "description": "changes as {attribute: [old, new]}, "
                "date_ranges and pricing_types (tariffs_updated).",
            },
            "record": {"type": ["object", "null"], "description": "Only when include_record is on."},
        },
        "required": [
            "id",
            "event",
            "subscription_id",
            "created_at",
            "context",
            "context_id",
            "data",
            "event_metadata",
        ],
    }


def event_json_schema(name: str) -> dict[str, Any]:
    """The standalone JSON Schema (draft 2020-12) of the body a receiver gets for the event ``name``."""
    event = CATALOGUE[name]
    return {"$schema": DIALECT, "title": name, **envelope_schema(event)}
