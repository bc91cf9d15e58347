"""Guest pages: list with search and pagination, new, edit, delete."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import Guest

from .helpers import count, events, get


def _guest(app, surname: str, property_uid: int = 1) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Guest.id)
            .where(Guest.property_id == property_uid, Guest.surname == surname)
            .order_by(Guest.id)
        )


def test_list_and_search(manager):
    """The list shows the property's guests; the search narrows it to matching names."""
    body = manager.get("/manager/properties/1/guests").get_data(as_text=True)
    assert "Basil Fawlty" in body and "Polly Sherman" in body
    body = manager.get("/manager/properties/1/guests?q=sherman").get_data(as_text=True)
    assert "Polly Sherman" in body and "Basil Fawlty" not in body


def test_search_too_long_is_a_400(manager):
    """An over-long search is refused with a message, not run."""
    response = manager.get("/manager/properties/1/guests?q=" + "x" * 101)
    assert response.status_code == 400 and 'class="field-error"' in response.get_data(as_text=True)


class TestPagination:
    """Three guests per page."""

    @pytest.fixture
    def app_config(self, app_config):
        """A small page size."""
        return {**app_config, "JOMRES_PAGE_SIZE": 3}

    def test_second_page(self, manager):
        """Four demo guests make two pages, sorted by surname."""
        body = manager.get("/manager/properties/1/guests?page=2").get_data(as_text=True)
        assert "Page 2 of 2" in body and "Polly Sherman" in body and "Basil Fawlty" not in body


def test_new_guest_is_saved(app, manager):
    """A new guest is stored with an upper-case country and raises ``guest_saved``."""
    data = {"firstname": "Terry", "surname": "Hughes", "email": "terry@example.com", "country": "gb"}
    assert manager.post("/manager/properties/1/guests/new", data=data).status_code == 302
    uid = events(app, "guest_saved")[-1].data["guest_uid"]
    guest = get(app, Guest, uid)
    assert (guest.full_name, guest.country, guest.property_id) == ("Terry Hughes", "GB", 1)


def test_new_guest_with_a_bad_email_is_a_form_error(app, manager):
    """An address without @ is refused on the email field."""
    before = count(app, Guest)
    response = manager.post(
        "/manager/properties/1/guests/new", data={"firstname": "A", "surname": "B", "email": "not-an-address"}
    )
    assert response.status_code == 422 and "not a valid address" in response.get_data(as_text=True)
    assert count(app, Guest) == before


def test_edit_guest_records_changes(app, manager):
    """Editing raises ``guest_updated`` with the changed fields only."""
    uid = _guest(app, "Garcia")
    assert manager.get(f"/manager/properties/1/guests/{uid}/edit").status_code == 200
    data = {
        "firstname": "Manuel",
        "surname": "Garcia",
        "email": "manuel@example.com",
        "town": "Barcelona",
        "country": "ES",
    }
    assert manager.post(f"/manager/properties/1/guests/{uid}/edit", data=data).status_code == 302
    changes = events(app, "guest_updated")[-1].event_metadata["changes"]
    assert changes["town"] == ["Torquay", "Barcelona"] and "firstname" not in changes


def test_guest_with_a_future_booking_cannot_be_deleted(app, manager):
    """Deleting a guest who is booked is refused with 409; a guest without bookings goes."""
    booked = _guest(app, "Sherman")  # checked in right now
    response = manager.post(f"/manager/properties/1/guests/{booked}/delete")
    assert response.status_code == 409 and "cannot be deleted" in response.get_data(as_text=True)
    assert not get(app, Guest, booked).deleted
    manager.post("/manager/properties/1/guests/new", data={"firstname": "Walk", "surname": "In"})
    lonely = _guest(app, "In")
    assert manager.post(f"/manager/properties/1/guests/{lonely}/delete").status_code == 302
    assert get(app, Guest, lonely).deleted
    assert manager.get(f"/manager/properties/1/guests/{lonely}/edit").status_code == 404


def test_guest_of_another_property_is_404(app, manager):
    """Property 3's guest cannot be reached through property 1."""
    other = _guest(app, "Fawlty", 3)
    assert manager.get(f"/manager/properties/1/guests/{other}/edit").status_code == 404
    assert manager.post(f"/manager/properties/1/guests/{other}/delete").status_code == 404
