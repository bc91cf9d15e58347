"""Marshmallow schemas: they validate request bodies and query strings, and describe answers in OpenAPI."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from ..services.validation import text_problem
from ..signals import EVENT_NAMES

MAX_ID = 2**31 - 1
_id = validate.Range(min=1, max=MAX_ID)
_money = validate.Range(min=0, max=9_999_999_999)


class JsonInteger(fields.Integer):
    """A JSON integer: ``3`` or ``3.0``, never ``"3"``, ``true`` or ``3.5``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._deserialize(int(value), attr, data, **kwargs)


class JsonNumber(fields.Float):
    """A JSON number, never a string or a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonBoolean(fields.Boolean):
    """A JSON boolean, never ``"true"`` or ``1``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def storable_text(value: str) -> None:
    """Refuse text no field may hold (NUL, lone surrogate, control character: ``text_problem``)."""
    problem = text_problem(value)
    if problem:
        raise ma.ValidationError(problem)


def _check_text_of(field: fields.Field) -> None:
    """Give ``field`` and the string fields inside it (list items, dict keys and values) the text check."""
    if isinstance(field, fields.String):
        field.validators = [storable_text, *field.validators]
    inner = [getattr(field, name, None) for name in ("inner", "key_field", "value_field")]
    for part in [*inner, *getattr(field, "tuple_fields", ())]:
        if isinstance(part, fields.Field):
            _check_text_of(part)


class _In(ma.Schema):
    """Request schemas refuse unknown fields, and text no field may hold in any string field."""

    class Meta:
        unknown = ma.RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        """Every string field of a request, declared now or later, is checked with :func:`storable_text`."""
        _check_text_of(field_obj)


class _Out(ma.Schema):
    """Answer schemas document the main fields; more may follow."""

    class Meta:
        unknown = ma.INCLUDE


# --- requests ------------------------------------------------------------------------------------------


class GuestIn(_In):
    """A new guest, inside a booking."""

    firstname = fields.String(required=True, validate=validate.Length(min=1, max=120))
    surname = fields.String(required=True, validate=validate.Length(min=1, max=120))
    email = fields.String(validate=validate.Length(max=255))
    tel_landline = fields.String(validate=validate.Length(max=40))
    tel_mobile = fields.String(validate=validate.Length(max=40))
    country = fields.String(validate=validate.Length(max=2))


class BookingExtraIn(_In):
    """An extra on a booking and how many (``extra_uid`` is accepted for ``extras_uid``)."""

    extras_uid = JsonInteger(validate=_id)
    extra_uid = JsonInteger(validate=_id)
    quantity = JsonInteger(load_default=1, validate=validate.Range(min=0, max=1000))


class BookingGuestTypeIn(_In):
    """How many guests of a guest type a booking has."""

    guest_type_uid = JsonInteger(required=True, validate=_id)
    count = JsonInteger(required=True, validate=validate.Range(min=0, max=100))


class BookingPatch(_In):
    """Fields of a booking that may change (PATCH)."""

    arrival = fields.Date()
    departure = fields.Date()
    room_uids = fields.List(JsonInteger(validate=_id),
                            validate=validate.Length(min=1, max=50))
    guest_uid = JsonInteger(validate=_id)
    adults = JsonInteger(validate=validate.Range(min=1, max=100))
    children = JsonInteger(validate=validate.Range(min=0, max=100))
    contract_total = JsonNumber(allow_nan=False, validate=_money)
    deposit_required = JsonNumber(allow_nan=False, validate=_money)
    special_reqs = fields.String(validate=validate.Length(max=5000))
    past_stay = JsonBoolean(metadata={
        "description": "True to record a stay that has happened: an arrival before today is refused "
                       "otherwise. Not stored."
    })


    extras = fields.List(fields.Nested(BookingExtraIn), validate=validate.Length(max=50),
                         metadata={"description": "The booking's extras (all of them); when creating, "
                                                  "missing means the auto-select extras."})
    coupon_code = fields.String(validate=validate.Length(max=40),
                                metadata={"description": "A coupon code of the property; \"\" removes it."})
    guest_types = fields.List(fields.Nested(BookingGuestTypeIn), validate=validate.Length(max=50),
                              metadata={"description": "The guests by type; they set adults and children."})


class BookingCreate(BookingPatch):
    """A new booking: dates, rooms and a guest (``guest_uid`` or a new ``guest``)."""

    arrival = fields.Date(required=True)
    departure = fields.Date(required=True)
    room_uids = fields.List(JsonInteger(validate=_id), required=True,
                            validate=validate.Length(min=1, max=50))
    guest = fields.Nested(GuestIn)


class CancelIn(_In):
    """Why a booking is cancelled."""

    reason = fields.String(validate=validate.Length(max=255))


class BookingsQuery(_In):
    """Filters of the bookings list: stays overlapping ``[from, to)``, page by page."""

    from_ = fields.Date(data_key="from")
    to = fields.Date()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class TariffIn(_In):
    """One tariff: a nightly rate for a room type over ``[start_date, end_date)``."""

    name = fields.String(validate=validate.Length(max=255))
    room_type = fields.String(required=True, validate=validate.Length(min=1, max=80))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    rate_per_night = JsonNumber(required=True, allow_nan=False, validate=_money)
    min_nights = JsonInteger(validate=validate.Range(min=1, max=365))
    max_nights = JsonInteger(validate=validate.Range(min=1, max=3650))
    pricing_type = fields.String(validate=validate.OneOf(("per_room", "per_person")))


