"""The ``webhook_events`` table: every domain event, written with the change (audit log and outbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class WebhookEvent(db.Model):
    """One domain event: its name, Jomres ``data``, metadata (changes, date ranges) and dispatch state."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_dispatched_created", "dispatched", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    event_metadata: Mapped[dict] = mapped_column(JSON, default=dict)
    property_id: Mapped[int | None] = mapped_column(
        ForeignKey("properties.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched: Mapped[bool] = mapped_column(default=False)
    dispatched_at: Mapped[datetime | None]

    user = relationship("User")

    @property
    def changes(self) -> dict:
        return (self.event_metadata or {}).get("changes", {})
