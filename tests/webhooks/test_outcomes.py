"""Group commit of successful attempts: outcomes queued during a write share the next transaction."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from jomres_like.extensions import db
from jomres_like.models import DeliveryAttempt, Webhook, WebhookDelivery
from jomres_like.services.events import raise_event
from jomres_like.timeutil import utcnow
from jomres_like.webhooks import outcomes
from jomres_like.webhooks.record import record_outcome
from jomres_like.webhooks.transport import AttemptResult


@pytest.fixture
def app_config(app_config, pipeline_settings):
    app_config.update(pipeline_settings)
    return app_config


@pytest.fixture
def deliveries(app, make_user, make_property, make_webhook) -> list[int]:
    """Four pending deliveries (one event, four webhooks), by id."""
    manager = make_user("mgr")
    prop = make_property("One", managers=[manager])
    for _ in range(4):
        make_webhook(manager)
    with app.app_context():
        raise_event("guest_saved", property_uid=prop.id, guest_uid=5)
        db.session.commit()
        return list(db.session.scalars(select(WebhookDelivery.id).order_by(WebhookDelivery.id)))


def _outcome(delivery_id: int) -> outcomes.Outcome:
    now = utcnow()
    attempt = {f"new_{name}": None for name in outcomes.ATTEMPT_COLUMNS}
    attempt.update(new_delivery_id=delivery_id, new_number=1, new_started_at=now, new_duration_ms=3,
                   new_status_code=200, new_response_excerpt="ok", new_error="", new_redelivery=False)
    delivery = {"delivery": delivery_id, "new_attempts": 1, "new_last_status_code": 200, "new_last_error": "",
                "new_status": "succeeded", "new_next_attempt_at": None, "new_completed_at": now,
                "new_updated_at": now}
    return outcomes.Outcome(attempt, delivery)


class HeldWrites:
    """Wraps ``outcomes._write``: the first write waits until released; ``fail_call`` (1-based) fails.

    The failing write runs its INSERT first, so a rollback has something to undo.
    """

    def __init__(self, monkeypatch, fail_call: int | None = None):
        self.real = outcomes._write
        self.batches: list[int] = []
        self.writing = threading.Event()
        self.release = threading.Event()
        self.fail_call = fail_call
        monkeypatch.setattr(outcomes, "_write", self)

    def __call__(self, batch):
        self.batches.append(len(batch))
        if len(self.batches) == 1:
            self.writing.set()
            assert self.release.wait(20)
        if len(self.batches) == self.fail_call:
            with db.engine.begin() as connection:  # as _write's transaction: rolled back when it raises
                connection.execute(outcomes.INSERT_ATTEMPT, [o.attempt for o in batch])
                raise RuntimeError("disk full")
        self.real(batch)


def _record_in_thread(app, outcome, errors: list) -> threading.Thread:
    def run():
        with app.app_context():
            try:
                outcomes.record(outcome)
            except outcomes.OutcomeNotRecorded as exc:
                errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _queued(app, count: int) -> None:
    """Wait (bounded) until ``count`` outcomes wait behind the leader."""
    with app.app_context():
        group = outcomes._group()
    deadline = time.monotonic() + 20
    while len(group.queue) < count:
        assert time.monotonic() < deadline, "the outcomes never queued"
        time.sleep(0.01)


def _states(app) -> dict[int, tuple[str, int, int]]:
    """delivery id -> (status, attempts, attempt rows)."""
    with app.app_context():
        rows = db.session.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.status,
                WebhookDelivery.attempts,
                select(func.count(DeliveryAttempt.id))
                .where(DeliveryAttempt.delivery_id == WebhookDelivery.id)
                .scalar_subquery(),
            )
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _transactions(app) -> int:
    with app.app_context():
        return outcomes.transactions()


@pytest.mark.mechanism
def test_outcomes_queued_during_a_write_share_the_next_transaction(app, deliveries, monkeypatch):
    """Mechanism (group commit: successes queued meanwhile share one transaction)."""
    held = HeldWrites(monkeypatch)
    before = _transactions(app)
    errors: list = []
    first = _record_in_thread(app, _outcome(deliveries[0]), errors)
    assert held.writing.wait(20)
    others = [_record_in_thread(app, _outcome(delivery_id), errors) for delivery_id in deliveries[1:]]
    _queued(app, 3)
    held.release.set()
    for thread in [first, *others]:
        thread.join(20)
        assert not thread.is_alive()
    assert errors == []
    assert held.batches == [1, 3]
    assert _transactions(app) == before + 2
    assert _states(app) == {delivery_id: ("succeeded", 1, 1) for delivery_id in deliveries}


def test_a_failed_group_transaction_reaches_every_waiter_and_writes_nothing(app, deliveries, monkeypatch):
    held = HeldWrites(monkeypatch, fail_call=2)
    errors: list = []
    first = _record_in_thread(app, _outcome(deliveries[0]), errors)
    assert held.writing.wait(20)
    others = [_record_in_thread(app, _outcome(delivery_id), errors) for delivery_id in deliveries[1:3]]
    _queued(app, 2)
    held.release.set()
    for thread in [first, *others]:
        thread.join(20)
        assert not thread.is_alive()
    assert len(errors) == 2 and all("disk full" in str(error) for error in errors)
    states = _states(app)
    assert states[deliveries[0]] == ("succeeded", 1, 1)
    assert [states[delivery_id] for delivery_id in deliveries[1:]] == [("pending", 0, 0)] * 3
    # nobody is left leading a queue that never moves: the next outcome is written at once
    with app.app_context():
        outcomes.record(_outcome(deliveries[3]))
    assert _states(app)[deliveries[3]] == ("succeeded", 1, 1)


def _record(app, delivery_id: int, change=None) -> dict:
    with app.app_context():
        delivery = db.session.get(WebhookDelivery, delivery_id)
        webhook = db.session.get(Webhook, delivery.webhook_id)
        if change:
            change(webhook)
        task = {"task_id": delivery.task_id, "message_id": delivery.message_id}
        result = AttemptResult(ok=True, status_code=204, duration_ms=4)
        return record_outcome(task, delivery, webhook, result, utcnow(), dev=False)


def test_a_success_is_written_by_the_group_and_marks_the_webhook_healthy(app, deliveries):
    before = _transactions(app)
    summary = _record(app, deliveries[0])
    assert summary["status"] == "succeeded" and summary["attempt"] == 1
    assert _transactions(app) == before + 1
    assert _states(app)[deliveries[0]] == ("succeeded", 1, 1)
    with app.app_context():
        webhook = db.session.get(Webhook, db.session.get(WebhookDelivery, deliveries[0]).webhook_id)
        assert webhook.last_status == 204 and webhook.last_delivery_at is not None


def test_a_success_commits_its_threads_own_change_then_joins_the_group(app, deliveries, monkeypatch):
    """An auth method's change (a cached token) is committed first: nobody waits holding a transaction."""
    expires = utcnow().replace(microsecond=0)
    before = _transactions(app)
    open_transaction = []
    real_record = outcomes.record

    def record(outcome):
        open_transaction.append(db.session().in_transaction())
        real_record(outcome)

    monkeypatch.setattr(outcomes, "record", record)

    def cache_token(webhook):
        webhook.token_cache_encrypted = "sealed"
        webhook.token_expires_at = expires

    _record(app, deliveries[1], cache_token)
    assert open_transaction == [False]
    assert _transactions(app) == before + 1
    assert _states(app)[deliveries[1]] == ("succeeded", 1, 1)
    with app.app_context():
        webhook = db.session.get(Webhook, db.session.get(WebhookDelivery, deliveries[1]).webhook_id)
        assert webhook.token_cache_encrypted == "sealed" and webhook.token_expires_at == expires
        assert webhook.last_status == 204
