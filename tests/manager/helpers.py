"""Small helpers of the manager page tests."""

from __future__ import annotations

from sqlalchemy import func, select

from jomres_like.extensions import db
from jomres_like.models import WebhookEvent


def events(app, name: str) -> list[WebhookEvent]:
    """The ``webhook_events`` rows named ``name``, oldest first, detached from the session."""
    with app.app_context():
        rows = db.session.scalars(
            select(WebhookEvent).where(WebhookEvent.event == name).order_by(WebhookEvent.id)
        )
        found = list(rows)
        for row in found:
            db.session.expunge(row)
        return found


def count(app, model, *conditions) -> int:
    """How many rows of ``model`` match."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def get(app, model, ident):
    """One row, detached so that the test can read it after the context ends."""
    with app.app_context():
        row = db.session.get(model, ident)
        if row is not None:
            db.session.expunge(row)
        return row
