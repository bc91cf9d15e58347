"""A task's delivery and webhook as an attempt reads them: one prebuilt Core statement, plain records.

Every attempt starts here: ten self-calls for a booking change seen by ten webhooks. Loaded as ORM objects in
the attempt's session, the pair cost about 0.2 ms of CPU (the ORM's loading, then the commit that ended the
session's transaction before the outcome was written); read with one Core statement on a connection of its
own, about 0.07 ms, and the session holds no transaction until the attempt writes (BENCHMARKS.md, eleventh
round).

A :class:`Snapshot` carries every column under its model attribute name, so the processors, signing, payloads
and health read it as they read the models. It is not tracked by the session: a processor that changes its
webhook (the OAuth token cache) writes the change with a statement of its own.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import bindparam, inspect, select

from ..extensions import db
from ..models import Webhook, WebhookDelivery


class Snapshot(SimpleNamespace):
    """A row's columns as attributes, named as the model names them; setting one writes nothing."""


def _keys(model) -> tuple[str, ...]:
    return tuple(attribute.key for attribute in inspect(model).column_attrs)


_DELIVERY_KEYS = _keys(WebhookDelivery)
_WEBHOOK_KEYS = _keys(Webhook)
_SPLIT = len(_DELIVERY_KEYS)
_WEBHOOK_ID = _SPLIT + _WEBHOOK_KEYS.index("id")
_deliveries, _webhooks = WebhookDelivery.__table__, Webhook.__table__

# Built once (hot path): the delivery found by its task id, and its webhook (NULLs when it is gone).
_DELIVERY_AND_WEBHOOK = (
    select(
        *(inspect(WebhookDelivery).column_attrs[key].columns[0] for key in _DELIVERY_KEYS),
        *(inspect(Webhook).column_attrs[key].columns[0] for key in _WEBHOOK_KEYS),
    )
    .select_from(_deliveries.outerjoin(_webhooks, _webhooks.c.id == _deliveries.c.webhook_id))
    .where(_deliveries.c.task_id == bindparam("task_id"))
)


def delivery_and_webhook(task_id: str) -> tuple[Snapshot | None, Snapshot | None]:
    """The delivery of ``task_id`` and its webhook, each ``None`` when it does not exist (any more)."""
    with db.engine.connect() as connection:
        row = connection.execute(_DELIVERY_AND_WEBHOOK, {"task_id": task_id}).first()
    if row is None:
        return None, None
    delivery = Snapshot(**dict(zip(_DELIVERY_KEYS, row[:_SPLIT], strict=True)))
    if row[_WEBHOOK_ID] is None:
        return delivery, None
    return delivery, Snapshot(**dict(zip(_WEBHOOK_KEYS, row[_SPLIT:], strict=True)))
