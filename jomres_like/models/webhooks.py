"""Webhooks, their deliveries (one per event and webhook) and every delivery attempt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow

MODES = ("deferred", "immediate")
DELIVERY_STATUSES = ("pending", "delivering", "succeeded", "failed")


class Webhook(db.Model):
    """A subscription: where to send which events, how to authenticate, and its health.

    ``owner_id`` is the manager it belongs to; ``None`` makes it a site-wide webhook (administrators).
    Secrets (``secret_encrypted``, ``auth_settings_encrypted``, ``token_cache_encrypted``) are encrypted with
    :mod:`jomres_like.crypto` and never shown again after saving.
    """

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    auth_method: Mapped[str] = mapped_column(String(20), default="none")
    auth_settings_encrypted: Mapped[str | None] = mapped_column(Text)
    events: Mapped[list] = mapped_column(JSON, default=list)  # empty: every event, as in Jomres
    enabled: Mapped[bool] = mapped_column(default=True)
    mode: Mapped[str] = mapped_column(String(10), default="deferred")
    include_record: Mapped[bool] = mapped_column(default=False)
    wait_for_confirmation: Mapped[bool] = mapped_column(default=True)
    # "current" or "jomres_legacy": the older event names receivers written for Jomres know (signals.py)
    event_names: Mapped[str] = mapped_column(String(20), default="current", server_default="current")
    secret_encrypted: Mapped[str] = mapped_column(Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    description: Mapped[str] = mapped_column(String(255), default="")
    last_status: Mapped[int | None]
    last_delivery_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[datetime | None]
    disabled_reason: Mapped[str] = mapped_column(String(255), default="")
    token_cache_encrypted: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner = relationship("User")
    deliveries = relationship(
        "WebhookDelivery",
        back_populates="webhook",
        passive_deletes=True,
        order_by="WebhookDelivery.id.desc()",
        lazy="dynamic",
    )

    @property
    def site_wide(self) -> bool:
        return self.owner_id is None


def wants(events: list | None, event: str) -> bool:
    """Whether a webhook subscribed to ``events`` wants ``event`` (an empty list means every event)."""
    return not events or event in events


class WebhookDelivery(db.Model):
    """One event sent to one webhook; ``message_id`` is the ``webhook-id`` header, kept on every retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_webhook_deliveries_webhook_event"),
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("webhook_events.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    task_id: Mapped[str | None] = mapped_column(String(50), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None]

    webhook = relationship("Webhook", back_populates="deliveries")
    attempt_log = relationship(
        "DeliveryAttempt", back_populates="delivery", order_by="DeliveryAttempt.number", passive_deletes=True
    )


class DeliveryAttempt(db.Model):
    """One HTTP attempt of a delivery: when, how long, what came back."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    duration_ms: Mapped[int] = mapped_column(default=0)
    status_code: Mapped[int | None]
    response_excerpt: Mapped[str] = mapped_column(String(500), default="")
    error: Mapped[str] = mapped_column(String(255), default="")
    redelivery: Mapped[bool] = mapped_column(default=False)

    delivery = relationship("WebhookDelivery", back_populates="attempt_log")
