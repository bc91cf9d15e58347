"""A task file that is no task never stops the sweeper, and the self-call and the CLI answer it with a 4xx.

The three files of the "Hardening" issue: 30,000 nested ``[`` (RecursionError), a 5,000-digit integer
(ValueError) and a real task edited to ``"attempts_base": "x"``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from jomres_like.deferred import store
from jomres_like.deferred import tasks as taskfile
from jomres_like.extensions import db
from jomres_like.models import WebhookDelivery
from jomres_like.services.events import raise_event

BAD_FILES = ("nested", "digits", "edited")


@pytest.fixture
def app_config(app_config, pipeline_settings):
    """Production rules, loopback receivers allowed, retries without delay."""
    app_config.update(pipeline_settings)
    return app_config


@pytest.fixture
def prop(make_user, make_property, make_webhook, httpserver):
    """A manager's property with one webhook on the local receiver."""
    manager = make_user("mgr")
    prop = make_property("One", managers=[manager])
    make_webhook(manager, url=httpserver.url_for("/hook"))
    return prop


def _raise(app, prop, tasks_dir, guest_uid: int) -> str:
    """Raise and commit one event (its self-call goes to a closed port: lost); return its task id."""
    before = {path.name for path in tasks_dir.iterdir()}
    with app.app_context():
        raise_event("guest_saved", property_uid=prop.id, guest_uid=guest_uid)
        db.session.commit()
    [task_id] = [p.name for p in tasks_dir.iterdir() if p.is_file() and p.name not in before]
    return task_id


def _url(app, task_id: str) -> str:
    with app.app_context():
        from jomres_like.deferred.selfcall import signature

        return f"/background_process?payload_source={task_id}&sig={signature(task_id)}"


def _plant(app, prop, tasks_dir, kind: str) -> str:
    """Write one of the issue's three bad files among the pending tasks, older than any; return its id."""
    if kind == "edited":  # a real task of a real delivery, its counter edited by hand
        task_id = _raise(app, prop, tasks_dir, guest_uid=99)
        task = json.loads((tasks_dir / task_id).read_text())
        body = json.dumps({**task, "attempts_base": "x"}).encode()
    else:
        with app.app_context():
            task_id = store.new_task_id()
        body = b"[" * 30_000 if kind == "nested" else b"7" * 5_000
    path = tasks_dir / task_id
    path.write_bytes(body)
    old = time.time() - 3600  # listed first: the pass meets it before the retry
    os.utime(path, (old, old))
    return task_id


def _due_retry(app, client, prop, tasks_dir, httpserver) -> str:
    """A task whose first attempt got a 500 and whose retry is due now (the schedule has no delay)."""
    httpserver.expect_oneshot_request("/hook").respond_with_data("no", status=500)
    httpserver.expect_request("/hook").respond_with_data("ok")
    task_id = _raise(app, prop, tasks_dir, guest_uid=1)
    assert client.get(_url(app, task_id)).json["status"] == "pending"
    return task_id


def _warnings(app, task_id: str) -> list[str]:
    path = Path(app.config["JOMRES_LOG_DIR"]) / "DeferredTasks.application.log"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line for line in lines if " WARNING " in line and task_id in line]


def _status(app, task_id: str) -> str:
    with app.app_context():
        return db.session.scalar(select(WebhookDelivery.status).where(WebhookDelivery.task_id == task_id))


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_is_set_aside_and_the_retry_beside_it_is_delivered(
    app, client, runner, prop, tasks_dir, httpserver, kind
):
    retry = _due_retry(app, client, prop, tasks_dir, httpserver)
    bad = _plant(app, prop, tasks_dir, kind)
    body = (tasks_dir / bad).read_bytes()
    result = runner.invoke(args=["deferred-tasks", "sweep"])
    assert result.exit_code == 0, result.output
    assert "ran 1 task(s)" in result.output
    assert [response.status_code for _request, response in httpserver.log] == [500, 200]
    assert _status(app, retry) == "succeeded"
    assert not (tasks_dir / bad).exists()
    assert (tasks_dir / "bad" / bad).read_bytes() == body
    [warning] = _warnings(app, bad)
    assert "moved aside to bad/" in warning and ("malformed" in warning or "not valid JSON" in warning)
    again = runner.invoke(args=["deferred-tasks", "sweep"])
    assert again.exit_code == 0 and "ran 0 task(s)" in again.output
    assert len(_warnings(app, bad)) == 1
    assert runner.invoke(args=["deferred-tasks", "list", "--failed"]).exit_code == 0


