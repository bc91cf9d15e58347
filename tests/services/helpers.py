"""Helpers shared by the service tests."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from jomres_like.extensions import db
from jomres_like.models import WebhookEvent
from jomres_like.timeutil import utc_today


def days(n: int) -> date:
    """The date ``n`` days from today."""
    return utc_today() + timedelta(days=n)


class EventLog:
    """The ``webhook_events`` rows written since the log was (re)started."""

    def __init__(self) -> None:
        self.start = 0
        self.mark()

    def mark(self) -> None:
        """End the set-up as a request would (commit), and forget every event written so far."""
        db.session.commit()
        self.start = db.session.scalar(select(func.max(WebhookEvent.id))) or 0

    def rows(self, name: str | None = None) -> list[WebhookEvent]:
        """The events written since the mark (flushed or committed), oldest first."""
        query = select(WebhookEvent).where(WebhookEvent.id > self.start).order_by(WebhookEvent.id)
        if name is not None:
            query = query.where(WebhookEvent.event == name)
        return list(db.session.scalars(query))

    def names(self) -> list[str]:
        """The names of the events written since the mark."""
        return [row.event for row in self.rows()]

    def one(self, name: str) -> WebhookEvent:
        """The only event written since the mark, which must be ``name``."""
        rows = self.rows()
        assert [row.event for row in rows] == [name]
        return rows[0]
