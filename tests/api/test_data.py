"""Data endpoints: properties, bookings (list, create, modify, cancel), tariffs, guests; envelope, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import Booking, Room, WebhookEvent
from jomres_like.timeutil import utc_today

from .conftest import OWN, bearer

FAR = utc_today() + timedelta(days=200)


@pytest.fixture
def token(world, token_for):
    """A token of ``manager`` with every scope."""
    return token_for("manager")


def _free_room(app) -> int:
    with app.app_context():
        return db.session.scalars(
            select(Room.id).where(Room.property_id == OWN, Room.deleted.is_(False))
        ).first()


def _events(app, name: str) -> list[WebhookEvent]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(WebhookEvent).where(WebhookEvent.event == name).order_by(WebhookEvent.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def test_properties_list_only_managed_ones(client, token):
    body = client.get("/jomres/api/properties", headers=bearer(token)).json
    assert [p["property_uid"] for p in body["data"]["properties"]] == [1, 2]


def test_property_read_includes_settings(client, token):
    details = client.get("/jomres/api/properties/1", headers=bearer(token)).json["data"]["property_details"]
    assert details["property_name"] == "Fawlty Towers"
    assert details["settings"]["currency"]


def test_bookings_list_filters_and_pages(client, token):
    everything = client.get("/jomres/api/properties/1/bookings?per_page=100", headers=bearer(token))
    total = everything.json["meta"]["total"]
    assert total == len(everything.json["data"]["bookings"]) > 1
    first = client.get("/jomres/api/properties/1/bookings?per_page=1&page=1", headers=bearer(token)).json
    second = client.get("/jomres/api/properties/1/bookings?per_page=1&page=2", headers=bearer(token)).json
    assert first["data"]["bookings"][0]["contract_uid"] != second["data"]["bookings"][0]["contract_uid"]
    today = utc_today()
    window = client.get(
        f"/jomres/api/properties/1/bookings?from={today + timedelta(days=6)}&to={today + timedelta(days=9)}",
        headers=bearer(token),
    ).json["data"]["bookings"]
    for booking in window:
        assert booking["departure"] > (today + timedelta(days=6)).isoformat()
        assert booking["arrival"] < (today + timedelta(days=9)).isoformat()
    assert len(window) < total


def test_bookings_list_refuses_inverted_dates(client, token):
    response = client.get(
        "/jomres/api/properties/1/bookings?from=2030-01-10&to=2030-01-01", headers=bearer(token)
    )
    assert response.status_code == 422


def test_create_modify_cancel_a_booking(app, client, token):
    room = _free_room(app)
    created = client.post(
        "/jomres/api/properties/1/bookings",
        headers=bearer(token),
        json={
            "arrival": FAR.isoformat(),
            "departure": (FAR + timedelta(days=2)).isoformat(),
            "room_uids": [room],
            "guest": {"firstname": "Api", "surname": "Guest", "email": "api@example.com"},
            "contract_total": 250,
            "special_reqs": "Quiet room",
        },
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    booking = created.json["data"]["contract_details"]
    assert booking["surname"] == "Guest" and booking["room_uids"] == [room]
    assert _events(app, "booking_added")[-1].data["contract_uid"] == booking["contract_uid"]

    url = f"/jomres/api/properties/1/bookings/{booking['contract_uid']}"
    changed = client.patch(
        url, headers=bearer(token), json={"departure": (FAR + timedelta(days=3)).isoformat()}
    )
    assert changed.status_code == 200
    assert changed.json["data"]["contract_details"]["departure"] == (FAR + timedelta(days=3)).isoformat()
    modified = _events(app, "booking_modified")[-1]
    assert modified.event_metadata["changes"]["departure"] == [
        (FAR + timedelta(days=2)).isoformat(),
        (FAR + timedelta(days=3)).isoformat(),
    ]

    cancelled = client.post(url + "/cancel", headers=bearer(token), json={"reason": "Changed plans"})
    assert cancelled.status_code == 200
    assert cancelled.json["data"]["contract_details"]["cancelled"] is True
    again = client.post(url + "/cancel", headers=bearer(token))
    assert again.status_code == 409
    assert client.get(url, headers=bearer(token)).json["data"]["contract_details"]["cancelled"] is True


def test_rule_errors_write_nothing(app, client, token):
    room = _free_room(app)
    with app.app_context():
        before = db.session.scalar(select(db.func.count(Booking.id)))
    response = client.post(
        "/jomres/api/properties/1/bookings",
        headers=bearer(token),
        json={"arrival": FAR.isoformat(), "departure": FAR.isoformat(), "room_uids": [room], "guest_uid": 1},
    )
    assert response.status_code == 422
    assert response.json["errors"]
    with app.app_context():
        assert db.session.scalar(select(db.func.count(Booking.id))) == before


@pytest.mark.parametrize(
    "body, status",
    [
        ("{not json", 400),
        ('{"arrival": 5, "departure": "2030-01-02", "room_uids": [1], "guest_uid": 1}', 422),
        ('{"arrival": "2030-01-01", "departure": "2030-01-02", "room_uids": "1", "guest_uid": 1}', 422),
        ('{"arrival": "2030-01-01", "departure": "2030-01-02", "room_uids": [1], "surprise": true}', 422),
        ("[]", 422),
    ],
)
def test_malformed_bodies_are_4xx_with_a_message(client, token, body, status):
    response = client.post(
        "/jomres/api/properties/1/bookings", headers=bearer(token), data=body, content_type="application/json"
    )
    assert response.status_code == status
    assert response.json["error_message"]
    assert response.json["meta"]["code"] == status


def test_oversized_body_is_413_in_the_envelope(client, token):
    response = client.post(
        "/jomres/api/properties/1/bookings",
        headers=bearer(token),
        data='{"special_reqs": "' + "x" * (2 * 1024 * 1024) + '"}',
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.json["meta"]["code"] == 413


def test_wrong_method_is_405_in_the_envelope(client, token):
    response = client.delete("/jomres/api/properties/1", headers=bearer(token))
    assert response.status_code == 405
    assert response.json["meta"]["code"] == 405
    assert "GET" in response.headers["Allow"]


def test_tariffs_read_and_replace(app, client, token):
    tariffs = client.get("/jomres/api/properties/1/tariffs", headers=bearer(token)).json
    assert tariffs["data"]["property_tariffs"]["tariffs"]
    new = [
        {"room_type": "Double", "start_date": "2031-01-01", "end_date": "2031-12-31", "rate_per_night": 120}
    ]
    response = client.put("/jomres/api/properties/1/tariffs", headers=bearer(token), json={"tariffs": new})
    assert response.status_code == 200
    saved = response.json["data"]["property_tariffs"]["tariffs"]
    assert [(t["start_date"], t["rate_per_night"]) for t in saved] == [("2031-01-01", 120.0)]
    event = _events(app, "tariffs_updated")[-1]
    assert ["2031-01-01", "2031-12-31"] in event.event_metadata["date_ranges"]


def test_putting_the_stored_tariffs_again_raises_no_event(app, client, token):
    new = [
        {"room_type": "Double", "start_date": "2031-01-01", "end_date": "2031-12-31", "rate_per_night": 120}
    ]
    first = client.put("/jomres/api/properties/1/tariffs", headers=bearer(token), json={"tariffs": new})
    raised = len(_events(app, "tariffs_updated"))

    again = client.put("/jomres/api/properties/1/tariffs", headers=bearer(token), json={"tariffs": new})

    assert again.status_code == 200
    assert again.json["data"]["property_tariffs"] == first.json["data"]["property_tariffs"]
    assert len(_events(app, "tariffs_updated")) == raised


def test_guests_of_a_property(client, world, token):
    guests = client.get("/jomres/api/properties/1/guests", headers=bearer(token)).json["data"]["guests"]
    ids = {g["guest_uid"] for g in guests}
    assert world.guest in ids and world.deleted_guest not in ids and world.other_guest not in ids


def test_search_is_for_super_managers(client, world, token_for):
    token = token_for("super", ["search_get"])
    found = client.get("/jomres/api/search?q=Fawlty", headers=bearer(token)).json["data"]["search"]
    assert {p["property_uid"] for p in found["properties"]} == {1}
    assert {g["property_uid"] for g in found["guests"]} >= {1, 3}
    assert client.get("/jomres/api/search", headers=bearer(token)).status_code == 422
    assert client.post("/jomres/api/search?q=x", headers=bearer(token)).status_code == 405


def test_managers_cannot_get_the_search_scope(app, world):
    from jomres_like.oauth.keys import create_key, find_user
    from jomres_like.services import ValidationError

    with app.app_context(), pytest.raises(ValidationError):
        create_key(find_user("manager"), "nope", ["search_get"])
