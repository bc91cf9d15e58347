"""Running one deferred task: claim, load, find the 07320 processor, send, record the attempt, decide.

Used by ``/background_process`` (the self-call), by immediate-mode dispatch (inline, inside the request), by
``flask deferred-tasks run`` and by the sweeper when it runs tasks itself. Deliveries in flight are bounded
per webhook and per process (:mod:`.slots`): a task of a healthy webhook whose slots are taken is queued and
run by the thread holding the slot, right after its own task (:func:`_drain`); a slow webhook's extra task is
left, due, for the sweeper.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import update

from ..extensions import db
from ..logs import get_logger
from ..models import WebhookDelivery
from ..services.site import development_mode
from ..timeutil import iso_utc, utcnow
from ..webhooks.rows import Snapshot, delivery_and_webhook
from . import marks, selfcall, slots, store
from .slots import delivery_slot

__all__ = ["delivery_slot", "run_task", "stale_after"]

log = get_logger("DeferredTasks")

EARLY_TOLERANCE = timedelta(seconds=0.5)
#: a thread runs at most this many queued tasks, for at most DRAIN_SECONDS, before handing the rest on
DRAIN_TASKS = 200
DRAIN_SECONDS = 5.0


def stale_after() -> float:
    """Seconds after which a claim file of an earlier version is left over: its delivery has ended."""
    return float(current_app.config.get("JOMRES_WEBHOOK_TIMEOUT") or 15) * 2 + 30


def _answer(status: int, state: str, message: str, **extra: Any) -> tuple[int, dict]:
    return status, {"status": state, "message": message, **extra}


def _processed_answer(task_id: str) -> tuple[int, dict]:
    return _answer(410, "gone", "This task was already processed; its URL does nothing now.", task=task_id)


def run_task(task_id: str, *, inline: bool = False) -> tuple[int, dict]:
    """Run the task ``task_id`` once; return ``(http_status, summary)``. Never raises for bad tasks."""
    if not store.valid_task_id(task_id):
        return _answer(400, "error", "Malformed task id.")
    dev = development_mode()
    try:
        task, _failed = store.read_task(task_id)
    except store.TaskMissing:
        delivery = db.session.scalar(db.select(WebhookDelivery).where(WebhookDelivery.task_id == task_id))
        if delivery is not None and delivery.status in ("succeeded", "failed"):
            return _processed_answer(task_id)
        return _answer(404, "error", "No such task.", task=task_id)
    except store.TaskError as exc:
        log.warning("Task %s cannot be run: %s", task_id, exc)
        return _answer(422, "error", str(exc), task=task_id)
    if inline:
        return _claim_and_run(task_id, dev)
    state, slot = slots.acquire(task["webhook_id"], task_id)
    if state == slots.QUEUED:
        # the sweeper leaves it alone while it waits here; firing it again would only add a self-call
        marks.note_draining(task["webhook_id"])
        return _answer(
            202, "queued", "Queued behind this webhook's deliveries in flight; it runs next.", task=task_id
        )
    if slot is None:
        log.info("Task %s left for the sweeper: too many deliveries in flight", task_id)
        return _answer(503, "busy", "Too many deliveries in flight; the sweeper will run it.", task=task_id)
    try:
        status, body = _claim_and_run(task_id, dev)
        ran = _drain(slot, dev)
    finally:
        slots.release(slot)
    if ran:
        body = {**body, "queued_tasks_run": ran}
    return status, body


def _drain(slot: slots.Slot, dev: bool) -> int:
    """Run the tasks queued behind ``slot`` (same webhook), keeping the slot; return how many ran.

    Stops when the queue is empty (the slot is then released), when the webhook turns slow or down (its queue
    is left to the sweeper), or after DRAIN_TASKS tasks / DRAIN_SECONDS (the next queued task gets a
    self-call of its own, which carries on).
    """
    deadline = time.monotonic() + DRAIN_SECONDS
    ran = 0
    while True:
        db.session.rollback()  # each task in a fresh transaction
        if marks.is_marked("slow", slot.webhook_id):
            left = slots.drop_queue(slot.webhook_id)
            if left:
                log.info("Webhook %s is slow: %s queued task(s) left for the sweeper", slot.webhook_id, left)
            return ran
        if ran >= DRAIN_TASKS or time.monotonic() > deadline:
            slots.release(slot)
            handed = slots.pop_queued(slot.webhook_id)
            if handed is not None:
                selfcall.fire(handed)
            return ran
        task_id = slots.next_or_release(slot)
        if task_id is None:
            return ran
        marks.note_draining(slot.webhook_id)
        log.info("Running queued task %s", task_id)
        try:
            _claim_and_run(task_id, dev)
        except Exception:  # noqa: BLE001 - one bad task must not strand the others; the sweeper retries it
            db.session.rollback()
            log.exception("Queued task %s failed; it is kept for the sweeper", task_id)
        ran += 1


def _claim_and_run(task_id: str, dev: bool) -> tuple[int, dict]:
    try:
        with store.claim(task_id) as (task, failed):  # read again, under the claim
            return _run_claimed(task_id, task, failed, dev)
    except store.TaskBusy:
        return _answer(409, "busy", "This task is running right now.", task=task_id)
    except store.TaskError as exc:
        return _answer(404 if isinstance(exc, store.TaskMissing) else 422, "error", str(exc), task=task_id)


def _run_claimed(task_id: str, task: dict, failed: bool, dev: bool) -> tuple[int, dict]:
    delivery, webhook = delivery_and_webhook(task_id)  # plain records; the session holds no transaction
    if delivery is None or delivery.message_id != task["message_id"]:
        if not failed:
            store.delete_task(task_id)
        return _answer(
            410, "gone", "This task was superseded or its delivery no longer exists.", task=task_id
        )
    processed = bool(task.get("done")) or failed or delivery.status in ("succeeded", "failed")
    if processed and not dev:
        return _processed_answer(task_id)
    if (
        not processed
        and not dev
        and delivery.next_attempt_at
        and delivery.next_attempt_at > utcnow() + EARLY_TOLERANCE
    ):
        return _answer(
            202,
            "scheduled",
            "The next attempt is not due yet.",
            task=task_id,
            next_attempt_at=iso_utc(delivery.next_attempt_at),
        )
    if webhook is None or webhook.id != task["webhook_id"]:
        return _answer(410, "gone", "The webhook no longer exists.", task=task_id)
    try:
        from ..webhooks.authmethods import get_processor

        processor = get_processor(task["processor"])
    except Exception:  # noqa: BLE001 - unknown or broken processor: keep the task for later
        log.warning("Failed to find %s, task %s kept", task["processor"], task_id)
        return _answer(404, "kept", f"Failed to find {task['processor']}; the task is kept.", task=task_id)
    if not webhook.enabled:
        _give_up(task, delivery, "The webhook is disabled.", dev)
        return _answer(
            200, "failed", "The webhook is disabled; the delivery is recorded as failed.", task=task_id
        )
    from ..webhooks.schedule import record_outcome

    log.info("Starting call to minicomponent %s", task["processor"])
    started = utcnow()
    try:
        result = processor(delivery, webhook)
    except Exception as exc:  # noqa: BLE001 - a processor bug is a failed attempt, not a 500
        log.exception("Processor %s failed on task %s", task["processor"], task_id)
        from ..webhooks.transport import AttemptResult

        result = AttemptResult(ok=False, error=f"Processor error: {type(exc).__name__}")
    marks.note_result(webhook.id, result)
    summary = record_outcome(task, delivery, webhook, result, started, dev, rerun=processed)
    return 200, {"task": task_id, **summary}


def _give_up(task: dict, delivery: Snapshot, reason: str, dev: bool) -> None:
    now = utcnow()
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id)
        .values(
            status="failed", last_error=reason[:255], completed_at=now, next_attempt_at=None, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    store.move_to_failed(task)
