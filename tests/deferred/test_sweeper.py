"""The sweeper and ``flask deferred-tasks``: lost events, lost self-calls, due retries, orphans, purge."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from jomres_like.extensions import db
from jomres_like.models import WebhookDelivery, WebhookEvent
from jomres_like.services.events import raise_event
from jomres_like.timeutil import utcnow


@pytest.fixture
def app_config(app_config, pipeline_settings):
    """Production rules, loopback receivers allowed, retries without delay."""
    app_config.update(pipeline_settings)
    return app_config


@pytest.fixture
def hooked(make_user, make_property, make_webhook, httpserver):
    """A manager's property with one webhook on the receiver, which answers 200."""
    manager = make_user("mgr")
    prop = make_property("One", managers=[manager])
    make_webhook(manager, url=httpserver.url_for("/hook"))
    httpserver.expect_request("/hook").respond_with_data("ok")
    return prop


def _age_files(folder, seconds: float) -> None:
    old = time.time() - seconds
    for path in folder.iterdir():
        if path.is_file():
            os.utime(path, (old, old))


def test_sweep_dispatches_events_that_never_got_their_files(app, hooked, runner, httpserver):
    with app.app_context():
        from jomres_like.webhooks import outbox as receivers

        event = raise_event("guest_saved", property_uid=hooked.id, guest_uid=3)
        db.session.info.pop(receivers.BUFFER_KEY)  # as if the process died right after the commit
        db.session.commit()
        db.session.execute(update(WebhookEvent).values(created_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        assert db.session.get(WebhookEvent, event.id).dispatched is False
    result = runner.invoke(args=["deferred-tasks", "sweep"])
    assert result.exit_code == 0, result.output
    assert "Dispatched 1 event(s); ran 1 task(s)" in result.output
    assert len(httpserver.log) == 1
    again = runner.invoke(args=["deferred-tasks", "sweep"])
    assert "Dispatched 0 event(s); ran 0 task(s)" in again.output
    assert len(httpserver.log) == 1


def test_recent_undispatched_events_are_left_to_their_request(app, hooked, runner, httpserver):
    with app.app_context():
        from jomres_like.webhooks import outbox as receivers

        raise_event("guest_saved", property_uid=hooked.id, guest_uid=3)
        db.session.info.pop(receivers.BUFFER_KEY)
        db.session.commit()
    assert "Dispatched 0 event(s)" in runner.invoke(args=["deferred-tasks", "sweep"]).output


def test_sweep_runs_tasks_whose_self_call_was_lost_and_due_retries(
    app, hooked, runner, httpserver, tasks_dir
):
    with app.app_context():
        raise_event("guest_saved", property_uid=hooked.id, guest_uid=3)
        db.session.commit()  # the self-call goes to a closed port: lost
    _age_files(tasks_dir, 5)
    assert "ran 1 task(s)" in runner.invoke(args=["deferred-tasks", "sweep"]).output
    assert len(httpserver.log) == 1
    with app.app_context():
        assert db.session.scalar(select(WebhookDelivery.status)) == "succeeded"


def test_sweep_leaves_retries_that_are_not_due(app, hooked, runner, httpserver, tasks_dir):
    with app.app_context():
        raise_event("guest_saved", property_uid=hooked.id, guest_uid=3)
        db.session.commit()
        db.session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() + timedelta(hours=1)))
        db.session.commit()
    _age_files(tasks_dir, 5)
    assert "ran 0 task(s)" in runner.invoke(args=["deferred-tasks", "sweep"]).output
    assert httpserver.log == []


def test_a_task_file_rewritten_since_the_last_pass_is_read_again(app, hooked, runner, httpserver, tasks_dir):
    """Passes keep the tasks they parsed; a new file under the same name, same mtime or not, is read."""
    with app.app_context():
        from jomres_like.deferred import store

        raise_event("guest_saved", property_uid=hooked.id, guest_uid=3)
        db.session.commit()
        db.session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() + timedelta(hours=1)))
        db.session.commit()
        [task_id] = store.task_ids()
    _age_files(tasks_dir, 120)
    assert "ran 0 task(s)" in runner.invoke(args=["deferred-tasks", "sweep"]).output  # parsed, not due
    path = tasks_dir / task_id
    seen = path.stat()
    with app.app_context():
        task, _failed = store.read_task(task_id)
        store.write_task({**task, "message_id": "msg_superseded"})  # a new file (inode) under the name
    os.utime(path, ns=(seen.st_atime_ns, seen.st_mtime_ns))
    runner.invoke(args=["deferred-tasks", "sweep"])
    assert not path.exists()  # read again: its message no longer matches the delivery, an old orphan
    assert httpserver.log == []


