"""The watcher's dispatch: events to deliveries, task files and self-calls (SPEC section 7, steps 2 and 5).

Entries are buffered on the session while a transaction runs (an :class:`EventEntry` for a raised event, a
:class:`TaskEntry` for a test event or a redelivery whose task file is already written) and started only
after the commit, by :func:`run_entries`. A rollback drops them.

For one event, :func:`dispatch_event` claims the outbox row (``UPDATE ... WHERE dispatched = false``, so
two workers or two nodes never dispatch it twice), creates one delivery per wanted webhook, writes the task
files (before the commit: a file whose delivery was rolled back is an orphan the sweeper removes), commits,
then fires the self-calls; immediate-mode webhooks are delivered right there instead.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..deferred import marks, selfcall, store
from ..extensions import db
from ..logs import get_logger
from ..models import Webhook, WebhookDelivery, WebhookEvent
from ..services.events import raise_event
from ..timeutil import iso_utc, utcnow
from . import authmethods, rows
from .health import FAILING_STREAK
from .payloads import build_payload, new_message_id
from .resolve import webhooks_for

BUFFER_KEY = "jomres_webhook_buffer"

log = get_logger("Core")


class EventEntry(NamedTuple):
    """A committed event to dispatch (``kind`` is ``"event"``)."""

    kind: str
    event_id: int

    @classmethod
    def of(cls, event_id: int) -> EventEntry:
        """The entry of event ``event_id``."""
        return cls("event", event_id)


class TaskEntry(NamedTuple):
    """A written task to start (``kind`` is ``"task"``): a self-call (``deferred``), inline (``immediate``);
    ``old_task_id`` is the task file it replaces; ``start`` off leaves it to the sweeper's probes."""

    kind: str
    task_id: str
    mode: str
    old_task_id: str | None = None
    start: bool = True

    @classmethod
    def of(cls, task_id: str, mode: str, old_task_id: str | None = None, start: bool = True) -> TaskEntry:
        """The entry of task ``task_id``."""
        return cls("task", task_id, mode, old_task_id, start)


Entry = EventEntry | TaskEntry


def buffer_entry(entry: Entry) -> None:
    """Queue ``entry`` on the current transaction; it is started after the commit, dropped on rollback."""
    db.session().info.setdefault(BUFFER_KEY, []).append(entry)


def processor_name(webhook: Webhook) -> str:
    """The processor of the webhook's auth method, e.g. ``07320watcher_authmethod_process_none`` (deferred)
    or ``07310watcher_authmethod_process_none`` (an immediate webhook's)."""
    return authmethods.processor_name(webhook.auth_method or "none", immediate=webhook.mode == "immediate")


def _task(delivery: Any, webhook: Any, redelivery: bool = False) -> dict[str, Any]:
    """The task of ``delivery`` (a model or the values of a new delivery; not written yet), new task id."""
    values = delivery if isinstance(delivery, dict) else {
        name: getattr(delivery, name, None) for name in ("id", "message_id", "event", "attempts")
    }
    return {
        "task_id": store.new_task_id(),
        # None for a delivery not inserted yet (a dispatch's values have no id): found by its task id
        "delivery_id": values.get("id"),
        "webhook_id": webhook.id,
        "processor": processor_name(webhook),
        "message_id": values["message_id"],
        "event": values["event"],
        "mode": webhook.mode,
        "created_at": iso_utc(utcnow()),
        "attempts_base": values.get("attempts") or 0,
        "redelivery": redelivery,
        "done": False,
    }


def new_task(delivery: WebhookDelivery, webhook: Webhook, redelivery: bool = False) -> dict[str, Any]:
    """Write the task file of ``delivery`` (atomically) and point the delivery at it; return the task."""
    task = _task(delivery, webhook, redelivery)
    store.write_task(task)
    delivery.task_id = task["task_id"]
    return task


def _delivery_values(event, webhook) -> dict[str, Any]:
    """The columns of a new delivery of ``event`` to ``webhook`` (the others get their defaults)."""
    message_id = new_message_id()
    return {
        "message_id": message_id,
        "webhook_id": webhook.id,
        "event_id": event.id,
        "event": event.event,
        "payload": build_payload(event, webhook, message_id),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": utcnow(),
    }


