"""Properties, their rooms and tariffs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from .users import manager_properties

DEFAULT_PROPERTY_SETTINGS = {
    "currency": "EUR",
    "checkin_time": "14:00",
    "checkout_time": "11:00",
    "deposit_percent": 20,
    "tax_rate": 0,
    "contact_email": "",
    "contact_phone": "",
}


class Property(db.Model):
    """A bookable property; ``id`` is Jomres' ``property_uid``."""

    __tablename__ = "properties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    street: Mapped[str] = mapped_column(String(255), default="")
    town: Mapped[str] = mapped_column(String(120), default="")
    region: Mapped[str] = mapped_column(String(120), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    telephone: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    published: Mapped[bool] = mapped_column(default=False)
    approved: Mapped[bool] = mapped_column(default=True)
    deleted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    managers = relationship("User", secondary=manager_properties, back_populates="properties")
    rooms = relationship("Room", back_populates="property", order_by="Room.id")
    tariffs = relationship("Tariff", back_populates="property", order_by="(Tariff.start_date, Tariff.id)")

    @property
    def uid(self) -> int:
        return self.id

    def setting(self, key: str):
        """Return one setting, falling back to the defaults."""
        return (self.settings or {}).get(key, DEFAULT_PROPERTY_SETTINGS.get(key))

    def __repr__(self) -> str:
        return f"<Property {self.id} {self.name!r}>"


class Room(db.Model):
    """A room of a property; ``id`` is Jomres' ``room_uid``."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(255), default="")
    room_type: Mapped[str] = mapped_column(String(80), default="Double")
    max_people: Mapped[int] = mapped_column(default=2)
    deleted: Mapped[bool] = mapped_column(default=False)


    @property
    def uid(self) -> int:
        return self.id

    @property
    def label(self) -> str:
        return f"{self.number} {self.name}".strip()

    # Declared last: the name shadows the builtin ``property`` in the class body.
    property = relationship("Property", back_populates="rooms")


class Tariff(db.Model):
    """A nightly rate for one room type over ``[start_date, end_date)``."""

    __tablename__ = "tariffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    room_type: Mapped[str] = mapped_column(String(80), default="Double")
    start_date: Mapped[date]
    end_date: Mapped[date]
    rate_per_night: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    min_nights: Mapped[int] = mapped_column(default=1)
    max_nights: Mapped[int] = mapped_column(default=365)
    pricing_type: Mapped[str] = mapped_column(String(40), default="per_room")

    # Declared last: the name shadows the builtin ``property`` in the class body.
    property = relationship("Property", back_populates="tariffs")
