"""Handing the dispatch of committed events to any worker by self-call when this one's threads are busy."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from jomres_like.deferred import selfcall as trigger
from jomres_like.extensions import db
from jomres_like.models import WebhookDelivery, WebhookEvent
from jomres_like.services.events import raise_event
from jomres_like.webhooks import dispatch, handoff
from jomres_like.webhooks import outbox as receivers


@pytest.fixture
def app_config(app_config, pipeline_settings):
    app_config.update(pipeline_settings)
    return app_config


@pytest.fixture
def undispatched(app, make_user, make_property, make_webhook):
    """``undispatched(n)``: n committed events of a property with one webhook, not dispatched yet."""
    manager = make_user("mgr")
    prop = make_property("One", managers=[manager])
    make_webhook(manager)

    def go(count: int = 1) -> list[int]:
        with app.app_context():
            events = [raise_event("guest_saved", property_uid=prop.id, guest_uid=n) for n in range(count)]
            db.session.info.pop(dispatch.BUFFER_KEY, None)  # as if the request ended before its dispatch
            db.session.commit()
            return [event.id for event in events]

    return go


def _dispatch_url(app, ids: str, sig: str | None = None) -> str:
    with app.app_context():
        return f"/background_process?dispatch={ids}&sig={sig or trigger.dispatch_signature(ids)}"


def _deliveries(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(WebhookDelivery.event_id).order_by(WebhookDelivery.event_id)))


def test_a_signed_dispatch_call_dispatches_the_events(app, client, undispatched, self_calls, tasks_dir):
    ids = undispatched(2)
    response = client.get(_dispatch_url(app, ",".join(map(str, ids))))
    assert response.status_code == 200
    assert response.json == {"status": "dispatched", "events": ids}
    assert _deliveries(app) == ids
    assert len([path for path in tasks_dir.iterdir() if path.is_file()]) == 2
    with app.app_context():
        assert all(db.session.get(WebhookEvent, event_id).dispatched for event_id in ids)
    deadline = time.monotonic() + 5
    while len(self_calls.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert all(b"payload_source=" in request for request in self_calls.requests)  # one per task, as usual


@pytest.mark.parametrize("ids", ["", "x", "1,,2", "1;2", "-1", "1 2", ",".join(["1"] * 101), "9" * 19])
def test_malformed_dispatch_calls_are_refused(app, client, undispatched, ids):
    undispatched(1)
    response = client.get(_dispatch_url(app, ids))
    assert response.status_code == 400
    assert _deliveries(app) == []


def test_forged_dispatch_calls_dispatch_nothing(app, client, undispatched):
    [event_id] = undispatched(1)
    with app.app_context():
        other = trigger.dispatch_signature(str(event_id + 1))
        task_sig = trigger.signature(str(event_id))  # a task's signature is not a dispatch signature
    for sig in ("0" * 64, other, task_sig, "x"):
        assert client.get(_dispatch_url(app, str(event_id), sig)).status_code == 403
    assert _deliveries(app) == []


def test_busy_dispatcher_threads_hand_events_to_any_worker(app, undispatched, self_calls, monkeypatch):
    release, started = threading.Event(), threading.Event()

    def hold():
        started.set()
        release.wait(5)

    try:
        with app.app_context():
            assert handoff.idle(1)
            handoff.submit(hold, 1)
            assert started.wait(5) and not handoff.idle(1)
            ids = undispatched(2)
            task = ("task", "T" * 50, "deferred", None)
            local = receivers.hand_over([("event", ids[0]), ("event", ids[1]), task])
        assert local == [task]  # its file is written already: it starts here
        deadline = time.monotonic() + 5
        while not self_calls.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        [request] = self_calls.requests
        assert f"dispatch={ids[0]}%2C{ids[1]}&sig=".encode() in request
    finally:
        release.set()


def test_events_whose_dispatch_call_cannot_be_sent_stay_here(app, undispatched):
    app.config["JOMRES_SELF_URL"] = "http://127.0.0.1:9"  # nothing listens there
    ids = undispatched(1)
    with app.app_context():
        assert receivers.hand_over([("event", ids[0])]) == [("event", ids[0])]


def test_the_dispatch_starts_once_the_response_has_been_sent(app, make_user, make_property, make_webhook,
                                                            self_calls):
    """With dispatcher threads, a request's events are handed to them when its response is closed: the
    dispatch's work does not compete with the rest of the request for the interpreter."""
    app.config["JOMRES_DISPATCH_THREADS"] = 2
    manager = make_user("mgr")
    prop = make_property("One", managers=[manager])
    make_webhook(manager)

    @app.route("/raise-for-test", methods=["POST"])
    def raise_for_test():
        event = raise_event("guest_saved", property_uid=prop.id, guest_uid=1)
        db.session.commit()
        return str(event.id)

    def dispatched(event_id: int) -> bool:
        with app.app_context():
            return bool(db.session.get(WebhookEvent, event_id).dispatched)

    response = app.test_client().post("/raise-for-test", buffered=False)
    event_id = int(b"".join(response.response))
    time.sleep(0.3)  # time enough for a dispatcher thread, had the entries been handed over already
    assert not dispatched(event_id) and _deliveries(app) == []
    response.close()
    deadline = time.monotonic() + 5
    while not dispatched(event_id) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert dispatched(event_id) and _deliveries(app) == [event_id]
