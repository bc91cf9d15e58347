"""The self-call's GET, answered in front of Flask's request handling (jomres_like/deferred/endpoint.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from jomres_like.extensions import db
from jomres_like.models import WebhookDelivery, WebhookEvent
from jomres_like.services.events import raise_event


@pytest.fixture
def app_config(app_config, pipeline_settings):
    app_config.update(pipeline_settings)
    return app_config


@pytest.fixture
def task(app, make_user, make_property, make_webhook, httpserver, tasks_dir):
    """One committed event's task for a webhook on the local receiver, and the signed URL of its self-call."""
    manager = make_user("mgr")
    prop = make_property("One", managers=[manager])
    make_webhook(manager, url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    with app.app_context():
        raise_event("guest_saved", property_uid=prop.id, guest_uid=7)
        db.session.commit()
        [task_id] = [p.name for p in tasks_dir.iterdir() if p.is_file()]
        from jomres_like.deferred.selfcall import signature

        return task_id, f"/background_process?payload_source={task_id}&sig={signature(task_id)}", prop


def _log(app, channel: str) -> str:
    path = Path(app.config["JOMRES_LOG_DIR"]) / f"{channel}.application.log"
    return path.read_text() if path.exists() else ""


def _received_line(app, task_id: str) -> str:
    """The log line of the self-call's arrival for ``task_id``."""
    return next(
        line
        for line in _log(app, "message_handling").splitlines()
        if f"Received deferred message notification {task_id}" in line
    )


def test_the_answer_is_json_never_cached_and_sets_no_cookie(client, task, httpserver):
    task_id, url, _prop = task
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert "Set-Cookie" not in response.headers
    assert response.json["status"] == "succeeded" and response.json["task"] == task_id
    assert len(httpserver.log) == 1
    gone = client.get(url)
    assert gone.status_code == 410 and gone.json["status"] == "gone"


def test_log_lines_carry_the_request_id_and_the_url(app, client, task):
    task_id, url, _prop = task
    client.get(url, headers={"X-Request-ID": "selfcall-0001"})
    line = _received_line(app, task_id)
    assert line.endswith(f" ~~ selfcall-0001 ~~ http://localhost{url}")
    assert " INFO - ~~ " in line  # nobody is logged in on a self-call
    started = [line for line in _log(app, "DeferredTasks").splitlines() if "Starting call to" in line]
    assert started and started[-1].endswith(f" ~~ selfcall-0001 ~~ http://localhost{url}")


def test_an_unusable_request_id_is_replaced(app, client, task):
    task_id, url, _prop = task
    client.get(url, headers={"X-Request-ID": "no spaces allowed"})
    line = _received_line(app, task_id)
    assert re.search(r" ~~ [0-9a-f]{16} ~~ http://localhost/background_process\?", line)


def test_other_methods_still_reach_flask(client, task, tasks_dir, httpserver):
    task_id, url, _prop = task
    assert client.post(url).status_code == 405
    assert (tasks_dir / task_id).is_file() and httpserver.log == []


def test_an_unexpected_error_is_a_logged_500_and_the_task_is_kept(
    app, client, task, tasks_dir, httpserver, monkeypatch
):
    from jomres_like.deferred import endpoint as views

    def broken(_args):
        raise RuntimeError("boom in the handler")

    monkeypatch.setattr(views, "handle", broken)
    task_id, url, _prop = task
    response = client.get(url)
    assert response.status_code == 500
    assert response.json == {"status": "error", "message": "Internal error; the task is kept."}
    assert "boom" not in response.get_data(as_text=True)
    assert "/background_process failed" in _log(app, "message_handling")
    assert "RuntimeError: boom in the handler" in _log(app, "message_handling")
    assert (tasks_dir / task_id).is_file() and httpserver.log == []


def test_events_raised_while_it_runs_are_dispatched(app, client, task, tasks_dir, self_calls, monkeypatch):
    """SPEC 7, step 7: an event committed inside /background_process gets its deliveries and task files."""
    from jomres_like.deferred import endpoint as views

    _task_id, url, prop = task

    def raises_an_event(task_id):
        raise_event("room_updated", property_uid=prop.id, room_uid=3)
        db.session.commit()
        return 200, {"status": "succeeded", "task": task_id}

    monkeypatch.setattr(views, "run_task", raises_an_event)
    before = {p.name for p in tasks_dir.iterdir() if p.is_file()}
    assert client.get(url).status_code == 200
    with app.app_context():
        event = db.session.scalar(select(WebhookEvent).where(WebhookEvent.event == "room_updated"))
        assert event is not None and event.dispatched
        deliveries = db.session.scalar(
            select(func.count(WebhookDelivery.id)).where(WebhookDelivery.event_id == event.id)
        )
    assert deliveries == 1
    [new_task] = [p for p in tasks_dir.iterdir() if p.is_file() and p.name not in before]
    assert json.loads(new_task.read_text())["event"] == "room_updated"