@pytest.mark.parametrize("kind", BAD_FILES)
def test_the_self_call_answers_a_bad_file_with_422_and_runs_nothing(app, client, prop, tasks_dir, httpserver,
                                                                   kind):
    httpserver.expect_request("/hook").respond_with_data("ok")
    bad = _plant(app, prop, tasks_dir, kind)
    body = (tasks_dir / bad).read_bytes()
    for _ in range(2):  # the same answer again: nothing was run, queued or re-fired
        response = client.get(_url(app, bad))
        assert response.status_code == 422
        assert response.json["status"] == "error" and response.json["task"] == bad
        assert response.json["message"].startswith("Task file is")
    assert httpserver.log == []
    assert (tasks_dir / bad).read_bytes() == body
    if kind == "edited":
        assert _status(app, bad) == "pending"


@pytest.mark.parametrize("kind", BAD_FILES)
def test_deferred_tasks_list_and_run_name_a_bad_file_without_a_traceback(app, runner, prop, tasks_dir,
                                                                         httpserver, kind):
    bad = _plant(app, prop, tasks_dir, kind)
    listed = runner.invoke(args=["deferred-tasks", "list"])
    assert listed.exit_code == 0, listed.output
    assert f"{bad}\tunreadable: Task file is" in listed.output
    ran = runner.invoke(args=["deferred-tasks", "run", bad])
    assert ran.exit_code == 1 and isinstance(ran.exception, SystemExit)
    assert ran.output.startswith("422 ") and "Task file is" in ran.output
    assert "Traceback" not in listed.output + ran.output
    assert httpserver.log == []


def test_a_second_bad_file_of_the_same_name_keeps_the_first(app, runner, prop, tasks_dir):
    bad = _plant(app, prop, tasks_dir, "nested")
    runner.invoke(args=["deferred-tasks", "sweep"])
    (tasks_dir / bad).write_bytes(b"{not json")
    runner.invoke(args=["deferred-tasks", "sweep"])
    kept = sorted(path.read_bytes()[:9] for path in (tasks_dir / "bad").iterdir())
    assert kept == [b"[[[[[[[[[", b"{not json"]
    assert len(_warnings(app, bad)) == 2


@pytest.mark.parametrize("trouble", ["error", "vanished"])
def test_any_other_trouble_with_one_file_skips_only_that_file(
    app, client, runner, prop, tasks_dir, httpserver, monkeypatch, trouble
):
    retry = _due_retry(app, client, prop, tasks_dir, httpserver)
    with app.app_context():
        other = store.new_task_id()
        store.write_task({"task_id": other, "webhook_id": 1, "processor": "p", "message_id": "m"})
    old = time.time() - 3600
    os.utime(tasks_dir / other, (old, old))
    read_task = store.read_task

    def flaky(task_id):
        if task_id == other:
            if trouble == "vanished":
                (tasks_dir / other).unlink()  # run and removed by another worker since the listing
            else:
                raise PermissionError(13, "Permission denied")
        return read_task(task_id)

    monkeypatch.setattr(store, "read_task", flaky)
    for _ in range(2):
        result = runner.invoke(args=["deferred-tasks", "sweep"])
        assert result.exit_code == 0, result.output
    assert _status(app, retry) == "succeeded"
    assert [response.status_code for _request, response in httpserver.log] == [500, 200]
    warnings = _warnings(app, other)
    if trouble == "vanished":
        assert warnings == []
    else:  # logged once, not once a pass; the file is left where it is
        assert len(warnings) == 1 and "PermissionError" in warnings[0]
        assert (tasks_dir / other).exists()


def _real_task(task_id: str) -> dict:
    return {
        "task_id": task_id,
        "delivery_id": None,
        "webhook_id": 3,
        "processor": "07320watcher_authmethod_process_none",
        "message_id": "msg_01JC3W7N5Q8Z4K2M6P9R1T3V5X",
        "event": "guest_saved",
        "mode": "deferred",
        "created_at": "2026-11-22T04:45:38.123Z",
        "attempts_base": 0,
        "redelivery": False,
        "done": False,
    }


