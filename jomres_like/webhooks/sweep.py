"""The webhook package's sweep hook: events without task files, due retries, tasks whose self-call was lost.

The deferred sweeper (:mod:`..deferred.sweeper`) calls :func:`sweep` on each pass with the pending task files
it read. This hook dispatches committed events that never got their deliveries, tidies task files whose
delivery was finished or lost, and returns the tasks due now, a few probes per pass for a webhook that is
failing, marked down or marked slow.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select

from ..deferred import marks, store
from ..deferred.registry import Pending, SweepFound, SweepPass
from ..deferred.sweeper import BATCH, pending_tasks, register_sweep_hook
from ..deferred.sweeper import trouble as note_trouble
from ..extensions import db
from ..logs import get_logger
from ..models import Webhook, WebhookDelivery, WebhookEvent
from ..services.site import development_mode
from ..timeutil import iso_utc, utcnow
from .dispatch import EventEntry, dispatch_event, run_entries
from .health import FAILING_STREAK

log = get_logger("DeferredTasks")

#: an event younger than this is left to the request that raised it
OUTBOX_GRACE = timedelta(seconds=3)
#: a file younger than this whose delivery is unknown may belong to a transaction still committing
ORPHAN_GRACE = 30.0
#: a never-attempted task younger than this has its self-call in flight
FRESH_TASK = 1.0
#: a webhook failing FAILING_STREAK times in a row gets only this many due tasks per pass, so a receiver
#: that is down costs a few requests per pass, not one per waiting event
PROBES = 2
#: due tasks per pass of a webhook marked slow (its deliveries share a few slots: more would answer "busy")
SLOW_PROBES = 6


def init_app(app: Flask) -> None:
    """Register :func:`sweep` with the app's deferred sweeper."""
    register_sweep_hook(sweep, app)


def sweep(sweep_pass: SweepPass) -> SweepFound:
    """Dispatch lost events, then find the due tasks among the pending files (see the module's docstring)."""
    events, written = sweep_outbox(sweep_pass.limit, start=not sweep_pass.inline)
    due = written + [
        task_id for task_id in due_tasks(sweep_pass.limit, sweep_pass.pending, sweep_pass.trouble)
        if task_id not in written
    ]
    return SweepFound(task_ids=due, counts={"events": events})


def sweep_outbox(limit: int = BATCH, start: bool = True) -> tuple[int, list[str]]:
    """Dispatch committed events that never got their deliveries (a crash between commit and file).

    Returns how many events were found and, when ``start`` is off, the task ids written for them (the
    caller runs them); otherwise the tasks are started the usual way (self-call or immediate delivery).
    """
    cutoff = utcnow() - OUTBOX_GRACE
    ids = list(
        db.session.scalars(
            select(WebhookEvent.id)
            .where(WebhookEvent.dispatched.is_(False), WebhookEvent.created_at <= cutoff)
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    if not ids:
        return 0, []
    log.info("Sweeper dispatching %s undispatched event(s)", len(ids))
    if start:
        run_entries([EventEntry.of(event_id) for event_id in ids])
        return len(ids), []
    written: list[str] = []
    for event_id in ids:
        try:
            written += [entry.task_id for entry in dispatch_event(event_id)]
        except Exception:  # noqa: BLE001 - one bad event must not stop the others
            db.session.rollback()
            log.exception("Sweeper could not dispatch event %s", event_id)
    return len(ids), written


def due_tasks(limit: int = BATCH, pending: list[Pending] | None = None, trouble=None) -> list[str]:
    """Task files of this node that should run now; tidies files whose delivery was finished or lost.

    ``pending`` are the files the sweeper read (read here when not given). Their deliveries are loaded in a
    few statements (not one per file), so that a pass over hundreds of waiting tasks stays cheap.
    """
    if pending is None:
        pending = pending_tasks(limit * 5)
    trouble = trouble or note_trouble
    deliveries = _deliveries([candidate.task_id for candidate in pending])
    now = utcnow()
    dev = development_mode()
    failing = dict(
        db.session.execute(
            select(Webhook.id, Webhook.consecutive_failures)
            .where(Webhook.consecutive_failures >= FAILING_STREAK)
        ).all()
    )
    db.session.rollback()
    # webhooks marked down after a timeout are probed like failing ones; slow ones get a few tasks per pass
    failing.update(dict.fromkeys(marks.marked("down"), FAILING_STREAK))
    slow = marks.marked("slow")
    due: list[str] = []
    probes: dict[int, int] = {}
    for candidate in pending:
        if len(due) >= limit:
            break
        task_id = candidate.task_id
        delivery = deliveries.get(task_id)
        try:
            if _is_due(task_id, candidate.task, candidate.age, delivery, now, dev):
                webhook_id = delivery.webhook_id
                if webhook_id in failing or webhook_id in slow:
                    probes[webhook_id] = probes.get(webhook_id, 0) + 1
                    if probes[webhook_id] > (PROBES if webhook_id in failing else SLOW_PROBES):
                        continue
                due.append(task_id)
        except Exception as exc:  # noqa: BLE001 - one file's trouble never stops the pass
            trouble(task_id, exc)
    return due


def _is_due(task_id: str, task, age: float, delivery, now: datetime, dev: bool) -> bool:
    """Whether the pending ``task`` should run now; tidies its file when its delivery is finished or lost."""
    if delivery is None or delivery.message_id != task["message_id"]:
        if age > ORPHAN_GRACE:
            log.info("Removing orphaned task file %s", task_id)
            store.delete_task(task_id)
        return False
    if delivery.status == "succeeded":  # crashed after the commit, before the file was tidied
        if dev:
            store.write_task({**task, "done": True, "completed_at": iso_utc(delivery.completed_at)})
        else:
            store.delete_task(task_id)
        return False
    if delivery.status == "failed":
        store.move_to_failed({**task, "done": True})
        return False
    if delivery.attempts == (task.get("attempts_base") or 0) and age < FRESH_TASK:
        return False
    return delivery.next_attempt_at is None or delivery.next_attempt_at <= now


def _deliveries(task_ids: list[str]) -> dict:
    """The deliveries of ``task_ids`` (the columns the sweeper reads), by task id."""
    columns = (
        WebhookDelivery.task_id,
        WebhookDelivery.message_id,
        WebhookDelivery.webhook_id,
        WebhookDelivery.status,
        WebhookDelivery.attempts,
        WebhookDelivery.next_attempt_at,
        WebhookDelivery.completed_at,
    )
    found = {}
    for start in range(0, len(task_ids), 500):
        chunk = task_ids[start : start + 500]
        for row in db.session.execute(select(*columns).where(WebhookDelivery.task_id.in_(chunk))):
            found[row.task_id] = row
    return found


def finished(task_id: str) -> bool:
    """Whether the delivery of ``task_id`` (whose file is gone) was processed: succeeded or failed."""
    status = db.session.scalar(select(WebhookDelivery.status).where(WebhookDelivery.task_id == task_id))
    return status in ("succeeded", "failed")
