"""Forms of the manager pages. They parse and type the input; the services own the rules."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget, NumberInput

from ..forms import BaseForm, PlainForm
from .booking_option_fields import BookingOptionFields

MONEY = NumberInput(step="0.01", min="0")


def options(pairs) -> list[SelectChoice]:
    """Choices for a select or checkbox field from ``(value, label)`` pairs."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def room_options(rooms) -> list[SelectChoice]:
    """Checkbox choices for rooms: number, name and type."""
    return options((room.id, f"{room.label} ({room.room_type})") for room in rooms)


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes, so it works without JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def values_of(form: Form, names: tuple[str, ...] | list[str], keep_blank: bool = True) -> dict[str, Any]:
    """The data of the named fields, as the services expect it (``None`` for blank optional fields)."""
    values = {}
    for name in names:
        data = form[name].data
        if isinstance(data, str):
            data = data.strip()
        if not keep_blank and data in (None, ""):
            continue
        values[name] = data
    return values


class ActionForm(BaseForm):
    """An empty form: the CSRF token of a POST button (publish, check in, delete...)."""


# ---- Properties ----------------------------------------------------------------------------------
class PropertyForm(BaseForm):
    """A property's details."""

    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    street = StringField("Street", validators=[Length(max=255)])
    town = StringField("Town", validators=[Length(max=120)])
    region = StringField("Region", validators=[Length(max=120)])
    country = StringField("Country (2 letters)", validators=[Length(max=2)])
    postcode = StringField("Postcode", validators=[Length(max=20)])
    email = EmailField("Email", validators=[Length(max=255)])
    telephone = StringField("Telephone", validators=[Length(max=40)])
    description = TextAreaField("Description", validators=[Length(max=10000)])

    FIELDS = ("name", "street", "town", "region", "country", "postcode", "email", "telephone", "description")


class SettingsForm(BaseForm):
    """A property's settings."""

    currency = StringField("Currency", validators=[DataRequired(), Length(min=3, max=3)])
    checkin_time = TimeField("Check-in time", validators=[InputRequired()])
    checkout_time = TimeField("Check-out time", validators=[InputRequired()])
    deposit_percent = IntegerField(
        "Deposit percent",
        validators=[Optional(), NumberRange(0, 100)],
        widget=NumberInput(min="0", max="100"),
    )
    tax_rate = DecimalField("Tax rate (%)", places=2, validators=[Optional()], widget=MONEY)
    contact_email = EmailField("Contact email", validators=[Length(max=255)])
    contact_phone = StringField("Contact phone", validators=[Length(max=40)])

    def values(self) -> dict[str, Any]:
        """The settings as ``services.properties.update_settings`` expects them."""
        values = values_of(self, ("currency", "contact_email", "contact_phone"))
        values["checkin_time"] = self.checkin_time.data.strftime("%H:%M")
        values["checkout_time"] = self.checkout_time.data.strftime("%H:%M")
        values["deposit_percent"] = self.deposit_percent.data or 0
        values["tax_rate"] = self.tax_rate.data if self.tax_rate.data is not None else 0
        return values


# ---- Rooms and tariffs ---------------------------------------------------------------------------
class RoomForm(BaseForm):
    """A room."""

    number = StringField("Room number", validators=[DataRequired(), Length(max=40)])
    name = StringField("Name", validators=[Length(max=255)])
    room_type = StringField("Room type", default="Double", validators=[DataRequired(), Length(max=80)])
    max_people = IntegerField(
        "Max people",
        default=2,
        validators=[InputRequired(), NumberRange(1, 100)],
        widget=NumberInput(min="1", max="100"),
    )

    FIELDS = ("number", "name", "room_type", "max_people")


class TariffForm(BaseForm):
    """One tariff: a nightly rate for a room type over a date range."""

    name = StringField("Name", validators=[Length(max=255)])
    room_type = SelectField("Room type", choices=[], validate_choice=False)
    start_date = DateField("From", validators=[InputRequired()])
    end_date = DateField("Until (exclusive)", validators=[InputRequired()])
    rate_per_night = DecimalField("Rate per night", places=2, validators=[InputRequired()], widget=MONEY)
    min_nights = IntegerField(
        "Minimum nights", default=1, validators=[InputRequired()], widget=NumberInput(min="1")
    )
    max_nights = IntegerField(
        "Maximum nights", default=365, validators=[InputRequired()], widget=NumberInput(min="1")
    )
    pricing_type = SelectField(
        "Pricing", choices=options([("per_room", "Per room"), ("per_person", "Per person")])
    )

    FIELDS = (
        "name",
        "room_type",
        "start_date",
        "end_date",
        "rate_per_night",
        "min_nights",
        "max_nights",
        "pricing_type",
    )

    def set_room_types(self, kinds: list[str]) -> None:
        """Offer the property's room types (the service refuses any other)."""
        self.room_type.choices = options((kind, kind) for kind in kinds)


