"""End to end: the real app under gunicorn (tests/live.py), pytest-httpserver receivers on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import threading
import time
from datetime import timedelta

import pytest
import requests
from e2e_support import add_webhook, first_booking, hook_url, post_guests, received, submit, task_files
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from standardwebhooks import Webhook as StandardWebhook

from jomres_like.extensions import db
from jomres_like.models import WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.e2e


def test_booking_changed_in_the_ui_reaches_the_right_receivers(live_server, live_app, httpserver, wait):
    server = live_server()
    for path in ("/mine", "/site", "/other"):
        httpserver.expect_request(path, method="POST").respond_with_data("ok")
    mine, secret = add_webhook(
        live_app, "manager", hook_url(httpserver, "/mine"), events=["booking_modified"]
    )
    add_webhook(live_app, None, hook_url(httpserver, "/site"))
    add_webhook(live_app, "manager2", hook_url(httpserver, "/other"))
    booking = first_booking(live_app, 1)
    browser = server.session("manager", "manager")
    new_departure = (booking.departure + timedelta(days=1)).isoformat()
    url = f"{server.url}/manager/properties/1/bookings/{booking.id}/edit"
    response = submit(browser, url, departure=new_departure)
    assert response.status_code in (302, 303), response.text[:500]
    # gunicorn.conf.py: no keep-alive, so each request goes to a worker with time for it
    assert response.headers.get("Connection", "").lower() == "close"
    assert wait(lambda: received(httpserver, "/mine"), timeout=15)
    request = next(r for r, _ in httpserver.log if r.path == "/mine")
    body = request.get_data(as_text=True)
    StandardWebhook(secret).verify(body, dict(request.headers))
    envelope = json.loads(body)
    assert envelope["id"] == request.headers["webhook-id"] and envelope["id"].startswith("msg_")
    assert envelope["event"] == "booking_modified" and envelope["subscription_id"] == mine
    assert envelope["context"] == "property" and envelope["context_id"] == 1
    assert envelope["data"]["contract_uid"] == booking.id and envelope["data"]["property_uid"] == 1
    assert envelope["data"]["task"] == "booking_modified"
    assert envelope["event_metadata"]["changes"]["departure"][1] == new_departure
    assert request.headers["X-Jomres-Event"] == "booking_modified"
    assert wait(lambda: received(httpserver, "/site"), timeout=15)

    # a super manager's change notifies the property's manager; manager2 never hears of property 1
    boss = server.session("super", "super")
    later = (booking.departure + timedelta(days=2)).isoformat()
    assert submit(boss, url, departure=later).status_code in (302, 303)
    assert wait(lambda: len(received(httpserver, "/mine")) == 2, timeout=15)
    # only subscribed events: a new guest reaches the site-wide webhook, not the booking-only one
    guests_before = len([b for b in received(httpserver, "/site") if b["event"] == "guest_saved"])
    response = submit(
        browser,
        f"{server.url}/manager/properties/1/guests/new",
        firstname="Sybil",
        surname="Fawlty",
        email="sybil@example.com",
    )
    assert response.status_code in (302, 303)
    assert wait(
        lambda: (
            len([b for b in received(httpserver, "/site") if b["event"] == "guest_saved"]) > guests_before
        ),
        timeout=15,
    )
    time.sleep(1)
    assert all(body["event"] == "booking_modified" for body in received(httpserver, "/mine"))
    assert received(httpserver, "/other") == []


def test_failing_receiver_is_retried_until_it_answers(live_server, live_app, httpserver, wait):
    server = live_server()
    for _ in range(3):
        httpserver.expect_ordered_request("/flaky", method="POST").respond_with_data("boom", status=500)
    httpserver.expect_ordered_request("/flaky", method="POST").respond_with_data("ok")
    hook, _secret = add_webhook(live_app, "manager", hook_url(httpserver, "/flaky"))
    server.flask("webhooks", "fire", "booking_modified", "--property", "1", "--id", "1")
    assert wait(lambda: len(httpserver.log) >= 4, timeout=30)

    def delivered():
        with live_app.app_context():
            return db.session.scalar(
                select(WebhookDelivery).where(
                    WebhookDelivery.webhook_id == hook, WebhookDelivery.status == "succeeded"
                )
            )

    delivery = wait(delivered, timeout=10)
    assert delivery is not None and delivery.attempts == 4
    assert len({request.headers["webhook-id"] for request, _ in httpserver.log}) == 1
    assert [r.status_code for _r, r in httpserver.log] == [500, 500, 500, 200]


def test_receiver_down_during_200_events_gets_them_all(live_server, live_app, wait):
    from live import free_port

    port = free_port()
    server = live_server(JOMRES_RETRY_SCHEDULE="0,1,2,3,5,8,8,8,8,8,8,8,8,8,8,8,8,8,8,8")
    add_webhook(live_app, "manager", f"http://127.0.0.1:{port}/down")
    statuses = post_guests(server, 200, "Down")
    assert len(statuses) == 200 and set(statuses) <= {302, 303}
    receiver = HTTPServer(host="127.0.0.1", port=port)
    receiver.expect_request("/down", method="POST").respond_with_data("ok")
    receiver.start()
    try:

        def guests() -> set[int]:
            return {
                body["data"]["guest_uid"]
                for body in received(receiver, "/down")
                if body["event"] == "guest_saved"
            }

        assert wait(lambda: len(guests()) >= 200, timeout=90), len(guests())
        assert len(guests()) == 200

        def unfinished() -> int:
            with live_app.app_context():
                return db.session.scalar(
                    select(func.count(WebhookDelivery.id)).where(WebhookDelivery.status != "succeeded")
                )

        assert wait(lambda: unfinished() == 0, timeout=10)
    finally:
        receiver.clear()
        receiver.stop()


def test_sigkill_during_a_burst_loses_no_committed_event(live_server, live_app, httpserver, wait):
    httpserver.expect_request("/burst", method="POST").respond_with_data("ok")
    server = live_server()
    add_webhook(live_app, "manager", hook_url(httpserver, "/burst"), events=["guest_saved"])
    with live_app.app_context():
        last_demo_event = db.session.scalar(select(func.max(WebhookEvent.id)))
    browser = server.session("manager", "manager")
    from live import csrf_token

    token = csrf_token(browser.get(f"{server.url}/manager/properties/1/guests/new", timeout=10).text)
    stop = threading.Event()

    def burst():
        for number in range(2000):
            if stop.is_set():
                return
            try:
                browser.post(
                    f"{server.url}/manager/properties/1/guests/new",
                    allow_redirects=False,
                    timeout=5,
                    data={"csrf_token": token, "firstname": f"K{number}", "surname": "Burst"},
                )
            except requests.RequestException:
                return

    worker = threading.Thread(target=burst, daemon=True)
    worker.start()
    time.sleep(1.5)
    server.stop(signal.SIGKILL)
    stop.set()
    worker.join(timeout=10)
    with live_app.app_context():
        committed = {
            event.data["guest_uid"]
            for event in db.session.scalars(
                select(WebhookEvent).where(
                    WebhookEvent.event == "guest_saved", WebhookEvent.id > last_demo_event
                )
            )
        }
    assert len(committed) > 5
    server.start(setup=False)

    def arrived() -> set[int]:
        return {body["data"]["guest_uid"] for body in received(httpserver, "/burst")}

    assert wait(lambda: committed <= arrived(), timeout=90), committed - arrived()


def test_bad_background_process_calls_are_refused(live_server, live_app, httpserver, wait):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    server = live_server()
    add_webhook(live_app, "manager", hook_url(httpserver, "/hook"))
    server.flask("webhooks", "fire", "tariffs_updated", "--property", "1")
    assert wait(lambda: len(httpserver.log) == 1, timeout=15)
    line = wait(
        lambda: [
            ln
            for ln in (server.log_dir / "Core.application.log").read_text().splitlines()
            if "Sent async deferred message" in ln
        ],
        timeout=5,
    )
    done_url = line[-1].split(" to ", 1)[1].split(" ~~ ")[0]
    task_id = done_url.split("payload_source=")[1].split("&")[0]
    # a pending task that stays: its processor does not exist, so it is kept untouched
    add_webhook(live_app, "manager2", hook_url(httpserver, "/never"), auth_method="carrier_pigeon")
    server.flask("webhooks", "fire", "tariffs_updated", "--property", "3")
    folder = server.temp_dir / "deferred_tasks"
    assert wait(lambda: len(task_files(folder)) == 1, timeout=5)
    time.sleep(1)
    before = task_files(folder)
    calls = [
        (done_url, 410),  # processed in production: expired
        (f"/background_process?payload_source={task_id}&sig={'0' * 64}", 403),
        (f"/background_process?payload_source={task_id}", 403),
        ("/background_process?payload_source=../../../etc/passwd&sig=00", 400),
        ("/background_process?payload_source=..%2F..%2Finstance%2Fsecret_key&sig=00", 400),
        ("/background_process?payload_source=" + "A" * 49 + "&sig=00", 400),
        ("/background_process", 400),
    ]
    for url, status in calls:
        target = url if url.startswith("http") else server.url + url
        response = requests.get(target, timeout=10)
        assert response.status_code == status, (url, response.text)
        assert response.headers["Content-Type"].startswith("application/json")
    assert requests.post(done_url, timeout=10).status_code == 405
    assert task_files(folder) == before
    time.sleep(0.5)
    assert len(httpserver.log) == 1


def test_two_servers_on_one_postgresql_database(live_server, live_app, httpserver, database_url, wait):
    if not database_url.startswith("postgresql"):
        pytest.skip("two app servers share a PostgreSQL database only in CI's PostgreSQL run")
    httpserver.expect_request("/both", method="POST").respond_with_data("ok")
    first = live_server("a")
    second = live_server("b")
    hook, _ = add_webhook(live_app, "manager", hook_url(httpserver, "/both"), events=["guest_saved"])
    for number, node in enumerate((first, second, first, second)):
        browser = node.session("manager", "manager")
        response = submit(
            browser,
            f"{node.url}/manager/properties/1/guests/new",
            firstname=f"Node{number}",
            surname="Shared",
        )
        assert response.status_code in (302, 303)
    assert wait(lambda: len(received(httpserver, "/both")) >= 4, timeout=30)
    time.sleep(2)  # both sweepers ran a few passes: still once each
    bodies = received(httpserver, "/both")
    assert len(bodies) == 4 and len({body["id"] for body in bodies}) == 4
    with live_app.app_context():
        from jomres_like.models import Webhook

        db.session.get(Webhook, hook).events = ["guest_updated"]
        db.session.commit()
    browser = second.session("manager", "manager")
    submit(browser, f"{second.url}/manager/properties/1/guests/new", firstname="After", surname="Edit")
    time.sleep(2)
    assert len(received(httpserver, "/both")) == 4
    with live_app.app_context():
        assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 4
