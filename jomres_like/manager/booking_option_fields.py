"""The booking form's options: a line per extra (quantity) and per guest type (count), and a coupon code.

Kept apart from ``forms`` so that the booking forms there can mix them in.
"""

from __future__ import annotations

from typing import Any

from wtforms import FieldList, FormField, HiddenField, IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import NumberInput

from ..forms import PlainForm


class ExtraLineForm(PlainForm):
    """How many of one extra a booking has (0: none)."""

    extras_uid = HiddenField()
    quantity = IntegerField(
        "Quantity",
        default=0,
        validators=[Optional(), NumberRange(0, 1000)],
        widget=NumberInput(min="0", max="1000"),
    )


class GuestTypeLineForm(PlainForm):
    """How many guests of one guest type a booking has."""

    guest_type_uid = HiddenField()
    count = IntegerField(
        "Guests",
        default=0,
        validators=[Optional(), NumberRange(0, 100)],
        widget=NumberInput(min="0", max="100"),
    )


class BookingOptionFields:
    """The booking form's extras, guest types and coupon code (mixed into the booking forms)."""

    extras = FieldList(FormField(ExtraLineForm), max_entries=50)
    guest_types = FieldList(FormField(GuestTypeLineForm), max_entries=50)
    coupon_code = StringField("Coupon code", validators=[Length(max=40)])

    def fill_options(
        self, extras: list[tuple[int, int]], guest_types: list[tuple[int, int]], coupon_code: str = ""
    ) -> None:
        """Show one line per extra and per guest type: ``[(uid, quantity or count)]``; and the coupon code."""
        for field, key, amount, lines in (
            (self.extras, "extras_uid", "quantity", extras),
            (self.guest_types, "guest_type_uid", "count", guest_types),
        ):
            while field.entries:
                field.pop_entry()
            for uid, number in lines:
                field.append_entry({key: str(uid), amount: number})
        self.coupon_code.data = coupon_code

    def option_values(self) -> dict[str, Any]:
        """``extras``, ``guest_types`` and ``coupon_code`` as ``services.bookings`` takes them."""
        return {
            "extras": [
                {"extras_uid": line.extras_uid.data, "quantity": line.quantity.data or 0}
                for line in (entry.form for entry in self.extras)
            ],
            "guest_types": [
                {"guest_type_uid": line.guest_type_uid.data, "count": line.count.data or 0}
                for line in (entry.form for entry in self.guest_types)
            ],
            "coupon_code": (self.coupon_code.data or "").strip(),
        }
