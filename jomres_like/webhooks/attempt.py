"""One attempt of one stored delivery, stage by stage: load, check, prepare, send, classify, record.

The auth methods' processors (``07320watcher_authmethod_process_<method>`` and its immediate form
``07310...``, registered in :func:`init_app`) are :func:`process` for their method. It reads top to bottom:

1. **load** the delivery and its webhook (plain rows, :mod:`.rows`);
2. **check** that the task is still the delivery's, not processed, due, its webhook there and enabled;
3. **prepare** the exact body and its signed headers (:func:`request_parts`);
4. **send** it with the auth method, through the one guarded transport (:func:`send`, never raises);
5. **classify** the result for the webhook's slow/down marks (:func:`note_marks`);
6. **record** the attempt and reschedule or finish the task (:func:`.schedule.record_outcome`).

The body is built once, when the delivery is created (:func:`.payloads.build_payload`), and kept in
``delivery.payload``; each attempt serialises it compactly, signs those exact bytes with a fresh timestamp
and the same ``webhook-id``, and sends them.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from flask import Flask
from sqlalchemy import update

from ..crypto import DecryptionError, decrypt_json
from ..deferred import marks, registry, store
from ..deferred.registry import Answer, Claimed
from ..deferred.runner import processed_answer
from ..extensions import db
from ..logs import get_logger
from ..models import Webhook, WebhookDelivery, WebhookEvent
from ..timeutil import iso_utc, utcnow
from . import authmethods
from .authmethods import AuthMethod, UnknownAuthMethod, get_method
from .payloads import build_payload, encode
from .record import record_outcome
from .rows import DeliveryRow, WebhookRow, delivery_and_webhook
from .signing import sign_headers
from .transport import USER_AGENT, AttemptResult, FailureKind

__all__ = ["AttemptResult", "deliver", "init_app", "process", "request_parts", "send"]

log = get_logger("Webhooks")
task_log = get_logger("DeferredTasks")

#: an attempt asked for this much before its due time still runs (the sweeper's clock and ours differ)
EARLY_TOLERANCE = timedelta(seconds=0.5)


def init_app(app: Flask) -> None:
    """Register every auth method's 07320 (deferred) and 07310 (immediate) processor with the app."""
    for method in authmethods.methods().values():
        for name, processor in processors(method).items():
            registry.register(name, processor, app)


def processors(method: type[AuthMethod]) -> dict[str, registry.Processor]:
    """The processors of ``method`` by their Jomres names: its deferred and its immediate form."""
    return {
        authmethods.processor_name(method.name, immediate=immediate): partial(process, method=method)
        for immediate in (False, True)
    }


def process(claimed: Claimed, method: type[AuthMethod]) -> Answer:
    """Run one attempt of the task's delivery with ``method``; answer what happened (never raises for it)."""
    delivery, webhook = delivery_and_webhook(claimed.task_id)  # load: the session holds no transaction
    answer = check(claimed, delivery, webhook)
    if answer is not None:
        return answer
    task_log.info("Starting call to minicomponent %s", claimed.task["processor"])
    started = utcnow()
    result = send(_current_method(method, webhook), delivery, webhook)
    note_marks(webhook.id, result)
    processed = bool(claimed.task.get("done")) or claimed.failed or delivery.status in ("succeeded", "failed")
    summary = record_outcome(claimed.task, delivery, webhook, result, started, claimed.dev, rerun=processed)
    return Answer(200, {"task": claimed.task_id, **summary})


def check(claimed: Claimed, delivery: DeliveryRow | None, webhook: WebhookRow | None) -> Answer | None:
    """``None`` when the attempt may go ahead; otherwise the answer that ends it (tidying the task)."""
    task, task_id, dev = claimed.task, claimed.task_id, claimed.dev
    if delivery is None or delivery.message_id != task["message_id"]:
        if not claimed.failed:
            store.delete_task(task_id)
        return _answer(410, "gone", "This task was superseded or its delivery no longer exists.", task_id)
    processed = bool(task.get("done")) or claimed.failed or delivery.status in ("succeeded", "failed")
    if processed and not dev:
        return processed_answer(task_id)
    if (
        not processed
        and not dev
        and delivery.next_attempt_at
        and delivery.next_attempt_at > utcnow() + EARLY_TOLERANCE
    ):
        return Answer(202, {
            "status": "scheduled", "message": "The next attempt is not due yet.", "task": task_id,
            "next_attempt_at": iso_utc(delivery.next_attempt_at),
        })
    if webhook is None or webhook.id != task["webhook_id"]:
        return _answer(410, "gone", "The webhook no longer exists.", task_id)
    if not webhook.enabled:
        give_up(task, delivery, "The webhook is disabled.")
        return _answer(200, "failed", "The webhook is disabled; the delivery is recorded as failed.", task_id)
    return None


