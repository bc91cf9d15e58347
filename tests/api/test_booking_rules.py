"""The booking rules through the REST API: 422 naming every field at fault, 409 naming the booking number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jomres_like.extensions import db
from jomres_like.models import Booking, Room
from jomres_like.timeutil import utc_today

from .conftest import OWN, bearer

BOOKINGS = f"/jomres/api/properties/{OWN}/bookings"


@pytest.fixture
def token(world, token_for):
    """A token of ``manager`` with every scope."""
    return token_for("manager")


def day(n: int) -> str:
    return (utc_today() + timedelta(days=n)).isoformat()


def room(app, number: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Room.id).where(Room.property_id == OWN, Room.number == number))


def bookings(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Booking.id)))


def body(app, **extra) -> dict:
    """A valid booking of room 101 (a Double for two) far ahead."""
    return {"arrival": day(170), "departure": day(172), "room_uids": [room(app, "101")], "guest_uid": 1,
            "contract_total": 200, **extra}


def test_nine_adults_in_a_double_are_422_naming_adults(app, client, token):
    before = bookings(app)
    response = client.post(BOOKINGS, headers=bearer(token), json=body(app, adults=9))
    assert response.status_code == 422
    assert response.json["errors"] == {"adults": "9 people do not fit: room 101 (2) sleeps 2 at most."}
    assert response.json["meta"]["error_message"] == response.json["errors"]["adults"]
    assert bookings(app) == before


def test_a_change_beyond_capacity_is_422(app, client, token):
    created = client.post(BOOKINGS, headers=bearer(token), json=body(app, adults=2))
    uid = created.json["data"]["contract_details"]["contract_uid"]
    response = client.patch(f"{BOOKINGS}/{uid}", headers=bearer(token), json={"children": 1})
    assert response.status_code == 422 and set(response.json["errors"]) == {"adults"}


def test_a_past_arrival_needs_past_stay(app, client, token):
    past = body(app, arrival=day(-10), departure=day(-8))
    refused = client.post(BOOKINGS, headers=bearer(token), json=past)
    assert refused.status_code == 422 and set(refused.json["errors"]) == {"arrival"}
    recorded = client.post(BOOKINGS, headers=bearer(token), json={**past, "past_stay": True})
    assert recorded.status_code == 201
    assert recorded.json["data"]["contract_details"]["arrival"] == day(-10)


def test_past_stay_must_be_a_boolean(app, client, token):
    response = client.post(BOOKINGS, headers=bearer(token), json=body(app, past_stay="yes"))
    assert response.status_code == 422 and "past_stay" in response.json["errors"]


def test_every_rule_error_is_named_at_once(app, client, token):
    response = client.post(
        BOOKINGS, headers=bearer(token),
        json=body(app, arrival=day(-3), departure=day(1), adults=3, deposit_required=500),
    )
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"arrival", "adults", "deposit_required"}


def test_an_overlap_is_409_naming_the_booking_number(app, client, token):
    first = client.post(BOOKINGS, headers=bearer(token), json=body(app)).json["data"]["contract_details"]
    with app.app_context():
        number = db.session.get(Booking, first["contract_uid"]).booking_number
    later = body(app, arrival=day(171), departure=day(173))
    response = client.post(BOOKINGS, headers=bearer(token), json=later)
    assert response.status_code == 409
    assert response.json["error_message"] == (
        f"Room 101 is already booked from {day(170)} to {day(172)} (booking {number})."
    )
    assert response.json["errors"] == {"room_uids": response.json["error_message"]}


def test_a_tariff_for_an_unknown_room_type_is_422_naming_the_item_and_field(app, client, token):
    tariffs = [
        {"room_type": "Double", "start_date": day(1), "end_date": day(60), "rate_per_night": 100},
        {"room_type": "Penthouse", "start_date": day(1), "end_date": day(60), "rate_per_night": 900},
    ]
    url = f"/jomres/api/properties/{OWN}/tariffs"
    before = client.get(url, headers=bearer(token)).json["data"]
    response = client.put(url, headers=bearer(token), json={"tariffs": tariffs})
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["tariffs.1.room_type"]
    assert "Penthouse" not in str(client.get(url, headers=bearer(token)).json["data"])
    assert client.get(url, headers=bearer(token)).json["data"] == before
