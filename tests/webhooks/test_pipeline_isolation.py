"""Isolation of healthy webhooks from slow or dead ones: own slots, slow/down marks, held tasks, probes."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy import select

from jomres_like.deferred import marks
from jomres_like.deferred.runner import delivery_slot
from jomres_like.extensions import db
from jomres_like.models import WebhookDelivery
from jomres_like.services.events import raise_event
from jomres_like.webhooks.attempt import AttemptResult, note_marks
from jomres_like.webhooks.sweep import PROBES, SLOW_PROBES, due_tasks
from jomres_like.webhooks.transport import FailureKind

HTTP_STATUS = FailureKind.HTTP_STATUS
TIMED_OUT = AttemptResult(ok=False, duration_ms=3000, error="Connection timed out", kind=FailureKind.TIMEOUT)


@pytest.fixture
def app_config(app_config, pipeline_settings):
    """Production rules, loopback receivers allowed, retries without delay."""
    app_config.update(pipeline_settings)
    return app_config


@pytest.fixture
def setup(make_user, make_property):
    """A manager with a property."""
    manager = make_user("mgr")
    prop = make_property("One", managers=[manager])
    return manager, prop


def _url(app, task_id: str) -> str:
    with app.app_context():
        from jomres_like.deferred.selfcall import signature

        return f"/background_process?payload_source={task_id}&sig={signature(task_id)}"


def _raise(app, prop, count: int = 1) -> None:
    with app.app_context():
        for number in range(count):
            raise_event("guest_saved", property_uid=prop.id, guest_uid=100 + number)
        db.session.commit()


def _task_ids(app, webhook_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(WebhookDelivery.task_id)
                .where(WebhookDelivery.webhook_id == webhook_id)
                .order_by(WebhookDelivery.id)
            )
        )


def test_slow_webhooks_never_take_the_slots_of_healthy_ones(app, setup, make_webhook, tasks_dir):
    slow = [make_webhook(setup[0]) for _ in range(4)]
    healthy = make_webhook(setup[0])
    app.config.update(JOMRES_INFLIGHT_TOTAL=3, JOMRES_INFLIGHT_PER_WEBHOOK=2)
    with app.app_context():
        for hook in slow:
            note_marks(hook.id, AttemptResult(ok=True, duration_ms=5000, error=""))
        with delivery_slot(slow[0].id) as a, delivery_slot(slow[0].id) as a_again:
            assert a is True and a_again is False  # one slot per slow webhook
            with delivery_slot(slow[1].id) as b, delivery_slot(slow[2].id) as c:
                assert b is True and c is True
                with delivery_slot(slow[3].id) as d:
                    assert d is False  # the slow webhooks' shared slots are all taken
                with delivery_slot(healthy.id) as h1, delivery_slot(healthy.id) as h2:
                    assert h1 is True and h2 is True  # the healthy webhook still has its own
                with delivery_slot(healthy.id) as h3, delivery_slot(healthy.id) as h4, \
                        delivery_slot(healthy.id) as h5:
                    assert (h3, h4, h5) == (True, True, False)


def test_tasks_queued_behind_a_busy_webhook_are_run_by_the_slot_holder(
    app, setup, make_webhook, httpserver, tasks_dir
):
    """No thread waits for a slot: the second task is queued and the first task's thread runs it next."""
    entered = threading.Event()
    release = threading.Event()

    def first_answer(_request):
        entered.set()
        release.wait(timeout=5)
        from werkzeug import Response

        return Response("ok")

    httpserver.expect_ordered_request("/hook").respond_with_handler(first_answer)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok")
    hook = make_webhook(setup[0], url=httpserver.url_for("/hook"))
    app.config.update(JOMRES_INFLIGHT_PER_WEBHOOK=1)
    _raise(app, setup[1], count=2)
    first, second = _task_ids(app, hook.id)
    answers = {}

    def run_first():
        answers["first"] = app.test_client().get(_url(app, first))

    thread = threading.Thread(target=run_first, daemon=True)
    thread.start()
    assert entered.wait(timeout=5)
    started = time.monotonic()
    queued = app.test_client().get(_url(app, second))
    assert time.monotonic() - started < 1  # answered at once, no thread held
    assert queued.status_code == 202 and queued.json["status"] == "queued"
    release.set()
    thread.join(timeout=10)
    assert answers["first"].json["queued_tasks_run"] == 1
    with app.app_context():
        statuses = db.session.scalars(
            select(WebhookDelivery.status).where(WebhookDelivery.webhook_id == hook.id)
        ).all()
    assert statuses == ["succeeded", "succeeded"]
    assert len(httpserver.log) == 2