# ---- Guests --------------------------------------------------------------------------------------
class GuestForm(BaseForm):
    """A guest."""

    firstname = StringField("First name", validators=[DataRequired(), Length(max=120)])
    surname = StringField("Surname", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[Length(max=255)])
    tel_landline = StringField("Landline", validators=[Length(max=40)])
    tel_mobile = StringField("Mobile", validators=[Length(max=40)])
    house = StringField("House", validators=[Length(max=120)])
    street = StringField("Street", validators=[Length(max=255)])
    town = StringField("Town", validators=[Length(max=120)])
    region = StringField("Region", validators=[Length(max=120)])
    country = StringField("Country (2 letters)", validators=[Length(max=2)])
    postcode = StringField("Postcode", validators=[Length(max=20)])

    FIELDS = (
        "firstname",
        "surname",
        "email",
        "tel_landline",
        "tel_mobile",
        "house",
        "street",
        "town",
        "region",
        "country",
        "postcode",
    )


class SearchForm(BaseForm):
    """A search box for lists (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=100)])


# ---- Bookings ------------------------------------------------------------------------------------
class BookingEditForm(BookingOptionFields, BaseForm):
    """A booking's dates, rooms, guest, amounts, requests, extras, guest types and coupon."""

    arrival = DateField("Arrival", validators=[InputRequired()])
    departure = DateField("Departure", validators=[InputRequired()])
    past_stay = BooleanField("Past stay being recorded (lets the stay begin before today)")
    room_uids = MultiCheckboxField("Rooms", coerce=int)
    guest_uid = SelectField("Guest", choices=[], validate_choice=True)
    adults = IntegerField(
        "Adults",
        default=1,
        validators=[InputRequired(), NumberRange(1, 100)],
        widget=NumberInput(min="1", max="100"),
    )
    children = IntegerField(
        "Children",
        default=0,
        validators=[Optional(), NumberRange(0, 100)],
        widget=NumberInput(min="0", max="100"),
    )
    contract_total = DecimalField("Total", places=2, validators=[Optional()], widget=MONEY)
    deposit_required = DecimalField("Deposit required", places=2, validators=[Optional()], widget=MONEY)
    special_reqs = TextAreaField("Special requests", validators=[Length(max=5000)])

    FIELDS = (
        "arrival",
        "departure",
        "room_uids",
        "guest_uid",
        "adults",
        "children",
        "contract_total",
        "deposit_required",
        "special_reqs",
    )

    def set_choices(self, rooms, guests, new_guest_label: str | None = None) -> None:
        """Offer the property's rooms and guests."""
        self.room_uids.choices = room_options(rooms)
        first = [("", new_guest_label)] if new_guest_label else []
        self.guest_uid.choices = options(
            first + [(str(g.id), f"{g.full_name} <{g.email}>" if g.email else g.full_name) for g in guests]
        )

    def values(self) -> dict[str, Any]:
        """The booking fields as the services expect them (blank amounts left out: priced/derived)."""
        values = values_of(self, self.FIELDS)
        values.update(self.option_values())
        values["children"] = values.get("children") or 0
        values["past_stay"] = bool(self.past_stay.data)
        for name in ("contract_total", "deposit_required", "guest_uid"):
            if values.get(name) in (None, ""):
                values.pop(name, None)
        return values


class BookingForm(BookingEditForm):
    """A new booking: an existing guest, or a new one's name and email."""

    guest_firstname = StringField("New guest: first name", validators=[Length(max=120)])
    guest_surname = StringField("New guest: surname", validators=[Length(max=120)])
    guest_email = EmailField("New guest: email", validators=[Length(max=255)])

    GUEST_ALIASES = {"firstname": "guest_firstname", "surname": "guest_surname", "email": "guest_email"}

    def values(self) -> dict[str, Any]:
        """The new booking, with ``guest`` when no existing guest was chosen."""
        values = super().values()
        if "guest_uid" not in values:
            guest = {
                "firstname": self.guest_firstname.data or "",
                "surname": self.guest_surname.data or "",
                "email": self.guest_email.data or "",
            }
            if any(value.strip() for value in guest.values()):
                values["guest"] = guest
        return values


