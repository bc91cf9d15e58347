"""Guests, bookings (Jomres "contracts"), their notes, deposits, and black bookings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Numeric, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

booking_rooms = Table(
    "booking_rooms",
    db.metadata,
    Column("booking_id", ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
)

black_booking_rooms = Table(
    "black_booking_rooms",
    db.metadata,
    Column("black_booking_id", ForeignKey("black_bookings.id", ondelete="CASCADE"), primary_key=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True),
)


class Guest(db.Model):
    """A guest of a property; ``id`` is Jomres' ``guest_uid``."""

    __tablename__ = "guests"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    firstname: Mapped[str] = mapped_column(String(120))
    surname: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(255), default="")
    tel_landline: Mapped[str] = mapped_column(String(40), default="")
    tel_mobile: Mapped[str] = mapped_column(String(40), default="")
    house: Mapped[str] = mapped_column(String(120), default="")
    street: Mapped[str] = mapped_column(String(255), default="")
    town: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


    @property
    def uid(self) -> int:
        return self.id

    @property
    def full_name(self) -> str:
        return f"{self.firstname} {self.surname}".strip()

    # Declared last: the name shadows the builtin ``property`` in the class body.
    property = relationship("Property")


class Booking(db.Model):
    """A booking (Jomres contract); ``id`` is the ``contract_uid``."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    guest_id: Mapped[int] = mapped_column(ForeignKey("guests.id"), index=True)
    booking_number: Mapped[str] = mapped_column(String(40), default="")
    arrival: Mapped[date] = mapped_column(index=True)
    departure: Mapped[date] = mapped_column(index=True)
    adults: Mapped[int] = mapped_column(default=1)
    children: Mapped[int] = mapped_column(default=0)
    contract_total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    deposit_required: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    deposit_paid: Mapped[bool] = mapped_column(default=False)
    deposit_ref: Mapped[str] = mapped_column(String(80), default="")
    special_reqs: Mapped[str] = mapped_column(Text, default="")
    cancelled: Mapped[bool] = mapped_column(default=False)
    cancelled_reason: Mapped[str] = mapped_column(String(255), default="")
    noshow: Mapped[bool] = mapped_column(default=False)
    booked_in: Mapped[bool] = mapped_column(default=False)
    booked_out: Mapped[bool] = mapped_column(default=False)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupons.id", ondelete="SET NULL"), index=True)
    discount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    guest = relationship("Guest")
    coupon = relationship("Coupon")
    extras = relationship("BookingExtra", order_by="BookingExtra.extra_id", cascade="all, delete-orphan")
    guest_types = relationship(
        "BookingGuestType", order_by="BookingGuestType.guest_type_id", cascade="all, delete-orphan"
    )
    rooms = relationship("Room", secondary=booking_rooms, order_by="Room.id")
    notes = relationship("BookingNote", back_populates="booking", order_by="BookingNote.id")
    deposits = relationship("Deposit", back_populates="booking", order_by="Deposit.id")

    @property
    def uid(self) -> int:
        return self.id

    @property
    def nights(self) -> int:
        return (self.departure - self.arrival).days

    @property
    def status(self) -> str:
        """A one-word state for lists: cancelled, noshow, checked_out, checked_in or confirmed."""
        if self.cancelled:
            return "cancelled"
        if self.noshow:
            return "noshow"
        if self.booked_out:
            return "checked_out"
        if self.booked_in:
            return "checked_in"
        return "confirmed"

    # Declared last: the name shadows the builtin ``property`` in the class body.
    property = relationship("Property")


class BookingNote(db.Model):
    """A note a manager wrote on a booking; ``id`` is the ``note_id``."""

    __tablename__ = "booking_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    booking = relationship("Booking", back_populates="notes")
    author = relationship("User")


class Deposit(db.Model):
    """A deposit payment recorded against a booking; ``reference`` is Jomres' ``depositref``."""

    __tablename__ = "deposits"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reference: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    booking = relationship("Booking", back_populates="deposits")


class BlackBooking(db.Model):
    """Rooms taken out of service over ``[start, end)``; ``id`` is its ``contract_uid``."""

    __tablename__ = "black_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    start: Mapped[date]
    end: Mapped[date]
    reason: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    rooms = relationship("Room", secondary=black_booking_rooms, order_by="Room.id")

    @property
    def uid(self) -> int:
        return self.id

    # Declared last: the name shadows the builtin ``property`` in the class body.
    property = relationship("Property")
