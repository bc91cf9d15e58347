"""Forms of the extras, coupons and guest types pages. They parse and type the input; the services own the
rules."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import NumberInput

from ..forms import BaseForm
from .forms import MONEY, options


def _yes(value: Any) -> bool:
    return value in (True, "True", "true", "1")


class ExtraForm(BaseForm):
    """An optional extra."""

    name = StringField("Name", validators=[DataRequired(), Length(max=255)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    price = DecimalField(
        "Price (tax included)", places=2, default=0, validators=[InputRequired()], widget=MONEY
    )
    tax_rate = DecimalField("Tax rate (%)", places=2, default=0, validators=[Optional()], widget=MONEY)
    max_quantity = IntegerField(
        "Maximum quantity",
        default=1,
        validators=[InputRequired(), NumberRange(1, 1000)],
        widget=NumberInput(min="1", max="1000"),
    )
    valid_from = DateField("Offered for arrivals from", validators=[Optional()])
    valid_to = DateField("Offered for arrivals until", validators=[Optional()])
    room_type = SelectField("Limited to room type", choices=[], validate_choice=True)
    auto_select = BooleanField("Auto-select on new bookings")
    include_in_property_lists = BooleanField("Show in property lists", default=True)

    FIELDS = (
        "name",
        "description",
        "price",
        "tax_rate",
        "max_quantity",
        "valid_from",
        "valid_to",
        "room_type",
        "auto_select",
        "include_in_property_lists",
    )

    def set_choices(self, room_types: list[str], current: str = "") -> None:
        """Offer the property's room types, and the ``current`` one of the extra should its rooms be gone."""
        kept = [current] if current and current not in room_types else []
        self.room_type.choices = options([("", "Any room")] + [(t, t) for t in room_types + kept])


class CouponForm(BaseForm):
    """A coupon."""

    code = StringField("Code", validators=[DataRequired(), Length(max=40)])
    description = StringField("Description", validators=[Length(max=255)])
    amount = DecimalField("Discount", places=2, validators=[InputRequired()], widget=MONEY)
    is_percentage = BooleanField("The discount is a percentage")
    valid_from = DateField("Bookings made from", validators=[Optional()])
    valid_to = DateField("Bookings made until", validators=[Optional()])
    booking_valid_from = DateField("Arrivals from", validators=[Optional()])
    booking_valid_to = DateField("Arrivals until", validators=[Optional()])
    max_uses = IntegerField(
        "Maximum uses (blank: any)",
        validators=[Optional(), NumberRange(1, 1_000_000)],
        widget=NumberInput(min="1"),
    )

    FIELDS = (
        "code",
        "description",
        "amount",
        "is_percentage",
        "valid_from",
        "valid_to",
        "booking_valid_from",
        "booking_valid_to",
        "max_uses",
    )


class GuestTypeForm(BaseForm):
    """A guest type (Jomres customer type)."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    notes = TextAreaField("Notes", validators=[Length(max=5000)])
    maximum = IntegerField(
        "Maximum per booking",
        default=10,
        validators=[InputRequired(), NumberRange(1, 100)],
        widget=NumberInput(min="1", max="100"),
    )
    posneg = SelectField(
        "The variance is", coerce=_yes, default=True, choices=options([(True, "added"), (False, "taken off")])
    )
    variance = DecimalField(
        "Variance per guest and night", places=2, default=0, validators=[InputRequired()], widget=MONEY
    )
    is_percentage = BooleanField("The variance is a percentage of the night's room rate")
    is_child = BooleanField("Children")

    FIELDS = ("name", "notes", "maximum", "posneg", "variance", "is_percentage", "is_child")
