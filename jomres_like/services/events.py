"""Raising domain events: the outbox row, written in the same transaction as the change, then the signal."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import event as sa_event

from .. import signals
from ..extensions import db
from ..models import WebhookEvent
from . import ValidationError
from .actor import get_actor

_PENDING_KEY = "jomres_raised_events"


def json_value(value: Any) -> Any:
    """Return ``value`` in a JSON-friendly form (dates as ISO strings, decimals as numbers)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple, set)):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    return value


def apply_changes(record: Any, values: dict[str, Any], fields: Iterable[str] | None = None) -> dict:
    """Set ``values`` on ``record``; return ``{attribute: [old, new]}`` for the ones that really changed."""
    changes: dict[str, list] = {}
    for name, new in values.items():
        if fields is not None and name not in fields:
            continue
        old = getattr(record, name)
        if _same(old, new):
            continue
        setattr(record, name, new)
        changes[name] = [json_value(old), json_value(new)]
    return changes


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        try:
            return Decimal(str(old)) == Decimal(str(new))
        except Exception:  # noqa: BLE001 - not numbers: compare as they are
            return old == new
    return old == new


def raise_event(
    name: str,
    *,
    property_uid: int | None,
    changes: dict | None = None,
    metadata: dict | None = None,
    **ids: Any,
) -> WebhookEvent:
    """Write the ``webhook_events`` row for ``name`` and send its signal.

    ``ids`` are the catalogue's keys besides ``property_uid`` (``contract_uid``, ``note_id``...), or their
    aliases (``signals.ID_ALIASES``: ``extra_uid`` for ``extras_uid``).
    An equal event (same name and data) raised again in the same transaction is merged into the first:
    its changes are combined and it is sent once.
    """
    event_type = signals.CATALOGUE.get(name)
    if event_type is None:
        raise ValidationError(f"Unknown event {name!r}.", field="event")
    for alias, key in signals.ID_ALIASES.items():
        if alias in ids and key in event_type.keys:
            ids.setdefault(key, ids.pop(alias))
    data: dict[str, Any] = {}
    for key in event_type.keys:
        value = property_uid if key == "property_uid" else ids.get(key)
        if value is None:
            raise ValidationError(f"Event {name} needs {key}.", field=key)
        data[key] = value
    extra = {key: json_value(value) for key, value in ids.items() if key not in data}
    data.update(extra)
    meta = dict(metadata or {})
    if changes:
        meta["changes"] = changes

    session = db.session()
    pending: dict[str, WebhookEvent] = session.info.setdefault(_PENDING_KEY, {})
    key = name + json.dumps(data, sort_keys=True, default=str)
    existing = pending.get(key)
    if existing is not None:
        existing.event_metadata = _merge_metadata(existing.event_metadata or {}, meta)
        return existing

    actor = get_actor()
    row = WebhookEvent(
        event=name,
        data=data,
        event_metadata=meta,
        property_id=property_uid,
        user_id=actor.id if actor is not None else None,
    )
    session.add(row)
    session.flush()
    pending[key] = row
    sender = current_app._get_current_object()
    signals.EVENT_SIGNALS[name].send(sender, event=row)
    signals.event_raised.send(sender, event=row)
    return row


def _merge_metadata(first: dict, second: dict) -> dict:
    merged = dict(first)
    for key, value in second.items():
        if key == "changes":
            changes = dict(merged.get("changes", {}))
            for attribute, (old, new) in value.items():
                changes[attribute] = [changes[attribute][0] if attribute in changes else old, new]
            merged["changes"] = {k: v for k, v in changes.items() if v[0] != v[1]}
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + [item for item in value if item not in merged[key]]
        else:
            merged[key] = value
    return merged


def _forget_pending(session, *_args) -> None:
    session.info.pop(_PENDING_KEY, None)


def configure_event_buffer() -> None:
    """Forget the per-transaction event buffer on commit and rollback (idempotent)."""
    target = db.session
    for hook in ("after_commit", "after_soft_rollback"):
        if not sa_event.contains(target, hook, _forget_pending):
            sa_event.listen(target, hook, _forget_pending)
