"""Running one deferred task: claim, load, find the 07320 processor, send, record the attempt, decide.

Used by ``/background_process`` (the self-call), by immediate-mode dispatch (inline, inside the request), by
``flask deferred-tasks run`` and by the sweeper when it runs tasks itself. Deliveries in flight are bounded
per webhook and per process (slow webhooks share a few slots of their own, see :func:`delivery_slot`): a
task that finds no free slot in time is left, due, for the sweeper.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import current_app

from ..extensions import db
from ..logs import get_logger
from ..models import DeliveryAttempt, Webhook, WebhookDelivery
from ..services.site import development_mode
from ..timeutil import iso_utc, utcnow
from . import marks, store

log = get_logger("DeferredTasks")

#: deliveries in flight per process for all the webhooks marked slow together (healthy ones are not counted)
DEFAULT_INFLIGHT_TOTAL = 3
DEFAULT_INFLIGHT_PER_WEBHOOK = 2
#: seconds a healthy webhook's task waits for one of its own slots before it is left to the sweeper
DEFAULT_SLOT_WAIT = 1.0
EARLY_TOLERANCE = timedelta(seconds=0.5)

_slots_lock = threading.Condition()
_in_flight: dict[int, int] = {}
_slow_in_flight: dict[int, int] = {}
_started: dict[int, list[float]] = {}


def stale_after() -> float:
    """Seconds after which a claim is considered abandoned even if its process still lives."""
    return float(current_app.config.get("JOMRES_WEBHOOK_TIMEOUT") or 15) * 2 + 30


def _stuck(webhook_id: int) -> bool:
    """Whether one of the webhook's deliveries in this process has been running longer than SLOW_AFTER."""
    starts = _started.get(webhook_id)
    return bool(starts) and time.monotonic() - min(starts) > marks.SLOW_AFTER


@contextmanager
def delivery_slot(webhook_id: int) -> Iterator[bool]:
    """Take a slot for one delivery of ``webhook_id``; yields whether one was free.

    A healthy webhook has its own slots (``JOMRES_INFLIGHT_PER_WEBHOOK``) and waits up to
    ``JOMRES_INFLIGHT_WAIT`` seconds for one, unless one of its deliveries is stuck (then it is marked slow).
    A webhook marked slow gets one slot, without waiting, out of ``JOMRES_INFLIGHT_TOTAL`` shared by all slow
    webhooks: a slow or dead receiver never takes the slots of healthy ones, nor every worker thread.
    """
    slow = marks.is_marked("slow", webhook_id)
    slow_total = int(current_app.config.get("JOMRES_INFLIGHT_TOTAL") or DEFAULT_INFLIGHT_TOTAL)
    per_webhook = int(current_app.config.get("JOMRES_INFLIGHT_PER_WEBHOOK") or DEFAULT_INFLIGHT_PER_WEBHOOK)
    wait = 0.0 if slow else float(current_app.config.get("JOMRES_INFLIGHT_WAIT", DEFAULT_SLOT_WAIT))

    def free() -> bool:
        if slow:
            return sum(_slow_in_flight.values()) < slow_total and _in_flight.get(webhook_id, 0) < 1
        return _in_flight.get(webhook_id, 0) < per_webhook

    deadline = time.monotonic() + max(0.0, wait)
    stuck = False
    started = time.monotonic()
    with _slots_lock:
        for _ in range(1000):  # bounded: at most ``wait`` seconds in slices
            granted = free()
            remaining = deadline - time.monotonic()
            if granted or remaining <= 0:
                break
            if _stuck(webhook_id):
                stuck = True
                break
            _slots_lock.wait(min(remaining, 0.05))
        if granted:
            _in_flight[webhook_id] = _in_flight.get(webhook_id, 0) + 1
            _started.setdefault(webhook_id, []).append(started)
            if slow:
                _slow_in_flight[webhook_id] = _slow_in_flight.get(webhook_id, 0) + 1
    if stuck:
        marks.mark_slow(webhook_id)
    try:
        yield granted
    finally:
        if granted:
            with _slots_lock:
                _started[webhook_id].remove(started)
                if not _started[webhook_id]:
                    del _started[webhook_id]
                for counts in (_in_flight, _slow_in_flight) if slow else (_in_flight,):
                    counts[webhook_id] -= 1
                    if not counts[webhook_id]:
                        del counts[webhook_id]
                _slots_lock.notify_all()