class BookingFilterForm(BaseForm):
    """Filters of the booking list (GET, no CSRF)."""

    class Meta:
        csrf = False

    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])
    status = SelectField(
        "Status",
        choices=options(
            [("", "Any"), ("active", "Active"), ("cancelled", "Cancelled"), ("checked_in", "Checked in")]
        ),
        validators=[Optional()],
    )
    q = StringField("Guest or booking number", validators=[Optional(), Length(max=100)])


class CancelForm(BaseForm):
    """Why a booking is cancelled."""

    reason = StringField("Reason", validators=[Length(max=255)])


class NoteForm(BaseForm):
    """A note on a booking."""

    text = TextAreaField("Note", validators=[DataRequired(), Length(max=5000)])


class DepositForm(BaseForm):
    """A deposit payment."""

    amount = DecimalField("Amount", places=2, validators=[InputRequired()], widget=MONEY)
    reference = StringField("Reference", validators=[DataRequired(), Length(max=80)])


class BlackBookingForm(BaseForm):
    """Rooms taken out of service."""

    room_uids = MultiCheckboxField("Rooms", coerce=int)
    start = DateField("From", validators=[InputRequired()])
    end = DateField("Until (exclusive)", validators=[InputRequired()])
    reason = StringField("Reason", validators=[Length(max=255)])


# ---- Invoices ------------------------------------------------------------------------------------
class InvoiceLineForm(PlainForm):
    """One invoice line; a line left blank is ignored."""

    description = StringField("Description", validators=[Length(max=255)])
    quantity = IntegerField(
        "Quantity", default=1, validators=[Optional(), NumberRange(1, 10000)], widget=NumberInput(min="1")
    )
    unit_price = DecimalField("Unit price", places=2, validators=[Optional()], widget=MONEY)
    tax_rate = DecimalField("Tax %", places=2, default=0, validators=[Optional()], widget=MONEY)

    FIELDS = ("description", "quantity", "unit_price", "tax_rate")


class InvoiceForm(BaseForm):
    """A new invoice, for a booking or a guest, with its lines."""

    contract_uid = SelectField("Booking", choices=[], validate_choice=True)
    guest_uid = SelectField("Guest", choices=[], validate_choice=True)
    due_date = DateField("Due date", validators=[Optional()])
    lines = FieldList(FormField(InvoiceLineForm), min_entries=4, max_entries=20)

    def set_choices(self, bookings, guests) -> None:
        """Offer the property's bookings and guests."""
        self.contract_uid.choices = options(
            [("", "(none)")]
            + [(str(b.id), f"{b.booking_number} · {b.guest.full_name} · {b.arrival}") for b in bookings]
        )
        self.guest_uid.choices = options([("", "(none)")] + [(str(g.id), g.full_name) for g in guests])

    def values(self) -> dict[str, Any]:
        """The invoice as ``services.invoices.create_invoice`` expects it."""
        lines = []
        self.line_entries = []  # the entry index of each line sent, to show its errors beside it
        for index, entry in enumerate(self.lines):
            line = entry.form
            if not (line.description.data or "").strip() and line.unit_price.data is None:
                continue
            self.line_entries.append(index)
            lines.append(
                {
                    "description": line.description.data,
                    "quantity": line.quantity.data or 1,
                    "unit_price": line.unit_price.data,
                    "tax_rate": line.tax_rate.data or 0,
                }
            )
        return {
            "contract_uid": self.contract_uid.data,
            "guest_uid": self.guest_uid.data,
            "due_date": self.due_date.data,
            "lines": lines,
        }

    def error_aliases(self) -> dict[str, str]:
        """Where the service's line errors go: ``lines.<line>.<field>`` -> ``lines.<entry>.<field>``."""
        aliases = {"lines": ""}  # "at least one line" goes above the form
        for line, entry in enumerate(getattr(self, "line_entries", [])):
            aliases[f"lines.{line}"] = ""
            for name in InvoiceLineForm.FIELDS:
                aliases[f"lines.{line}.{name}"] = f"lines-{entry}-{name}"
        return aliases
