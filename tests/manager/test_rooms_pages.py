"""Room pages: list, new, edit, delete."""

from __future__ import annotations

from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import Room

from .helpers import count, events, get


def _room(app, number: str, property_uid: int = 1) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Room.id).where(Room.property_id == property_uid, Room.number == number)
        )


def test_list_shows_the_rooms(manager):
    """Four demo rooms are listed."""
    body = manager.get("/manager/properties/1/rooms").get_data(as_text=True)
    assert all(number in body for number in ("101", "102", "103", "104"))


def test_add_and_edit_a_room(app, manager):
    """A new room raises ``room_added``; editing it raises ``room_updated`` with the changes."""
    data = {"number": "201", "name": "Garden", "room_type": "Suite", "max_people": "3"}
    assert manager.post("/manager/properties/1/rooms/new", data=data).status_code == 302
    uid = events(app, "room_added")[-1].data["room_uid"]
    assert get(app, Room, uid).room_type == "Suite"
    assert (
        manager.post(f"/manager/properties/1/rooms/{uid}/edit", data={**data, "max_people": "4"}).status_code
        == 302
    )
    assert events(app, "room_updated")[-1].event_metadata["changes"] == {"max_people": [3, 4]}


def test_duplicate_room_number_is_a_form_error(app, manager):
    """A second room 101 is refused on the number field (409)."""
    before = count(app, Room)
    response = manager.post(
        "/manager/properties/1/rooms/new", data={"number": "101", "room_type": "Double", "max_people": "2"}
    )
    assert response.status_code == 409 and "already exists" in response.get_data(as_text=True)
    assert count(app, Room) == before


def test_room_with_bad_capacity_is_a_form_error(manager):
    """Zero or non-numeric capacity is refused."""
    for value in ("0", "many"):
        response = manager.post(
            "/manager/properties/1/rooms/new",
            data={"number": "300", "room_type": "Double", "max_people": value},
        )
        assert response.status_code == 422, value


def test_room_with_future_bookings_cannot_be_deleted(app, manager):
    """Room 101 has a demo booking: 409; a fresh room is deleted."""
    booked = _room(app, "101")
    response = manager.post(f"/manager/properties/1/rooms/{booked}/delete")
    assert response.status_code == 409 and "future bookings" in response.get_data(as_text=True)
    assert not get(app, Room, booked).deleted
    manager.post(
        "/manager/properties/1/rooms/new", data={"number": "999", "room_type": "Double", "max_people": "2"}
    )
    fresh = _room(app, "999")
    assert manager.post(f"/manager/properties/1/rooms/{fresh}/delete").status_code == 302
    assert get(app, Room, fresh).deleted
    assert events(app, "room_deleted")[-1].data["room_uid"] == fresh


def test_room_of_another_property_is_404(app, manager):
    """Property 3's room cannot be edited through property 1."""
    other = _room(app, "101", 3)
    assert manager.get(f"/manager/properties/1/rooms/{other}/edit").status_code == 404
