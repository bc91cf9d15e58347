"""Property pages: list, overview, details, settings, publishing, creation by super managers."""

from __future__ import annotations

from jomres_like.models import Property

from .helpers import events, get


def test_list_shows_only_the_managers_properties(manager):
    """``manager`` sees Fawlty Towers and Best West Hotel, never Grand Budapest."""
    body = manager.get("/manager/properties").get_data(as_text=True)
    assert "Fawlty Towers" in body and "Best West Hotel" in body
    assert "Grand Budapest" not in body


def test_overview_shows_details_and_counts(manager):
    """The overview names the property and links its areas."""
    response = manager.get("/manager/properties/1")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Fawlty Towers" in body and "/manager/properties/1/bookings" in body


def test_edit_details_saves_and_raises_property_updated(app, manager):
    """Changing the name and town is saved and raises ``property_updated`` with the changes."""
    data = {
        "name": "Fawlty Towers Hotel",
        "town": "Torquay, Devon",
        "country": "gb",
        "email": "info@example.com",
    }
    response = manager.post("/manager/properties/1/edit", data=data)
    assert response.status_code == 302
    prop = get(app, Property, 1)
    assert (prop.name, prop.town, prop.country) == ("Fawlty Towers Hotel", "Torquay, Devon", "GB")
    changes = events(app, "property_updated")[-1].event_metadata["changes"]
    assert changes["name"] == ["Fawlty Towers", "Fawlty Towers Hotel"]


def test_edit_details_without_a_name_is_a_form_error(app, manager):
    """A blank name is refused on the field; nothing is saved."""
    response = manager.post("/manager/properties/1/edit", data={"name": "  ", "town": "Elsewhere"})
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert get(app, Property, 1).town == "Torquay"


def test_settings_are_saved_with_their_changes(app, manager):
    """Currency, times, deposit and tax are saved and raise ``property_settings_updated``."""
    form = manager.get("/manager/properties/1/settings").get_data(as_text=True)
    assert 'type="time"' in form and "14:00" in form
    data = {
        "currency": "gbp",
        "checkin_time": "15:00",
        "checkout_time": "10:30",
        "deposit_percent": "30",
        "tax_rate": "20",
        "contact_email": "desk@example.com",
        "contact_phone": "+44 1803 000000",
    }
    assert manager.post("/manager/properties/1/settings", data=data).status_code == 302
    prop = get(app, Property, 1)
    assert prop.setting("currency") == "GBP" and prop.setting("checkin_time") == "15:00"
    assert prop.setting("deposit_percent") == 30
    changes = events(app, "property_settings_updated")[-1].event_metadata["changes"]
    assert changes["checkout_time"] == ["11:00", "10:30"]


def test_settings_with_bad_values_are_form_errors(app, manager):
    """A two-letter currency and a deposit over 100 % are refused; nothing changes."""
    data = {"currency": "EU", "checkin_time": "15:00", "checkout_time": "25:00", "deposit_percent": "150"}
    response = manager.post("/manager/properties/1/settings", data=data)
    assert response.status_code == 422
    assert response.get_data(as_text=True).count('class="field-error"') >= 3
    assert get(app, Property, 1).setting("currency") == "EUR"
    assert events(app, "property_settings_updated") == []


def test_unpublish_and_publish_raise_their_events(app, manager):
    """The POST buttons flip the flag and raise ``property_unpublished`` then ``property_published``."""
    assert manager.post("/manager/properties/1/unpublish").status_code == 302
    assert not get(app, Property, 1).published
    assert manager.post("/manager/properties/1/publish").status_code == 302
    assert get(app, Property, 1).published
    assert [e.data["property_uid"] for e in events(app, "property_unpublished")] == [1]
    assert len(events(app, "property_published")) == 4  # three from the demo, one here


def test_publishing_an_unapproved_property_is_refused(app, manager):
    """A property awaiting approval cannot be published: 409 with the reason on the page."""
    from jomres_like.extensions import db

    with app.app_context():
        prop = db.session.get(Property, 2)
        prop.approved, prop.published = False, False
        db.session.commit()
    response = manager.post("/manager/properties/2/publish")
    assert response.status_code == 409
    assert "awaiting approval" in response.get_data(as_text=True)
    assert not get(app, Property, 2).published


def test_super_manager_creates_a_property(app, client, demo):
    """Super managers may add a property; it raises ``property_created``."""
    client.post("/login", data={"username": "super", "password": "super"})
    response = client.post("/manager/properties/new", data={"name": "Overlook Hotel", "town": "Sidewinder"})
    assert response.status_code == 302
    uid = events(app, "property_created")[-1].data["property_uid"]
    assert get(app, Property, uid).name == "Overlook Hotel"
    response = client.post("/manager/properties/new", data={"name": ""})
    assert response.status_code == 422


def test_manager_cannot_create_a_property(manager):
    """The creation page is for super managers only."""
    assert manager.post("/manager/properties/new", data={"name": "Mine"}).status_code == 403