def test_orphaned_files_are_removed_after_a_grace_period(app, hooked, runner, tasks_dir):
    with app.app_context():
        from jomres_like.deferred import store

        orphan = store.new_task_id()
        store.write_task(
            {
                "task_id": orphan,
                "delivery_id": 999,
                "webhook_id": 1,
                "message_id": "msg_x",
                "processor": "07320watcher_authmethod_process_none",
            }
        )
    runner.invoke(args=["deferred-tasks", "sweep"])
    assert (tasks_dir / orphan).exists()  # young: its transaction may still be committing
    _age_files(tasks_dir, 120)
    runner.invoke(args=["deferred-tasks", "sweep"])
    assert not (tasks_dir / orphan).exists()


def test_a_claimed_task_is_left_alone_and_a_killed_claimant_lets_go(app, hooked, runner, httpserver,
                                                                     tasks_dir):
    with app.app_context():
        raise_event("guest_saved", property_uid=hooked.id, guest_uid=3)
        db.session.commit()
    [task_id] = [p.name for p in tasks_dir.iterdir() if p.is_file()]
    _age_files(tasks_dir, 5)
    # another process claims the task as a worker does, and is killed mid-delivery
    holder = subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_HANG, str(tasks_dir / task_id)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "claimed"
        assert "ran 0 task(s)" in runner.invoke(args=["deferred-tasks", "sweep"]).output
        assert httpserver.log == []
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert "ran 1 task(s)" in runner.invoke(args=["deferred-tasks", "sweep"]).output
    assert len(httpserver.log) == 1 and not (tasks_dir / task_id).exists()


CLAIM_AND_HANG = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("claimed", flush=True)
time.sleep(60)
"""


def test_list_run_and_purge(app, hooked, runner, httpserver, tasks_dir):
    app.config["JOMRES_DEVELOPMENT"] = True
    with app.app_context():
        raise_event("guest_saved", property_uid=hooked.id, guest_uid=3)
        db.session.commit()
    [task_id] = [p.name for p in tasks_dir.iterdir() if p.is_file()]
    listed = runner.invoke(args=["deferred-tasks", "list"])
    assert (
        task_id in listed.output
        and "pending" in listed.output
        and "/background_process?payload_source=" in listed.output
    )
    ran = runner.invoke(args=["deferred-tasks", "run", task_id])
    assert ran.exit_code == 0 and "succeeded" in ran.output
    assert json.loads((tasks_dir / task_id).read_text())["done"] is True
    assert "done" in runner.invoke(args=["deferred-tasks", "list"]).output
    assert runner.invoke(args=["deferred-tasks", "run", "../etc/passwd"]).exit_code == 1
    assert "Removed 1 task file(s)" in runner.invoke(args=["deferred-tasks", "purge"]).output
    assert not (tasks_dir / task_id).exists()


def test_the_node_sweeps_at_most_once_an_interval_whichever_worker_wakes(app, monkeypatch, tasks_dir):
    """Each worker's sweeper thread wakes on its own timer; the node still makes one pass per interval."""
    from jomres_like.deferred import sweeper

    passes = []
    monkeypatch.setattr(sweeper, "sweep_once", lambda: passes.append(time.time()))
    with app.app_context():
        with sweeper.node_lock() as mine:
            assert mine
            assert sweeper.sweep_if_due(60) is False  # another process of the node is sweeping
        assert sweeper.sweep_if_due(60) is True  # the node's first pass: an empty lock file says nothing
        assert sweeper.sweep_if_due(60) is False  # another worker waking a moment later
        assert len(passes) == 1
        lock = tasks_dir / ".sweep.lock"
        old = time.time() - 61
        os.utime(lock, (old, old))  # the last pass began an interval ago
        assert sweeper.sweep_if_due(60) is True
        assert sweeper.sweep_if_due(60) is False
    assert len(passes) == 2


def test_a_cron_pass_counts_as_the_nodes_pass_of_the_interval(app, runner, monkeypatch, tasks_dir):
    from jomres_like.deferred import sweeper

    lock = tasks_dir / ".sweep.lock"
    assert "Dispatched 0 event(s)" in runner.invoke(args=["deferred-tasks", "sweep"]).output
    assert lock.stat().st_size and time.time() - lock.stat().st_mtime < 5
    passes = []
    monkeypatch.setattr(sweeper, "sweep_once", lambda: passes.append(1))
    with app.app_context():
        assert sweeper.sweep_if_due(60) is False  # the workers do not sweep again right after cron
    assert passes == []
