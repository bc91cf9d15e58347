"""End to end: the real app under gunicorn (tests/live.py), pytest-httpserver receivers on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import threading
import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import requests
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from standardwebhooks import Webhook as StandardWebhook

from jomres_like.extensions import db
from jomres_like.models import Booking, User, WebhookDelivery, WebhookEvent

pytestmark = pytest.mark.e2e


class _FormParser(HTMLParser):
    """The fields of each POST form of a page, as a browser would submit them; ``fields`` is the largest."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._in_form = True
            self.fields = []
            self.forms.append(self.fields)
        if not self._in_form or not attrs.get("name") and tag != "option":
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button"):
                self.fields.append((attrs["name"], attrs.get("value") or ("y" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.append((self._select, attrs.get("value") or ""))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.fields.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea:
            name, value = self.fields[-1]
            self.fields[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._in_form:
            self._in_form = False
            self.fields = max(self.forms, key=len)


def submit(browser: requests.Session, url: str, **changes) -> requests.Response:
    """GET the form at ``url``, change some fields, POST it back (CSRF token included)."""
    parser = _FormParser()
    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text[:300]
    parser.feed(page.text)
    fields = [(name, value) for name, value in parser.fields if name not in changes]
    fields += list(changes.items())
    return browser.post(url, data=fields, allow_redirects=False, timeout=10)


def add_webhook(app, owner: str | None, url: str, **values) -> tuple[int, str]:
    """Create a webhook on the live database; return its id and plaintext secret."""
    from jomres_like import crypto
    from jomres_like.models import Webhook
    from jomres_like.webhooks.signing import generate_secret

    secret = generate_secret()
    with app.app_context():
        owner_id = db.session.scalar(select(User.id).where(User.username == owner)) if owner else None
        hook = Webhook(
            owner_id=owner_id,
            url=url,
            secret_encrypted=crypto.encrypt(secret),
            events=list(values.pop("events", ())),
            **values,
        )
        db.session.add(hook)
        db.session.commit()
        return hook.id, secret


def first_booking(app, property_uid: int) -> Booking:
    """A live booking of the property (demo data)."""
    with app.app_context():
        booking = db.session.scalar(
            select(Booking)
            .where(Booking.property_id == property_uid, Booking.cancelled.is_(False))
            .order_by(Booking.id)
        )
        db.session.expunge(booking)
        return booking


def received(server: HTTPServer, path: str) -> list[dict]:
    """The JSON bodies the receiver got on ``path``."""
    return [json.loads(request.get_data()) for request, _ in list(server.log) if request.path == path]


def hook_url(server: HTTPServer, path: str) -> str:
    """A receiver URL on 127.0.0.1."""
    return f"http://127.0.0.1:{server.port}{path}"


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


def post_guests(server, count: int, prefix: str, threads: int = 4) -> list[int]:
    """Create ``count`` guests through the UI from ``threads`` logged-in browsers; return the statuses."""
    from live import csrf_token

    statuses: list[int] = []

    def work(offset: int):
        browser = server.session("manager", "manager")
        token = csrf_token(browser.get(f"{server.url}/manager/properties/1/guests/new", timeout=10).text)
        for number in range(offset, count, threads):
            response = browser.post(
                f"{server.url}/manager/properties/1/guests/new",
                allow_redirects=False,
                timeout=30,
                data={
                    "csrf_token": token,
                    "firstname": f"{prefix}{number}",
                    "surname": "Guest",
                    "email": f"g{number}@example.com",
                },
            )
            statuses.append(response.status_code)

    workers = [threading.Thread(target=work, args=(offset,), daemon=True) for offset in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    return statuses


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


def _snapshot(folder) -> dict:
    """The task files (50-letter names) under ``folder`` with their contents."""
    return {
        str(path): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and len(path.name) == 50 and path.name.isalpha()
    }


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
    assert wait(lambda: len(_snapshot(folder)) == 1, timeout=5)
    time.sleep(1)
    before = _snapshot(folder)
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
    assert _snapshot(folder) == before
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
