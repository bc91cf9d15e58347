"""Recording one attempt (its stage in :mod:`.attempt`): the rows, then the task rescheduled or finished."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..deferred import store
from ..extensions import db
from ..logs import get_logger
from ..timeutil import iso_utc, utcnow
from . import health, outcomes
from .rows import DeliveryRow, WebhookRow
from .schedule import next_delay
from .transport import AttemptResult

log = get_logger("DeferredTasks")


def record_outcome(
    task: dict,
    delivery: DeliveryRow,
    webhook: WebhookRow,
    result: AttemptResult,
    started: datetime,
    dev: bool,
    rerun: bool = False,
) -> dict[str, Any]:
    """Record an attempt and decide: done, retry later, or failed (to ``failed/``); commit; return a summary.

    A 2xx is success. Anything else is a failed attempt: with ``wait_for_confirmation`` it is retried on the
    schedule (``Retry-After`` honoured within bounds) until exhausted; ``410 Gone`` disables the webhook.
    The attempt, the delivery and the webhook's health are written with plain statements (this runs for every
    delivery) in one short transaction; a success's in one shared with other threads' successes
    (:mod:`.outcomes`), once this thread's own changes are committed. ``delivery`` and ``webhook`` are not
    read after the commit. Raises :class:`.outcomes.OutcomeNotRecorded` when a success could not be written:
    the task file is then kept, and the sweeper sends it again.
    """
    now = utcnow()
    delivery_id, message_id = delivery.id, delivery.message_id  # the commits below expire the objects
    number = (delivery.attempts or 0) + 1
    error = (result.error or "")[:255]
    attempt = {
        "new_delivery_id": delivery_id,
        "new_number": number,
        "new_started_at": started,
        "new_duration_ms": int(result.duration_ms or 0),
        "new_status_code": result.status_code,
        "new_response_excerpt": (result.response_excerpt or "")[:500],
        "new_error": error,
        "new_redelivery": bool(task.get("redelivery")) or rerun,
    }
    session = db.session
    next_attempt_at = None
    if result.ok:
        state = "succeeded"
        outcome = outcomes.Outcome(
            attempt,
            _delivery_row(delivery_id, number, result, error, state, None, now),
            health.success_row(webhook, result.status_code, now),
        )
        # this thread's own changes first (an auth method's cached token): no transaction of its own is left
        # open, and no lock held, while it waits for the group. Mostly there are none (the delivery and the
        # webhook were read outside the session, :mod:`.rows`): nothing to end then.
        if session().in_transaction():
            session.commit()
        outcomes.record(outcome)  # with the successes of other threads, in one transaction
    else:
        connection = session.connection()
        connection.execute(outcomes.INSERT_ATTEMPT, attempt)
        reason = health.record_failure(webhook.id, result.status_code, gone=bool(result.gone), now=now)
        made = number - int(task.get("attempts_base") or 0)
        retried = webhook.wait_for_confirmation and not reason
        delay = next_delay(made, result.retry_after) if retried else None
        if delay is None:
            state = "failed"
        else:
            state = "pending"
            next_attempt_at = now + timedelta(seconds=delay)
        connection.execute(
            outcomes.UPDATE_DELIVERY,
            _delivery_row(delivery_id, number, result, error, state, next_attempt_at, now),
        )
        session.commit()
    summary = {
        "status": state,
        "delivery": delivery_id,
        "message_id": message_id,
        "attempt": number,
        "status_code": result.status_code,
        "duration_ms": int(result.duration_ms or 0),
        "error": result.error or "",
        "next_attempt_at": iso_utc(next_attempt_at),
    }
    if state == "succeeded":
        if dev:
            store.write_task({**task, "done": True, "completed_at": iso_utc(now)})
            store.remove_failed(task["task_id"])
        else:
            store.delete_task(task["task_id"])
    elif state == "failed":
        store.move_to_failed({**task, "done": True, "completed_at": iso_utc(now)})
    else:
        store.write_task({**task, "attempts": number, "done": False})  # fresh mtime: the last attempt
        store.remove_failed(task["task_id"])
    log.info("Task %s: %s after attempt %s (status %s)", task["task_id"], state, number, result.status_code)
    return summary


def _delivery_row(
    delivery_id: int,
    number: int,
    result: AttemptResult,
    error: str,
    state: str,
    next_attempt_at: datetime | None,
    now: datetime,
) -> dict:
    """The parameters of :data:`.outcomes.UPDATE_DELIVERY` after attempt ``number``."""
    return {
        "delivery": delivery_id,
        "new_attempts": number,
        "new_last_status_code": result.status_code,
        "new_last_error": error,
        "new_status": state,
        "new_next_attempt_at": next_attempt_at,
        "new_completed_at": None if state == "pending" else now,
        "new_updated_at": now,
    }
