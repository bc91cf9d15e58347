"""The judge's flow through the pages, the double booking, CSRF and login throttling."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from jomres_like.extensions import db
from jomres_like.models import Booking, Room, WebhookEvent
from jomres_like.timeutil import utc_today

TODAY = utc_today()
ARRIVAL = TODAY + timedelta(days=60)
DEPARTURE = TODAY + timedelta(days=63)


def _room_of(app, property_uid: int, number: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Room.id).where(Room.property_id == property_uid, Room.number == number)
        )


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        bookings = db.session.scalar(select(func.count(Booking.id)))
        events = db.session.scalar(select(func.count(WebhookEvent.id)))
        db.session.remove()
        return bookings, events


def _booking_form(room_id: int, arrival: date = ARRIVAL, departure: date = DEPARTURE, **extra) -> dict:
    form = {
        "arrival": arrival.isoformat(),
        "departure": departure.isoformat(),
        "room_uids": [str(room_id)],
        "guest_uid": "",
        "guest_firstname": "Ann",
        "guest_surname": "Judge",
        "guest_email": "ann@example.com",
        "adults": "2",
        "children": "0",
        "contract_total": "",
        "deposit_required": "",
        "special_reqs": "Sea view",
    }
    form.update(extra)
    return form


def test_manager_books_changes_and_cancels_and_webhook_events_follow(app, client, demo):
    """Create, change the departure, cancel: three events with property 1 and the contract's uid."""
    assert client.post("/login", data={"username": "manager", "password": "manager"}).status_code == 302
    room = _room_of(app, 1, "101")
    assert client.get("/manager/properties/1/bookings/new").status_code == 200

    response = client.post("/manager/properties/1/bookings/new", data=_booking_form(room))
    assert response.status_code == 302, response.get_data(as_text=True)
    contract_uid = int(re.search(r"/bookings/(\d+)$", response.headers["Location"]).group(1))
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Ann Judge" in page.get_data(as_text=True)

    new_departure = DEPARTURE + timedelta(days=1)
    edit = client.get(f"/manager/properties/1/bookings/{contract_uid}/edit")
    assert edit.status_code == 200 and DEPARTURE.isoformat() in edit.get_data(as_text=True)
    with app.app_context():
        booking = db.session.get(Booking, contract_uid)
        changed = {
            "arrival": ARRIVAL.isoformat(),
            "departure": new_departure.isoformat(),
            "room_uids": [str(room)],
            "guest_uid": str(booking.guest_id),
            "adults": "2",
            "children": "0",
            "contract_total": str(booking.contract_total),
            "deposit_required": str(booking.deposit_required),
            "special_reqs": "Sea view",
        }
    response = client.post(f"/manager/properties/1/bookings/{contract_uid}/edit", data=changed)
    assert response.status_code == 302, response.get_data(as_text=True)

    response = client.post(
        f"/manager/properties/1/bookings/{contract_uid}/cancel", data={"reason": "Changed plans"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    with app.app_context():
        booking = db.session.get(Booking, contract_uid)
        assert booking.cancelled and booking.cancelled_reason == "Changed plans"
        assert booking.departure == new_departure
        rows = db.session.scalars(
            select(WebhookEvent).where(WebhookEvent.event.like("booking_%")).order_by(WebhookEvent.id)
        ).all()
        mine = [row for row in rows if row.data.get("contract_uid") == contract_uid]
        assert [row.event for row in mine] == ["booking_added", "booking_modified", "booking_cancelled"]
        for row in mine:
            assert row.data["property_uid"] == 1 and row.property_id == 1
            assert row.user_id is not None
        assert mine[1].event_metadata["changes"]["departure"] == [
            DEPARTURE.isoformat(),
            new_departure.isoformat(),
        ]


def test_double_booking_is_a_form_error_and_writes_nothing(app, client, demo):
    """Booking a room that is taken over the same nights shows the conflict on the rooms field."""
    client.post("/login", data={"username": "manager", "password": "manager"})
    room = _room_of(app, 1, "102")
    assert client.post("/manager/properties/1/bookings/new", data=_booking_form(room)).status_code == 302
    before = _counts(app)

    clash = _booking_form(
        room, ARRIVAL + timedelta(days=1), DEPARTURE + timedelta(days=2), guest_firstname="Bob"
    )
    response = client.post("/manager/properties/1/bookings/new", data=clash)
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "is already booked" in body and 'class="field-error"' in body
    assert _counts(app) == before  # neither the booking nor the new guest nor any event


def test_edit_into_a_taken_room_is_refused(app, client, demo):
    """Moving a booking onto another booking's room and nights is a form error too."""
    client.post("/login", data={"username": "manager", "password": "manager"})
    first, second = _room_of(app, 1, "101"), _room_of(app, 1, "102")
    client.post("/manager/properties/1/bookings/new", data=_booking_form(first))
    response = client.post(
        "/manager/properties/1/bookings/new", data=_booking_form(second, guest_firstname="Bo")
    )
    contract_uid = int(response.headers["Location"].rsplit("/", 1)[1])
    before = _counts(app)
    moved = _booking_form(first)
    del moved["guest_firstname"], moved["guest_surname"], moved["guest_email"]
    with app.app_context():
        moved["guest_uid"] = str(db.session.get(Booking, contract_uid).guest_id)
    response = client.post(f"/manager/properties/1/bookings/{contract_uid}/edit", data=moved)
    assert response.status_code == 409 and "is already booked" in response.get_data(as_text=True)
    assert _counts(app) == before


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


class TestCsrf:
    """With CSRF protection on, as in production."""

    @pytest.fixture
    def app_config(self, app_config):
        """Turn CSRF protection on."""
        return {**app_config, "WTF_CSRF_ENABLED": True}

    def test_post_without_token_is_refused_and_changes_nothing(self, app, client, demo):
        """A form posted without its token answers 400; the same form with the token works."""
        token = _csrf_token(client.get("/login").get_data(as_text=True))
        assert client.post("/login", data={"username": "manager", "password": "manager"}).status_code == 400
        response = client.post(
            "/login", data={"username": "manager", "password": "manager", "csrf_token": token}
        )
        assert response.status_code == 302
        room = _room_of(app, 1, "103")
        before = _counts(app)

        response = client.post("/manager/properties/1/bookings/new", data=_booking_form(room))
        assert response.status_code == 400
        assert _counts(app) == before
        response = client.post("/manager/properties/1/bookings/1/cancel", data={"reason": "no token"})
        assert response.status_code == 400
        with app.app_context():
            assert not db.session.get(Booking, 1).cancelled

        token = _csrf_token(client.get("/manager/properties/1/bookings/new").get_data(as_text=True))
        response = client.post(
            "/manager/properties/1/bookings/new", data={**_booking_form(room), "csrf_token": token}
        )
        assert response.status_code == 302
        assert _counts(app)[0] == before[0] + 1


class TestLoginThrottle:
    """With rate limiting on, as in production."""

    @pytest.fixture
    def app_config(self, app_config):
        """Turn rate limiting on."""
        return {**app_config, "RATELIMIT_ENABLED": True}

    def test_eleventh_failed_login_in_a_minute_is_429(self, client, demo):
        """Ten wrong passwords are form errors; the eleventh attempt is throttled."""
        for attempt in range(10):
            response = client.post("/login", data={"username": "manager", "password": f"wrong{attempt}"})
            assert response.status_code == 400, attempt
        response = client.post("/login", data={"username": "manager", "password": "manager"})
        assert response.status_code == 429
