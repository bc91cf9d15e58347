"""Running one deferred task: claim it, read it again under the claim, call the processor its file names.

Used by ``/background_process`` (the self-call), by immediate-mode dispatch (inline, inside the request), by
``flask deferred-tasks run`` and by the sweeper when it runs tasks itself. The processor is found in the
app's registry by the task file's ``processor`` name (:mod:`.registry`). Tasks in flight are bounded per
``webhook_id`` of their files and per process (:mod:`.slots`): a task whose slots are taken is queued and
run by the thread holding the slot, right after its own task (:func:`_drain`); a slow one's extra task is
left, due, for the sweeper.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app

from ..extensions import db
from ..logs import get_logger
from ..services.site import development_mode
from . import marks, registry, selfcall, slots, store
from .registry import Answer, Claimed
from .slots import delivery_slot

__all__ = ["Answer", "delivery_slot", "run_task", "stale_after"]

log = get_logger("DeferredTasks")

#: a thread runs at most this many queued tasks, for at most DRAIN_SECONDS, before handing the rest on
#: (bounds how long one request thread serves its webhook's queue; the next task gets a self-call of its own)
DRAIN_TASKS = 200
DRAIN_SECONDS = 5.0


def stale_after() -> float:
    """Seconds after which a claim file of an earlier version is left over: its delivery has ended."""
    return float(current_app.config.get("JOMRES_WEBHOOK_TIMEOUT") or 15) * 2 + 30


def _answer(status: int, state: str, message: str, **extra: Any) -> Answer:
    return Answer(status, {"status": state, "message": message, **extra})


def processed_answer(task_id: str) -> Answer:
    """The answer for a task that was already processed: its URL does nothing now."""
    return _answer(410, "gone", "This task was already processed; its URL does nothing now.", task=task_id)


def run_task(task_id: str, *, inline: bool = False) -> Answer:
    """Run the task ``task_id`` once; return ``(http_status, summary)``. Never raises for bad tasks."""
    if not store.valid_task_id(task_id):
        return _answer(400, "error", "Malformed task id.")
    dev = development_mode()
    try:
        task, _failed = store.read_task(task_id)
    except store.TaskMissing:
        if any(finished(task_id) for finished in registry.registry().finished_checks):
            return processed_answer(task_id)
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
    return Answer(status, body)


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


def _claim_and_run(task_id: str, dev: bool) -> Answer:
    try:
        with store.claim(task_id) as (task, failed):  # read again, under the claim
            return _run_claimed(Claimed(task_id, task, failed, dev))
    except store.TaskBusy:
        return _answer(409, "busy", "This task is running right now.", task=task_id)
    except store.TaskError as exc:
        return _answer(404 if isinstance(exc, store.TaskMissing) else 422, "error", str(exc), task=task_id)


def _run_claimed(claimed: Claimed) -> Answer:
    """Call the processor the task file names; an unknown one keeps the task for later."""
    name = claimed.task["processor"]
    try:
        processor = registry.get(name)
    except registry.UnknownProcessor:
        log.warning("Failed to find %s, task %s kept", name, claimed.task_id)
        return _answer(404, "kept", f"Failed to find {name}; the task is kept.", task=claimed.task_id)
    return Answer(*processor(claimed))
