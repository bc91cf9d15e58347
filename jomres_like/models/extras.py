"""Optional extras, coupons and guest types (Jomres "customer types"), and their use on bookings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class Extra(db.Model):
    """An optional extra a booking may add (breakfast, parking...); ``id`` is Jomres' ``extras_uid``.

    ``price`` is per unit and per booking, tax included (``tax_rate`` says how much of it is tax);
    ``room_type`` limits it to bookings with a room of that type ("" for any); ``valid_from``/``valid_to``
    bound the arrival dates it is offered for (``None``: open).
    """

    __tablename__ = "extras"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    max_quantity: Mapped[int] = mapped_column(default=1)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    room_type: Mapped[str] = mapped_column(String(80), default="")
    auto_select: Mapped[bool] = mapped_column(default=False)
    include_in_property_lists: Mapped[bool] = mapped_column(default=True)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def uid(self) -> int:
        return self.id

    # Declared last: the name shadows the builtin ``property`` in the class body.
    property = relationship("Property")


class Coupon(db.Model):
    """A discount code; ``id`` is Jomres' ``coupon_id``.

    ``amount`` is money off, or a percentage with ``is_percentage``. It may be used on bookings made between
    ``valid_from`` and ``valid_to`` whose arrival is between ``booking_valid_from`` and ``booking_valid_to``
    (all inclusive, ``None``: open), by at most ``max_uses`` bookings that are not cancelled (``None``: any).
    """

    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(255), default="")
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    is_percentage: Mapped[bool] = mapped_column(default=False)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    booking_valid_from: Mapped[date | None]
    booking_valid_to: Mapped[date | None]
    max_uses: Mapped[int | None]
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def uid(self) -> int:
        return self.id

    # Declared last: the name shadows the builtin ``property`` in the class body.
    property = relationship("Property")


class GuestType(db.Model):
    """A kind of guest (adult, child under 12, senior...) with a price variance; ``id`` is ``guest_type_uid``.

    ``variance`` is added (``posneg`` true) or taken off (false) per guest of this type and per night: a fixed
    amount, or with ``is_percentage`` that percentage of the night's room rate. ``maximum`` caps how many
    guests of this type one booking may have.
    """

    __tablename__ = "guest_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    maximum: Mapped[int] = mapped_column(default=10)
    is_percentage: Mapped[bool] = mapped_column(default=False)
    posneg: Mapped[bool] = mapped_column(default=True)
    variance: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    is_child: Mapped[bool] = mapped_column(default=False)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def uid(self) -> int:
        return self.id

    # Declared last: the name shadows the builtin ``property`` in the class body.
    property = relationship("Property")


class BookingExtra(db.Model):
    """An extra on a booking: how many, at the unit price and tax rate it had when it was added."""

    __tablename__ = "booking_extras"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    extra_id: Mapped[int] = mapped_column(ForeignKey("extras.id", ondelete="CASCADE"), primary_key=True)
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))

    extra = relationship("Extra")

    @property
    def total(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(Decimal("0.01"))


class BookingGuestType(db.Model):
    """How many guests of one guest type a booking has."""

    __tablename__ = "booking_guest_types"

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    guest_type_id: Mapped[int] = mapped_column(
        ForeignKey("guest_types.id", ondelete="CASCADE"), primary_key=True
    )
    count: Mapped[int] = mapped_column(default=1)

    guest_type = relationship("GuestType")