def _answer(status: int, state: str, message: str, **extra: Any) -> tuple[int, dict]:
    return status, {"status": state, "message": message, **extra}


def _processed_answer(task_id: str) -> tuple[int, dict]:
    return _answer(410, "gone", "This task was already processed; its URL does nothing now.", task=task_id)


def run_task(task_id: str, *, inline: bool = False) -> tuple[int, dict]:
    """Run the task ``task_id`` once; return ``(http_status, summary)``. Never raises for bad tasks."""
    if not store.valid_task_id(task_id):
        return _answer(400, "error", "Malformed task id.")
    dev = development_mode()
    if store.find_task(task_id) is None:
        delivery = db.session.scalar(db.select(WebhookDelivery).where(WebhookDelivery.task_id == task_id))
        if delivery is not None and delivery.status in ("succeeded", "failed"):
            return _processed_answer(task_id)
        return _answer(404, "error", "No such task.", task=task_id)
    try:
        task, _failed = store.read_task(task_id)
    except store.TaskError as exc:
        log.warning("Task %s cannot be run: %s", task_id, exc)
        return _answer(422, "error", str(exc), task=task_id)
    if inline:
        return _claim_and_run(task_id, dev)
    with delivery_slot(task["webhook_id"]) as granted:
        if not granted:
            log.info("Task %s left for the sweeper: too many deliveries in flight", task_id)
            return _answer(
                503, "busy", "Too many deliveries in flight; the sweeper will run it.", task=task_id
            )
        return _claim_and_run(task_id, dev)


def _claim_and_run(task_id: str, dev: bool) -> tuple[int, dict]:
    try:
        with store.claim(task_id, stale_after()):
            return _run_claimed(task_id, dev)
    except store.TaskBusy:
        return _answer(409, "busy", "This task is running right now.", task=task_id)


def _run_claimed(task_id: str, dev: bool) -> tuple[int, dict]:
    try:
        task, failed = store.read_task(task_id)  # again, under the claim
    except store.TaskError as exc:
        return _answer(404 if "No such" in str(exc) else 422, "error", str(exc), task=task_id)
    delivery = db.session.get(WebhookDelivery, task["delivery_id"])
    if delivery is None or delivery.task_id != task_id or delivery.message_id != task["message_id"]:
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
    webhook = db.session.get(Webhook, task["webhook_id"])
    if webhook is None or webhook.id != delivery.webhook_id:
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
    from ..webhooks.retry import record_outcome

    log.info("Starting call to minicomponent %s", task["processor"])
    started = utcnow()
    try:
        result = processor(delivery, webhook)
    except Exception as exc:  # noqa: BLE001 - a processor bug is a failed attempt, not a 500
        log.exception("Processor %s failed on task %s", task["processor"], task_id)
        from ..webhooks.http import AttemptResult

        result = AttemptResult(ok=False, error=f"Processor error: {type(exc).__name__}")
    marks.note_result(webhook.id, result)
    summary = record_outcome(task, delivery, webhook, result, started, dev, rerun=processed)
    return 200, {"task": task_id, **summary}


def _give_up(task: dict, delivery: WebhookDelivery, reason: str, dev: bool) -> None:
    delivery.status = "failed"
    delivery.last_error = reason[:255]
    delivery.completed_at = utcnow()
    delivery.next_attempt_at = None
    db.session.commit()
    store.move_to_failed(task)


def add_attempt(delivery: WebhookDelivery, result: Any, started, redelivery: bool) -> DeliveryAttempt:
    """Record one attempt of ``delivery`` from a processor's result."""
    attempt = DeliveryAttempt(
        delivery_id=delivery.id,
        number=(delivery.attempts or 0) + 1,
        started_at=started,
        duration_ms=int(result.duration_ms or 0),
        status_code=result.status_code,
        response_excerpt=(result.response_excerpt or "")[:500],
        error=(result.error or "")[:255],
        redelivery=redelivery,
    )
    db.session.add(attempt)
    delivery.attempts = attempt.number
    delivery.last_status_code = result.status_code
    delivery.last_error = attempt.error
    return attempt
