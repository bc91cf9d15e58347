"""Rows the pipeline reads on every event and every attempt: Core statements, plain records.

An attempt reads its delivery with its webhook, and a dispatch its event with the event's webhooks, on a
connection of its own: no ORM loading, and no session transaction to end before the group write or the
dispatch's own short transaction. Loaded as ORM objects in the session, an attempt's pair cost about 0.2 ms
of CPU with the commit that followed, against 0.07 ms read this way (BENCHMARKS.md, eleventh round).

A :class:`Snapshot` carries every column under its model attribute name, so the processors, signing,
payloads and health read it as they read the models. It is not tracked by any session: a processor that
changes its webhook (the OAuth token cache) writes the change with a statement of its own.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import ColumnElement, Connection, bindparam, inspect, select

from ..extensions import db
from ..models import Webhook, WebhookDelivery, WebhookEvent


class Snapshot(SimpleNamespace):
    """A row's columns as attributes, named as the model names them; setting one writes nothing."""


class _Shape:
    """A model's column attributes: their names, and the columns to select for them."""

    def __init__(self, model) -> None:
        attributes = inspect(model).column_attrs
        self.keys = tuple(attribute.key for attribute in attributes)
        self.columns = tuple(attribute.columns[0] for attribute in attributes)

    def make(self, values) -> Snapshot:
        return Snapshot(**dict(zip(self.keys, values, strict=True)))


DELIVERY, WEBHOOK, EVENT = _Shape(WebhookDelivery), _Shape(Webhook), _Shape(WebhookEvent)
_deliveries, _webhooks = WebhookDelivery.__table__, Webhook.__table__

# Built once (hot paths). The delivery found by its task id, and its webhook (NULLs when it is gone):
_DELIVERY_AND_WEBHOOK = (
    select(*DELIVERY.columns, *WEBHOOK.columns)
    .select_from(_deliveries.outerjoin(_webhooks, _webhooks.c.id == _deliveries.c.webhook_id))
    .where(_deliveries.c.task_id == bindparam("task_id"))
)
_SPLIT = len(DELIVERY.keys)
_WEBHOOK_ID = _SPLIT + WEBHOOK.keys.index("id")
_EVENT = select(*EVENT.columns).where(WebhookEvent.__table__.c.id == bindparam("event_id"))


def delivery_and_webhook(task_id: str) -> tuple[Snapshot | None, Snapshot | None]:
    """The delivery of ``task_id`` and its webhook, each ``None`` when it does not exist (any more)."""
    with db.engine.connect() as connection:
        row = connection.execute(_DELIVERY_AND_WEBHOOK, {"task_id": task_id}).first()
    if row is None:
        return None, None
    delivery = DELIVERY.make(row[:_SPLIT])
    return delivery, (WEBHOOK.make(row[_SPLIT:]) if row[_WEBHOOK_ID] is not None else None)


def event(connection: Connection, event_id: int) -> Snapshot | None:
    """The event ``event_id``, or ``None``."""
    row = connection.execute(_EVENT, {"event_id": event_id}).first()
    return EVENT.make(row) if row is not None else None


def webhooks(connection: Connection, condition: ColumnElement[bool]) -> list[Snapshot]:
    """The webhooks meeting ``condition``, by id."""
    statement = select(*WEBHOOK.columns).where(condition).order_by(_webhooks.c.id)
    return [WEBHOOK.make(row) for row in connection.execute(statement)]
