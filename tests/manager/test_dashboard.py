"""The manager dashboard."""

from __future__ import annotations


def test_dashboard_lists_own_properties_and_upcoming_bookings(manager):
    """Fawlty Towers and Best West are there with their bookings; Grand Budapest is not."""
    response = manager.get("/manager/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Fawlty Towers" in body and "Best West Hotel" in body and "Grand Budapest" not in body
    assert "Basil Fawlty" in body  # the first demo booking is upcoming
    assert "/manager/properties/1/bookings/new" in body


def test_super_manager_sees_every_property(client, demo):
    """Super managers see all three properties."""
    client.post("/login", data={"username": "super", "password": "super"})
    body = client.get("/manager/").get_data(as_text=True)
    assert all(name in body for name in ("Fawlty Towers", "Best West Hotel", "Grand Budapest"))


def test_manager_without_properties_is_told_so(client, make_user):
    """A manager with no assignment sees an explanation, not an empty table."""
    make_user("lonely")
    client.post("/login", data={"username": "lonely", "password": "lonely-pass"})
    assert "not assigned to any property" in client.get("/manager/").get_data(as_text=True)