def _answer(status: int, state: str, message: str, task_id: str) -> Answer:
    return Answer(status, {"status": state, "message": message, "task": task_id})


def give_up(task, delivery: DeliveryRow, reason: str) -> None:
    """Record the delivery as failed for ``reason`` and move its task to ``failed/``."""
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


def _current_method(method: type[AuthMethod], webhook: WebhookRow) -> type[AuthMethod] | None:
    """``method``, unless the webhook has changed its auth method since the task was written: then that one
    (``None`` when no method has its name)."""
    if webhook.auth_method == method.name:
        return method
    try:
        return get_method(webhook.auth_method)
    except UnknownAuthMethod:
        return None


def request_parts(delivery: WebhookDelivery, webhook: Webhook) -> tuple[bytes, dict]:
    """The exact body and the headers (signed now) of one attempt of ``delivery``."""
    payload = delivery.payload
    if not payload:
        event = db.session.get(WebhookEvent, delivery.event_id) if delivery.event_id else None
        if event is None:
            raise LookupError("the delivery has no payload and its event is gone")
        payload = build_payload(event, webhook, delivery.message_id)
    body = encode(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Jomres-Event": payload.get("event") or delivery.event,  # the name the webhook gets (legacy)
    }
    headers.update(sign_headers(webhook, delivery.message_id, body, utcnow()))
    return body, headers


def send(method: type[AuthMethod] | None, delivery: WebhookDelivery, webhook: Webhook) -> AttemptResult:
    """Prepare and send ``delivery`` with ``method`` now; return what happened (never raises)."""
    if method is None:
        log.warning("Failed to find auth method %r of webhook %s", webhook.auth_method, webhook.id)
        return AttemptResult.failure(f"Unknown auth method {webhook.auth_method!r}")
    try:
        settings = decrypt_json(webhook.auth_settings_encrypted, {}, remember=True) or {}
        body, headers = request_parts(delivery, webhook)
    except DecryptionError:
        log.error("Webhook %s: stored secrets cannot be decrypted (was SECRET_KEY changed?)", webhook.id)
        return AttemptResult.failure("Stored secrets cannot be decrypted; save the webhook's settings again")
    except (LookupError, ValueError, TypeError) as exc:
        log.error("Webhook %s: cannot prepare delivery %s: %s", webhook.id, delivery.id, exc)
        return AttemptResult.failure(f"Cannot prepare the request: {exc}")
    try:
        return method.send(webhook, body, headers, settings)
    except Exception as exc:  # noqa: BLE001 - one broken method must not break the pipeline
        log.exception("Auth method %s failed for webhook %s", method.name, webhook.id)
        return AttemptResult.failure(f"Internal error in auth method {method.name} ({type(exc).__name__})")


def deliver(delivery: WebhookDelivery, webhook: Webhook) -> AttemptResult:
    """Sign and send ``delivery`` to ``webhook`` with the webhook's auth method now (never raises)."""
    try:
        method = get_method(webhook.auth_method)
    except UnknownAuthMethod:
        method = None
    return send(method, delivery, webhook)


def note_marks(webhook_id: int, result: AttemptResult) -> None:
    """Update the webhook's marks from one attempt's result (timeout: down; slow: slow; quick 2xx: clear)."""
    duration = float(result.duration_ms or 0) / 1000.0
    if result.kind is FailureKind.TIMEOUT:
        marks.set_marks(webhook_id, slow=True, down=True)
    elif duration > marks.SLOW_AFTER:
        marks.set_marks(webhook_id, slow=True, down=False)
    elif result.ok:
        marks.set_marks(webhook_id, slow=False, down=False)
