"""The retry schedule (SPEC section 7, step 4): delays with jitter, ``Retry-After`` within bounds."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from ..config import DEFAULT_RETRY_SCHEDULE
from ..extensions import db
from ..logs import get_logger
from ..models import Webhook, WebhookDelivery
from ..timeutil import iso_utc, utcnow
from . import health

JITTER = 0.2
MAX_RETRY_AFTER = 24 * 3600.0

log = get_logger("DeferredTasks")


def schedule() -> tuple[float, ...]:
    """The configured delays before each attempt (``JOMRES_RETRY_SCHEDULE``); the first is usually 0."""
    configured = current_app.config.get("JOMRES_RETRY_SCHEDULE") or DEFAULT_RETRY_SCHEDULE
    return tuple(max(0.0, float(delay)) for delay in configured) or (0.0,)


def max_attempts() -> int:
    """How many attempts a delivery gets before it is exhausted."""
    return len(schedule())


def next_delay(attempts_made: int, retry_after: float | None = None) -> float | None:
    """Seconds to wait before the next attempt after ``attempts_made`` attempts, or ``None`` when exhausted.

    The scheduled delay gets +/-20 % jitter; a receiver's ``Retry-After`` can lengthen it, up to a day.
    """
    delays = schedule()
    if attempts_made >= len(delays):
        return None
    delay = delays[attempts_made] * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
    return delay


def record_outcome(
    task: dict,
    delivery: WebhookDelivery,
    webhook: Webhook,
    result: Any,
    started: datetime,
    dev: bool,
    rerun: bool = False,
) -> dict[str, Any]:
    """Record an attempt and decide: done, retry later, or failed (to ``failed/``); commit; return a summary.

    A 2xx is success. Anything else is a failed attempt: with ``wait_for_confirmation`` it is retried on the
    schedule (``Retry-After`` honoured within bounds) until exhausted; ``410 Gone`` disables the webhook.
    """
    from ..background import store
    from ..background.runner import add_attempt

    now = utcnow()
    add_attempt(delivery, result, started, redelivery=bool(task.get("redelivery")) or rerun)
    delay = None
    if result.ok:
        delivery.status = "succeeded"
        delivery.completed_at = now
        delivery.next_attempt_at = None
        health.record_success(webhook.id, result.status_code, now)
    else:
        reason = health.record_failure(webhook.id, result.status_code, gone=bool(result.gone), now=now)
        made = delivery.attempts - int(task.get("attempts_base") or 0)
        if webhook.wait_for_confirmation and not reason:
            delay = next_delay(made, result.retry_after)
        if delay is None:
            delivery.status = "failed"
            delivery.completed_at = now
            delivery.next_attempt_at = None
        else:
            delivery.status = "pending"
            delivery.next_attempt_at = now + timedelta(seconds=delay)
    state = delivery.status
    summary = {
        "status": state,
        "delivery": delivery.id,
        "message_id": delivery.message_id,
        "attempt": delivery.attempts,
        "status_code": result.status_code,
        "duration_ms": int(result.duration_ms or 0),
        "error": result.error or "",
        "next_attempt_at": iso_utc(delivery.next_attempt_at),
    }
    db.session.commit()
    if state == "succeeded":
        if dev:
            store.write_task({**task, "done": True, "completed_at": iso_utc(now)})
            store.remove_failed(task["task_id"])
        else:
            store.delete_task(task["task_id"])
    elif state == "failed":
        store.move_to_failed({**task, "done": True, "completed_at": iso_utc(now)})
    else:
        store.write_task(
            {**task, "attempts": delivery.attempts, "done": False}
        )  # fresh mtime: the last attempt
        store.remove_failed(task["task_id"])
    log.info(
        "Task %s: %s after attempt %s (status %s)",
        task["task_id"],
        state,
        delivery.attempts,
        result.status_code,
    )
    return summary
