"""Helpers of the end-to-end webhook tests (test_e2e.py): forms posted as a browser would, webhooks and
bookings on the live database, what a pytest-httpserver receiver got, guests created through the UI.
"""

from __future__ import annotations

import json
import threading

import requests
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import Booking, User


def submit(browser: requests.Session, url: str, **changes) -> requests.Response:
    """GET the form at ``url``, change some fields, POST it back (CSRF token included)."""
    from live import form_fields

    page = browser.get(url, timeout=10)
    assert page.status_code == 200, page.text[:300]
    fields = [(name, value) for name, value in form_fields(page.text) if name not in changes]
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


def task_files(folder) -> dict:
    """The task files (50-letter names) under ``folder`` with their contents."""
    return {
        str(path): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and len(path.name) == 50 and path.name.isalpha()
    }