def test_a_timeout_marks_the_webhook_down_and_its_new_tasks_are_held(
    app, client, setup, make_webhook, httpserver, self_calls, tasks_dir, wait
):
    app.config.update(JOMRES_WEBHOOK_TIMEOUT=0.3, JOMRES_WEBHOOK_CONNECT_TIMEOUT=0.3)

    def slow_answer(_request):
        time.sleep(1.0)
        from werkzeug import Response

        return Response("late")

    httpserver.expect_request("/dead").respond_with_handler(slow_answer)
    httpserver.expect_request("/ok").respond_with_data("ok")
    dead = make_webhook(setup[0], url=httpserver.url_for("/dead"))
    healthy = make_webhook(setup[0], url=httpserver.url_for("/ok"))
    _raise(app, setup[1])
    [first] = _task_ids(app, dead.id)
    answer = client.get(_url(app, first))
    assert answer.json["status"] == "pending" and "Timed out" in answer.json["error"]
    with app.app_context():
        assert marks.is_marked("down", dead.id) and marks.is_marked("slow", dead.id)
        assert not marks.is_marked("down", healthy.id)
    assert wait(lambda: len(self_calls.requests) >= 2, timeout=5)
    calls_before = len(self_calls.requests)
    _raise(app, setup[1])
    second_dead = _task_ids(app, dead.id)[-1]
    second_healthy = _task_ids(app, healthy.id)[-1]
    assert wait(lambda: any(second_healthy.encode() in r for r in self_calls.requests), timeout=5)
    time.sleep(0.3)
    new_calls = self_calls.requests[calls_before:]
    assert not any(second_dead.encode() in request for request in new_calls)  # held for the sweeper
    # the late answer ends here, not in the log of the next test using the shared receiver
    assert wait(lambda: any(request.path == "/dead" for request, _ in httpserver.log), timeout=5)


def test_new_tasks_of_a_slow_webhook_are_held_for_the_sweeper(
    app, setup, make_webhook, self_calls, tasks_dir, wait
):
    """A slow webhook's slots are mostly taken: its new tasks get no self-call, the sweeper fires a few."""
    slow = make_webhook(setup[0])
    healthy = make_webhook(setup[0])
    with app.app_context():
        note_marks(slow.id, AttemptResult(ok=True, duration_ms=5000, error=""))
    _raise(app, setup[1], count=SLOW_PROBES + 2)
    fired = set(_task_ids(app, healthy.id))
    assert wait(lambda: all(any(t.encode() in r for r in self_calls.requests) for t in fired), timeout=5)
    held = _task_ids(app, slow.id)
    assert len(held) == SLOW_PROBES + 2
    assert not any(task_id.encode() in request for task_id in held for request in self_calls.requests)
    old = time.time() - 60
    for path in tasks_dir.iterdir():
        if path.is_file() and not path.name.startswith("."):
            os.utime(path, (old, old))  # past the self-call's grace
    with app.app_context():
        assert len(set(due_tasks()) & set(held)) == SLOW_PROBES
        note_marks(slow.id, AttemptResult(ok=True, duration_ms=12, error=""))  # fast again
    _raise(app, setup[1])
    again = _task_ids(app, slow.id)[-1]
    assert wait(lambda: any(again.encode() in request for request in self_calls.requests), timeout=5)


def test_a_quick_success_clears_the_marks(app, setup, make_webhook, tasks_dir):
    hook = make_webhook(setup[0])
    with app.app_context():
        note_marks(hook.id, TIMED_OUT)
        assert marks.marked("down") == {hook.id} and marks.marked("slow") == {hook.id}
        note_marks(hook.id, AttemptResult(ok=True, duration_ms=4000, error=""))
        assert marks.marked("down") == set() and marks.marked("slow") == {hook.id}
        note_marks(hook.id, AttemptResult(ok=False, duration_ms=5, error="HTTP 500", kind=HTTP_STATUS))
        assert marks.marked("slow") == {hook.id}  # a quick failure proves nothing about speed
        note_marks(hook.id, AttemptResult(ok=True, duration_ms=12, error=""))
        assert marks.marked("down") == set() and marks.marked("slow") == set()


def test_an_answer_whose_reason_says_timed_out_does_not_mark_the_webhook_down(
    app, client, setup, make_webhook, httpserver, tasks_dir
):
    """The marks follow the failure's kind (a timeout), not the words of a receiver's reason phrase."""
    from werkzeug import Response

    hook = make_webhook(setup[0], url=httpserver.url_for("/hook"))
    answer = Response("busy", status="504 Upstream Timed Out")
    httpserver.expect_request("/hook").respond_with_response(answer)
    _raise(app, setup[1])
    [task_id] = _task_ids(app, hook.id)
    body = client.get(_url(app, task_id)).json
    assert body["status"] == "pending" and "Timed Out" in body["error"]
    with app.app_context():
        assert marks.marked("down") == set()


