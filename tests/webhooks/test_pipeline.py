"""The watcher: events to deliveries and task files, after the commit only, for the right webhooks."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from jomres_like.extensions import db
from jomres_like.models import ROLE_SUPER, WebhookDelivery, WebhookEvent
from jomres_like.services.actor import set_actor
from jomres_like.services.events import raise_event


@pytest.fixture
def app_config(app_config, pipeline_settings):
    """Production rules, loopback receivers allowed."""
    app_config.update(pipeline_settings)
    return app_config


@pytest.fixture
def world(make_user, make_property):
    """Two managers with a property each, a super manager, and their webhooks plus a site-wide one."""
    manager = make_user("mgr")
    manager2 = make_user("mgr2")
    boss = make_user("boss", role=ROLE_SUPER)
    p1 = make_property("One", managers=[manager])
    p2 = make_property("Two", managers=[manager2])
    return {"manager": manager, "manager2": manager2, "super": boss, "p1": p1, "p2": p2}


def _deliveries(app) -> list[tuple[int, str]]:
    with app.app_context():
        rows = db.session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.event).order_by(WebhookDelivery.id)
        ).all()
        return [tuple(row) for row in rows]


def test_committed_event_reaches_managers_and_site_wide_webhooks_only(app, world, make_webhook, tasks_dir):
    mine = make_webhook(world["manager"])
    other = make_webhook(world["manager2"])
    site = make_webhook(None)
    with app.app_context():
        raise_event("guest_saved", property_uid=world["p1"].id, guest_uid=5)
        db.session.commit()
    got = _deliveries(app)
    assert sorted(got) == sorted([(mine.id, "guest_saved"), (site.id, "guest_saved")])
    assert other.id not in [webhook_id for webhook_id, _ in got]
    files = sorted(p.name for p in tasks_dir.iterdir() if p.is_file())
    assert len(files) == 2 and all(len(name) == 50 and name.isalpha() for name in files)
    task = json.loads((tasks_dir / files[0]).read_text())
    assert set(task) >= {
        "task_id",
        "delivery_id",
        "webhook_id",
        "processor",
        "message_id",
        "event",
        "created_at",
    }
    assert task["processor"] == "07320watcher_authmethod_process_none"
    assert "whsec_" not in (tasks_dir / files[0]).read_text()
    with app.app_context():
        event = db.session.scalar(select(WebhookEvent).where(WebhookEvent.event == "guest_saved"))
        assert event.dispatched is True


@pytest.mark.mechanism
def test_an_events_deliveries_are_inserted_in_one_statement(app, world, make_webhook):
    """Mechanism (the dispatch's short transaction: one multi-row INSERT).

    The writer lock is held across the insert: one statement for all the event's webhooks, not one each."""
    from sqlalchemy import event as sa_event

    hooks = [make_webhook(world["manager"]) for _ in range(3)] + [make_webhook(None)]
    inserts = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        if statement.lstrip().upper().startswith("INSERT INTO WEBHOOK_DELIVERIES"):
            inserts.append(statement)

    with app.app_context():
        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            raise_event("guest_saved", property_uid=world["p1"].id, guest_uid=5)
            db.session.commit()
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
    assert len(inserts) == 1  # an executemany, or one INSERT with a row per webhook (PostgreSQL, MariaDB)
    assert sorted(webhook_id for webhook_id, _event in _deliveries(app)) == sorted(hook.id for hook in hooks)
    with app.app_context():
        stored = db.session.scalars(select(WebhookDelivery)).all()
        assert all(d.status == "pending" and d.attempts == 0 and d.created_at and d.payload for d in stored)
        assert len({d.message_id for d in stored}) == len({d.task_id for d in stored}) == len(hooks)


def test_rolled_back_event_is_never_dispatched(app, world, make_webhook, tasks_dir):
    make_webhook(world["manager"])
    with app.app_context():
        raise_event("guest_saved", property_uid=world["p1"].id, guest_uid=5)
        db.session.rollback()
        db.session.commit()
    assert _deliveries(app) == []
    assert not [p for p in tasks_dir.iterdir() if p.is_file()]


def test_event_filter_and_equal_events_sent_once(app, world, make_webhook):
    bookings_only = make_webhook(world["manager"], events=["booking_added"])
    everything = make_webhook(world["manager"])
    with app.app_context():
        raise_event("guest_saved", property_uid=world["p1"].id, guest_uid=5)
        raise_event("guest_saved", property_uid=world["p1"].id, guest_uid=5)
        raise_event("booking_added", property_uid=world["p1"].id, contract_uid=9)
        db.session.commit()
    got = _deliveries(app)
    assert got.count((everything.id, "guest_saved")) == 1
    assert (bookings_only.id, "guest_saved") not in got
    assert (bookings_only.id, "booking_added") in got and (everything.id, "booking_added") in got


def test_super_managers_change_notifies_the_property_manager(app, world, make_webhook):
    managers = make_webhook(world["manager"])
    supers = make_webhook(world["super"])
    with app.app_context():
        from jomres_like.models import User

        set_actor(db.session.get(User, world["super"].id))
        raise_event("tariffs_updated", property_uid=world["p1"].id)
        db.session.commit()
    got = _deliveries(app)
    assert (managers.id, "tariffs_updated") in got
    assert supers.id not in [webhook_id for webhook_id, _ in got]


def test_disabled_webhooks_are_skipped(app, world, make_webhook):
    make_webhook(world["manager"], enabled=False)
    with app.app_context():
        raise_event("room_added", property_uid=world["p1"].id, room_uid=3)
        db.session.commit()
    assert _deliveries(app) == []


def test_self_call_is_a_signed_get_written_after_the_commit(
    app, world, make_webhook, self_calls, tasks_dir, wait
):
    make_webhook(world["manager"])
    with app.app_context():
        raise_event("room_added", property_uid=world["p1"].id, room_uid=3)
        assert self_calls.requests == []  # nothing before the commit
        db.session.commit()
    assert wait(lambda: self_calls.requests, timeout=5)
    request_line = self_calls.requests[0].split(b"\r\n")[0].decode()
    method, target, _version = request_line.split(" ")
    assert method == "GET" and target.startswith("/background_process?")
    query = parse_qs(urlsplit(target).query)
    task_id = query["payload_source"][0]
    assert (tasks_dir / task_id).is_file()
    with app.app_context():
        from jomres_like.deferred.selfcall import signature

        assert query["sig"][0] == signature(task_id)
    log = app.config["JOMRES_LOG_DIR"] + "/Core.application.log"
    text = open(log).read()
    assert "Webhook notification set room_added" in text
    assert (
        f"Sent async deferred message {task_id} to {app.config['JOMRES_SELF_URL']}/background_process?"
        in text
    )


def test_events_raised_in_a_request_are_dispatched_after_a_redirect(
    app, world, make_webhook, client, login, wait
):
    make_webhook(world["manager"])
    login("mgr")
    response = client.post(
        f"/manager/properties/{world['p1'].id}/guests/new",
        data={"firstname": "Basil", "surname": "Fawlty", "email": "basil@example.com"},
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    response.close()
    assert wait(lambda: "guest_saved" in [event for _, event in _deliveries(app)], timeout=5)


def test_webhooks_fire_cli_goes_through_the_pipeline(app, world, make_webhook, runner):
    hook = make_webhook(world["manager"])
    result = runner.invoke(
        args=[
            "webhooks",
            "fire",
            "booking_modified",
            "--property",
            str(world["p1"].id),
            "--id",
            "41",
            "--data",
            "note=hi",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id))
        assert delivery.payload["data"]["contract_uid"] == 41
        assert delivery.payload["data"]["property_uid"] == world["p1"].id
    bad = runner.invoke(args=["webhooks", "fire", "no_such_event", "--property", "1"])
    assert bad.exit_code != 0 and "unknown event" in bad.output
    missing = runner.invoke(args=["webhooks", "fire", "booking_modified", "--property", "1"])
    assert missing.exit_code != 0
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(WebhookEvent.id)).where(WebhookEvent.event == "booking_modified")
            )
            == 1
        )


