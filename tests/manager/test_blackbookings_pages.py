"""Black booking pages: list, new, delete."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import BlackBooking, Room
from jomres_like.timeutil import utc_today

from .helpers import count, events

TODAY = utc_today()


def _room(app, number: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Room.id).where(Room.property_id == 1, Room.number == number))


def test_take_a_room_out_of_service_and_back(app, manager):
    """Creating and deleting raise ``blackbooking_created`` and ``blackbooking_deleted``."""
    data = {
        "room_uids": [str(_room(app, "104"))],
        "start": (TODAY + timedelta(days=50)).isoformat(),
        "end": (TODAY + timedelta(days=55)).isoformat(),
        "reason": "Painting",
    }
    assert manager.get("/manager/properties/1/blackbookings/new").status_code == 200
    assert manager.post("/manager/properties/1/blackbookings/new", data=data).status_code == 302
    uid = events(app, "blackbooking_created")[-1].data["contract_uid"]
    assert "Painting" in manager.get("/manager/properties/1/blackbookings").get_data(as_text=True)
    assert manager.post(f"/manager/properties/1/blackbookings/{uid}/delete").status_code == 302
    assert events(app, "blackbooking_deleted")[-1].data["contract_uid"] == uid
    assert count(app, BlackBooking) == 0


def test_black_booking_over_a_booking_is_refused(app, manager):
    """Room 101 is booked on days 2 to 5: blacking it out then is a conflict on the rooms field."""
    data = {
        "room_uids": [str(_room(app, "101"))],
        "start": (TODAY + timedelta(days=3)).isoformat(),
        "end": (TODAY + timedelta(days=4)).isoformat(),
    }
    response = manager.post("/manager/properties/1/blackbookings/new", data=data)
    assert response.status_code == 409 and "already booked" in response.get_data(as_text=True)
    assert count(app, BlackBooking) == 0


def test_black_booking_without_rooms_is_a_form_error(manager):
    """At least one room is needed."""
    data = {"start": (TODAY + timedelta(days=3)).isoformat(), "end": (TODAY + timedelta(days=4)).isoformat()}
    response = manager.post("/manager/properties/1/blackbookings/new", data=data)
    assert response.status_code == 422 and "Choose at least one room" in response.get_data(as_text=True)


def test_unknown_black_booking_is_404(manager):
    """Deleting a black booking that does not exist is 404."""
    assert manager.post("/manager/properties/1/blackbookings/12345/delete").status_code == 404