def test_a_real_task_and_a_done_one_pass_the_check(app):
    with app.app_context():
        task_id = store.new_task_id()
    task = _real_task(task_id)
    assert taskfile.parse_task(json.dumps(task).encode(), task_id) == task
    done = {**task, "attempts": 4, "done": True, "completed_at": "2026-11-22T04:46:01.002Z", "later": [1]}
    assert taskfile.parse_task(json.dumps(done).encode(), task_id) == done


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"task_id": "x" * 50}, "task_id"),
        ({"webhook_id": None}, "webhook_id"),
        ({"webhook_id": "3"}, "webhook_id"),
        ({"webhook_id": True}, "webhook_id"),
        ({"webhook_id": 0}, "webhook_id"),
        ({"webhook_id": 2**63}, "webhook_id"),
        ({"delivery_id": 1.5}, "delivery_id"),
        ({"processor": ""}, "processor"),
        ({"processor": "../x"}, "processor"),
        ({"processor": ["p"]}, "processor"),
        ({"message_id": "m" * 41}, "message_id"),
        ({"message_id": "msg id"}, "message_id"),
        ({"event": {"a": 1}}, "event"),
        ({"mode": "held"}, "mode"),
        ({"attempts_base": "x"}, "attempts_base"),
        ({"attempts_base": -1}, "attempts_base"),
        ({"attempts": 2**40}, "attempts"),
        ({"redelivery": "no"}, "redelivery"),
        ({"done": 1}, "done"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"completed_at": 1700000000}, "completed_at"),
    ],
)
def test_a_field_of_the_wrong_type_or_range_is_named(app, change, reason):
    with app.app_context():
        task_id = store.new_task_id()
    raw = json.dumps({**_real_task(task_id), **change}).encode()
    with pytest.raises(taskfile.BadTaskFile, match=rf"malformed \({reason}\)"):
        taskfile.parse_task(raw, task_id)


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 30_000,
        b"7" * 5_000,
        b'{"webhook_id": ' + b"7" * 5_000 + b"}",
        b"\xff\xfe{}",
        b"{not json",
        b"",
        b'{"webhook_id": NaN}',
        b"[]",
        b"null",
        b" " * (taskfile.MAX_TASK_BYTES + 1),
    ],
)
def test_whatever_a_file_holds_ends_as_one_named_error(app, raw):
    with app.app_context():
        task_id = store.new_task_id()
    with pytest.raises(taskfile.BadTaskFile, match=r"^Task file is"):
        taskfile.parse_task(raw, task_id)


@pytest.mark.e2e
def test_under_gunicorn_the_retry_beside_three_bad_files_is_delivered_within_two_passes(
    live_server, live_app, httpserver, wait
):
    from e2e_support import add_webhook, hook_url

    interval = 1.0
    server = live_server(JOMRES_SWEEP_SECONDS=interval)
    folder = server.temp_dir / "deferred_tasks"
    folder.mkdir(parents=True, exist_ok=True)
    # a real task that stays pending: its webhook's processor does not exist, so it is kept untouched
    add_webhook(live_app, "manager2", hook_url(httpserver, "/never"), auth_method="carrier_pigeon")
    server.flask("webhooks", "fire", "tariffs_updated", "--property", "3")
    [edited] = wait(lambda: [p.name for p in folder.iterdir() if store.valid_task_id(p.name)], timeout=5)
    with live_app.app_context():
        nested, digits = store.new_task_id(), store.new_task_id()
    real = json.loads((folder / edited).read_text())
    bodies = {
        nested: b"[" * 30_000,
        digits: b"7" * 5_000,
        edited: json.dumps({**real, "attempts_base": "x"}).encode(),
    }
    for task_id, body in bodies.items():  # as an editor saves: a new file under the name
        (folder / f".{task_id}.edit").write_bytes(body)
        os.replace(folder / f".{task_id}.edit", folder / task_id)
        old = time.time() - 3600
        os.utime(folder / task_id, (old, old))

    httpserver.expect_oneshot_request("/flaky").respond_with_data("no", status=500)
    httpserver.expect_request("/flaky").respond_with_data("ok")
    add_webhook(live_app, "manager", hook_url(httpserver, "/flaky"))
    server.flask("webhooks", "fire", "booking_modified", "--property", "1", "--id", "1")
    assert wait(lambda: len(httpserver.log) >= 1, timeout=15)
    failed_at = time.monotonic()  # the retry is due 0.3 s later (the live schedule); the sweeper sends it
    assert wait(lambda: len(httpserver.log) >= 2, timeout=2 * interval * 1.2 + 0.3 + 1.5)
    assert time.monotonic() - failed_at < 2 * interval * 1.2 + 0.3 + 1.5
    assert [response.status_code for _request, response in httpserver.log] == [500, 200]
    assert wait(lambda: all((folder / "bad" / task_id).exists() for task_id in bodies), timeout=5)
    assert {task_id: (folder / "bad" / task_id).read_bytes() for task_id in bodies} == bodies
    lines = (server.log_dir / "DeferredTasks.application.log").read_text().splitlines()
    for task_id in bodies:
        warnings = [line for line in lines if " WARNING " in line and task_id in line]
        assert len([line for line in warnings if "moved aside to bad/" in line]) == 1, warnings
        if task_id != edited:  # the edited one may have been fired once, read before the edit (a 422)
            assert len(warnings) == 1, warnings
    assert not [line for line in lines if "Sweeper pass failed" in line]
