"""Invoices and their lines."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

INVOICE_STATUSES = ("pending", "paid", "cancelled")


class Invoice(db.Model):
    """An invoice of a property; ``id`` is the ``invoice_uid``."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    property_id: Mapped[int] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("guests.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    due_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    booking = relationship("Booking")
    guest = relationship("Guest")
    lines = relationship(
        "InvoiceLine", back_populates="invoice", order_by="InvoiceLine.id", cascade="all, delete-orphan"
    )

    @property
    def uid(self) -> int:
        return self.id

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0.00"))

    # Declared last: the name shadows the builtin ``property`` in the class body.
    property = relationship("Property")


class InvoiceLine(db.Model):
    """One line of an invoice: quantity x unit price, plus tax."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))

    invoice = relationship("Invoice", back_populates="lines")

    @property
    def total(self) -> Decimal:
        net = self.unit_price * self.quantity
        return (net + net * self.tax_rate / Decimal(100)).quantize(Decimal("0.01"))
