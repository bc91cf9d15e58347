"""Rows the pipeline reads on every event and every attempt: Core statements into frozen dataclasses.

An attempt reads its delivery with its webhook, and a dispatch its event with the event's webhooks, on a
connection of its own: no ORM loading, and no session transaction to end before the group write or the
dispatch's own short transaction (gain: see BENCHMARKS.md).

:class:`WebhookRow`, :class:`DeliveryRow` and :class:`EventRow` carry every column under its model attribute
name, so the processors, signing, payloads and health read them as they read the models. They are frozen
and tracked by no session: a processor that changes its webhook (the OAuth token cache) writes the change
with a statement of its own. A row class that does not match its model's columns fails at import.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, inspect, select

from ..extensions import db
from ..models import Webhook, WebhookDelivery, WebhookEvent


@dataclass(frozen=True, slots=True)
class WebhookRow:
    """A webhook's columns, read outside the session."""

    id: int
    owner_id: int | None
    url: str
    auth_method: str
    auth_settings_encrypted: str | None
    events: Any
    enabled: bool
    mode: str
    include_record: bool
    wait_for_confirmation: bool
    event_names: str
    secret_encrypted: str
    previous_secret_encrypted: str | None
    previous_secret_expires_at: datetime | None
    description: str
    last_status: int | None
    last_delivery_at: datetime | None
    consecutive_failures: int
    failing_since: datetime | None
    disabled_reason: str
    token_cache_encrypted: str | None
    token_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """A delivery's columns, read outside the session."""

    id: int
    message_id: str
    webhook_id: int
    event_id: int | None
    event: str
    payload: Any
    task_id: str | None
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class EventRow:
    """An outbox event's columns, read outside the session."""

    id: int
    event: str
    data: Any
    event_metadata: Any
    property_id: int | None
    user_id: int | None
    created_at: datetime
    dispatched: bool
    dispatched_at: datetime | None


class _Shape:
    """A model's columns in the order of its row class's fields, and how to make a row of them."""

    def __init__(self, model, row: type) -> None:
        columns = {attribute.key: attribute.columns[0] for attribute in inspect(model).column_attrs}
        names = tuple(field.name for field in fields(row))
        if set(names) != set(columns):
            raise TypeError(f"{row.__name__} does not match the columns of {model.__name__}")
        self.row = row
        self.names = names
        self.columns = tuple(columns[name] for name in names)

    def make(self, values) -> Any:
        return self.row(*values)


DELIVERY, WEBHOOK, EVENT = (
    _Shape(WebhookDelivery, DeliveryRow), _Shape(Webhook, WebhookRow), _Shape(WebhookEvent, EventRow)
)
_deliveries, _webhooks = WebhookDelivery.__table__, Webhook.__table__

# Built once (hot paths). The delivery found by its task id, and its webhook (NULLs when it is gone):
_DELIVERY_AND_WEBHOOK = (
    select(*DELIVERY.columns, *WEBHOOK.columns)
    .select_from(_deliveries.outerjoin(_webhooks, _webhooks.c.id == _deliveries.c.webhook_id))
    .where(_deliveries.c.task_id == bindparam("task_id"))
)
_SPLIT = len(DELIVERY.columns)
_WEBHOOK_ID = _SPLIT + WEBHOOK.names.index("id")
_EVENT = select(*EVENT.columns).where(WebhookEvent.__table__.c.id == bindparam("event_id"))


def delivery_and_webhook(task_id: str) -> tuple[DeliveryRow | None, WebhookRow | None]:
    """The delivery of ``task_id`` and its webhook, each ``None`` when it does not exist (any more)."""
    with db.engine.connect() as connection:
        row = connection.execute(_DELIVERY_AND_WEBHOOK, {"task_id": task_id}).first()
    if row is None:
        return None, None
    delivery = DELIVERY.make(row[:_SPLIT])
    return delivery, (WEBHOOK.make(row[_SPLIT:]) if row[_WEBHOOK_ID] is not None else None)


def event(connection: Connection, event_id: int) -> EventRow | None:
    """The event ``event_id``, or ``None``."""
    row = connection.execute(_EVENT, {"event_id": event_id}).first()
    return EVENT.make(row) if row is not None else None


def webhooks(connection: Connection, condition: ColumnElement[bool]) -> list[WebhookRow]:
    """The webhooks meeting ``condition``, by id."""
    statement = select(*WEBHOOK.columns).where(condition).order_by(_webhooks.c.id)
    return [WEBHOOK.make(row) for row in connection.execute(statement)]