def test_sweeper_probes_a_down_webhook_a_few_tasks_per_pass(app, setup, make_webhook, tasks_dir):
    dead = make_webhook(setup[0])
    healthy = make_webhook(setup[0])
    app.config["JOMRES_SELF_URL"] = "http://127.0.0.1:9"  # the self-calls go nowhere
    with app.app_context():
        note_marks(dead.id, TIMED_OUT)
    _raise(app, setup[1], count=PROBES + 3)
    old = time.time() - 60
    import os

    for path in tasks_dir.iterdir():
        if path.is_file() and not path.name.startswith("."):
            os.utime(path, (old, old))  # past the self-call's grace
    with app.app_context():
        due = set(due_tasks())
    assert len(due & set(_task_ids(app, dead.id))) == PROBES
    assert set(_task_ids(app, healthy.id)) <= due


def test_a_stuck_delivery_marks_the_webhook_slow_and_nobody_waits_for_it(
    app, setup, make_webhook, tasks_dir, monkeypatch
):
    hook = make_webhook(setup[0])
    app.config.update(JOMRES_INFLIGHT_PER_WEBHOOK=1)
    monkeypatch.setattr(marks, "SLOW_AFTER", 0.1)
    with app.app_context(), delivery_slot(hook.id) as first:
        assert first is True
        time.sleep(0.2)  # the first delivery is now stuck
        started = time.monotonic()
        with delivery_slot(hook.id) as second:
            waited = time.monotonic() - started
        assert second is False and waited < 1
        assert marks.is_marked("slow", hook.id)


def test_deleting_or_repointing_a_webhook_forgets_its_marks(app, setup, make_webhook, tasks_dir):
    from jomres_like.models import Webhook
    from jomres_like.webhooks import service

    gone = make_webhook(setup[0])
    moved = make_webhook(setup[0])
    timed_out = TIMED_OUT
    with app.app_context():
        for hook in (gone, moved):
            note_marks(hook.id, timed_out)
        service.delete_webhook(db.session.get(Webhook, gone.id))
        service.update_webhook(db.session.get(Webhook, moved.id), {"url": "http://127.0.0.1:8/other"})
        db.session.commit()
        assert marks.marked("down") == set() and marks.marked("slow") == set()


def test_sweeper_leaves_tasks_queued_behind_a_draining_webhook_alone(app, setup, make_webhook, tasks_dir):
    import os

    busy = make_webhook(setup[0])
    idle = make_webhook(setup[0])
    app.config["JOMRES_SELF_URL"] = "http://127.0.0.1:9"  # the self-calls go nowhere
    _raise(app, setup[1])
    old = time.time() - 10
    for path in tasks_dir.iterdir():
        if path.is_file() and not path.name.startswith("."):
            os.utime(path, (old, old))  # past the self-call's grace
    with app.app_context():
        marks.note_draining(busy.id)
        due = set(due_tasks())
        assert not due & set(_task_ids(app, busy.id))  # waiting in a queue a thread is running
        assert set(_task_ids(app, idle.id)) <= due
        mark = tasks_dir / "marks" / f".draining-{busy.id}"
        os.utime(mark, (old, old))  # the draining thread has gone quiet
        assert set(_task_ids(app, busy.id)) <= set(due_tasks())


def test_sweeper_leaves_a_task_queued_behind_a_busy_webhook_alone(
    app, client, setup, make_webhook, tasks_dir
):
    """A task waiting in a queue of this node is not fired again: that would only cost a self-call."""
    import os

    from jomres_like.deferred import slots

    hook = make_webhook(setup[0])
    app.config.update(JOMRES_SELF_URL="http://127.0.0.1:9", JOMRES_INFLIGHT_PER_WEBHOOK=1)
    _raise(app, setup[1])
    [task_id] = _task_ids(app, hook.id)
    old = time.time() - 10
    os.utime(tasks_dir / task_id, (old, old))  # past the self-call's grace: the sweeper would fire it
    with app.app_context(), delivery_slot(hook.id) as held:
        assert held is True
        assert task_id in due_tasks()
        response = client.get(_url(app, task_id))
        assert response.status_code == 202 and response.json["status"] == "queued"
        assert task_id not in due_tasks()  # it waits in this node's queue
        mark = tasks_dir / "marks" / f".draining-{hook.id}"
        os.utime(mark, (old, old))  # nothing queued or run for a while: the sweeper's again
        assert task_id in due_tasks()
        slots.drop_queue(hook.id)