def test_an_event_claimed_meanwhile_by_another_worker_leaves_no_task_files(
    app, world, make_webhook, tasks_dir, monkeypatch
):
    """The files are written before the claim; losing the claim removes them and creates no delivery."""
    from jomres_like.webhooks import dispatch

    make_webhook(world["manager"])
    make_webhook(None)
    with app.app_context():
        event = raise_event("guest_saved", property_uid=world["p1"].id, guest_uid=5)
        event.dispatched = True  # as if another worker claimed it between our read and our claim
        db.session.info.pop(dispatch.BUFFER_KEY, None)
        db.session.commit()
        event_id = event.id
    written = []
    original = dispatch.store.write_tasks
    monkeypatch.setattr(dispatch.store, "write_tasks", lambda tasks: written.extend(tasks) or original(tasks))
    real_event = dispatch.rows.event

    def undispatched(connection, event_id):  # the event as our read saw it, before the other worker's claim
        return dataclasses.replace(real_event(connection, event_id), dispatched=False)  # rows are frozen

    monkeypatch.setattr(dispatch.rows, "event", undispatched)
    with app.app_context():
        assert dispatch.dispatch_event(event_id) == []
    assert len(written) == 2  # both files were written before the claim...
    assert not [p for p in tasks_dir.iterdir() if p.is_file()]  # ...and removed after losing it
    assert _deliveries(app) == []