class TariffsIn(_In):
    """The complete new list of a property's tariffs."""

    tariffs = fields.List(fields.Nested(TariffIn), required=True, validate=validate.Length(max=500))


_AUTH_SETTINGS = (
    "The auth method's settings by name. In a PATCH only the keys given change: an omitted key keeps its "
    "stored value, and so does a secret sent as \"\" or \"********\" (what a GET shows of it); null clears "
    "an optional setting and keeps a required one; any other value replaces it. With a new auth_method its "
    "required settings must be given: none are carried over from the old method."
)


_EVENT_NAMES = (
    "current (default): the catalogue's names. jomres_legacy: the older names receivers written for Jomres "
    "know (property_added, property_saved, invoice_saved, booking_note_save with note_uid beside note_id, "
    "blackbooking_added) in event, X-Jomres-Event and data.task."
)


class SubscriptionPatch(_In):
    """Fields of a webhook subscription that may change; a PATCH changes only the fields it names."""

    url = fields.String(validate=validate.Length(min=1, max=2048),
                        metadata={"description": "A new URL also drops a cached OAuth token."})
    auth_method = fields.String(validate=validate.Length(min=1, max=20),
                                metadata={"description": "A registered auth method: none, basic, oauth."})
    auth_settings = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True),
                                metadata={"description": _AUTH_SETTINGS})
    events = fields.List(fields.String(validate=validate.Length(max=64)), validate=validate.Length(max=100))
    enabled = JsonBoolean()
    mode = fields.String(validate=validate.OneOf(("deferred", "immediate")))
    include_record = JsonBoolean()
    wait_for_confirmation = JsonBoolean()
    description = fields.String(validate=validate.Length(max=255))
    event_names = fields.String(validate=validate.OneOf(EVENT_NAMES), metadata={"description": _EVENT_NAMES})


class SubscriptionCreate(SubscriptionPatch):
    """A new webhook subscription."""

    url = fields.String(required=True, validate=validate.Length(min=1, max=2048))


class SearchQuery(_In):
    """What to look for across all properties."""

    q = fields.String(required=True, validate=validate.Length(min=1, max=100))


# --- answers -------------------------------------------------------------------------------------------


class Meta(_Out):
    """The envelope's ``meta``."""

    code = fields.Integer()


class Guest(_Out):
    """A guest (``guest_details``)."""

    guest_uid = fields.Integer()
    property_uid = fields.Integer()
    firstname = fields.String()
    surname = fields.String()
    email = fields.String()


class Tariff(_Out):
    """A tariff."""

    tariff_id = fields.Integer()
    room_type = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    rate_per_night = fields.Float()
    pricing_type = fields.String()


class Booking(_Out):
    """A booking (Jomres ``contract_details``)."""

    contract_uid = fields.Integer()
    property_uid = fields.Integer()
    arrival = fields.Date()
    departure = fields.Date()
    guest_uid = fields.Integer()
    room_uids = fields.List(fields.Integer())
    contract_total = fields.Float()
    deposit_paid = fields.Boolean()
    special_reqs = fields.String()
    cancelled = fields.Boolean()
    booked_in = fields.Boolean()
    booked_out = fields.Boolean()
    extras = fields.List(fields.Integer())
    extradeets = fields.Dict(keys=fields.String(), values=fields.Dict())
    coupon_id = fields.Integer(allow_none=True)
    discount = fields.Float()
    guest_types = fields.List(fields.Dict())


class Property(_Out):
    """A property (``property_details``)."""

    property_uid = fields.Integer()
    property_name = fields.String()
    published = fields.Boolean()


class Subscription(_Out):
    """A webhook subscription."""

    id = fields.Integer()
    url = fields.String()
    auth_method = fields.String()
    auth_settings = fields.Dict()
    events = fields.List(fields.String())
    enabled = fields.Boolean()
    mode = fields.String()
    include_record = fields.Boolean()
    wait_for_confirmation = fields.Boolean()
    description = fields.String()
    event_names = fields.String(validate=validate.OneOf(EVENT_NAMES))


class Delivery(_Out):
    """A delivery of one event to one subscription, with its attempts."""

    id = fields.Integer()
    message_id = fields.String()
    event = fields.String()
    status = fields.String()
    attempts = fields.Raw()


class Token(_Out):
    """An access token (RFC 6749 section 5.1)."""

    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    scope = fields.String(required=True)


class Introspection(_Out):
    """RFC 7662 introspection answer."""

    active = fields.Boolean(required=True)


class Error(_Out):
    """Jomres' error envelope."""

    code = fields.Integer(required=True)
    error_message = fields.String(required=True)
    meta = fields.Nested(Meta)


_ENVELOPES: dict[str, type[ma.Schema]] = {}


def enveloped(name: str, item: type[ma.Schema] | None = None, many: bool = False) -> type[ma.Schema]:
    """The envelope ``{"data": {name: item}, "meta": {...}}`` as a schema (one class per name)."""
    key = f"{name}{'List' if many else ''}"
    if key not in _ENVELOPES:
        inner = fields.List(fields.Nested(item)) if many and item else (
            fields.Nested(item) if item else fields.Dict())
        data = type(f"{key.title().replace('_', '')}Data", (_Out,), {name: inner})
        _ENVELOPES[key] = type(
            f"{key.title().replace('_', '')}Envelope", (_Out,),
            {"data": fields.Nested(data, required=True), "meta": fields.Nested(Meta, required=True)},
        )
    return _ENVELOPES[key]