def dispatch_event(event_id: int) -> list[TaskEntry]:
    """Create the deliveries and task files of one committed event; return the ``task`` entries to start.

    The task files are written (synced together) before the short transaction that claims the event and
    inserts its deliveries, so that no database lock is held while the disk syncs. If the claim fails (another
    worker or node dispatched it) or the transaction fails, the files are removed; if the process dies in
    between, the sweeper removes them as orphans and dispatches the event from the outbox.
    """
    with db.engine.connect() as connection:  # plain records (.rows), read outside the session
        event = rows.event(connection, event_id)
        if event is None or event.dispatched:
            return []
        pairs = [(webhook, _delivery_values(event, webhook)) for webhook in webhooks_for(event, connection)]
    # a receiver failing again and again, marked down after a timeout, or marked slow is not called for each
    # new event: the sweeper probes it. A slow webhook's deliveries share a few slots of each process, so a
    # self-call for it mostly finds them taken and can only answer "busy"; the sweeper fires as many of its
    # tasks per pass as those slots take (SLOW_PROBES).
    marked = marks.marked("down", "slow") if pairs else set()
    held = {
        webhook.id
        for webhook, _delivery in pairs
        if (webhook.consecutive_failures or 0) >= FAILING_STREAK or webhook.id in marked
    }
    tasks = [_task(delivery, webhook) for webhook, delivery in pairs]
    for (_webhook, delivery), task in zip(pairs, tasks, strict=True):
        delivery["task_id"] = task["task_id"]
    written: list[dict] = []
    try:
        store.write_tasks(tasks)  # all or none (a failed write removes its temporaries)
        written = tasks
        with db.engine.begin() as connection:  # committed here, or rolled back by any exception
            claimed = connection.execute(_CLAIM, {"event_id": event_id, "now": utcnow()}).rowcount
            if not claimed:
                raise _AlreadyDispatched
            if pairs:  # one multi-row statement: the writer lock is held for one round trip, not one each
                connection.execute(_INSERT_DELIVERIES, [delivery for _webhook, delivery in pairs])
    except (_AlreadyDispatched, IntegrityError):  # another worker or node dispatched it first
        _remove(written)
        return []
    except Exception:
        _remove(written)
        raise
    return [
        TaskEntry.of(task["task_id"], task["mode"], start=task["webhook_id"] not in held) for task in tasks
    ]


_events = WebhookEvent.__table__
# Built once (every event runs them): claim the outbox row, insert the event's deliveries.
_CLAIM = (
    update(_events)
    .where(_events.c.id == bindparam("event_id"), _events.c.dispatched.is_(False))
    .values(dispatched=True, dispatched_at=bindparam("now"))
)
_INSERT_DELIVERIES = insert(WebhookDelivery.__table__)


class _AlreadyDispatched(Exception):
    """The event was claimed by another worker or node meanwhile."""


def _remove(tasks: list[dict]) -> None:
    for task in tasks:
        store.delete_task(task["task_id"])


def start_task(task_id: str, mode: str) -> None:
    """Start a written task: fire the self-call (deferred) or deliver it now (immediate, 07310)."""
    if mode == "immediate":
        from ..deferred.runner import run_task

        run_task(task_id, inline=True)
    else:
        selfcall.fire(task_id)


def run_entries(entries: list[Entry]) -> None:
    """Start what a committed transaction buffered; log failures and carry on (the sweeper catches up)."""
    seen: set = set()
    for entry in entries:
        if entry in seen:
            continue
        seen.add(entry)
        try:
            if entry[0] == "event":
                tasks = dispatch_event(EventEntry(*entry).event_id)
            else:
                task = TaskEntry(*entry)
                tasks = [task]
                if task.old_task_id and task.old_task_id != task.task_id:
                    store.delete_task(task.old_task_id)
            for task in tasks:
                if task.start:
                    start_task(task.task_id, task.mode)
        except Exception:  # noqa: BLE001 - never into the request; the outbox sweep catches up
            db.session.rollback()
            log.exception("Dispatch of %s failed; the sweeper will retry it", entry[:2])


def dispatch_events(event_ids: list[int]) -> None:
    """Dispatch these committed events here (another worker handed them over); log failures."""
    run_entries([EventEntry.of(event_id) for event_id in event_ids])


def send_test_event(webhook: Webhook) -> WebhookDelivery:
    """Raise a ``webhook_test`` event for ``webhook`` only, delivered the normal way after the commit."""
    event = raise_event("webhook_test", property_uid=None, webhook_id=webhook.id)
    event.dispatched = True
    event.dispatched_at = utcnow()
    delivery = db.session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.webhook_id == webhook.id, WebhookDelivery.event_id == event.id
        )
    )
    if delivery is not None:  # the same test event twice in one transaction is sent once
        return delivery
    delivery = WebhookDelivery(**_delivery_values(event, webhook))
    db.session.add(delivery)
    db.session.flush()
    task = new_task(delivery, webhook)
    buffer_entry(TaskEntry.of(task["task_id"], webhook.mode))
    return delivery


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send ``delivery`` again (same message id) through the normal path after the commit."""
    webhook = delivery.webhook
    old_task_id = delivery.task_id
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    delivery.completed_at = None
    task = new_task(delivery, webhook, redelivery=True)
    db.session.flush()
    buffer_entry(TaskEntry.of(task["task_id"], webhook.mode, old_task_id))
    return delivery
