"""services.properties: property rules, settings, publishing, and the property_* events."""

from __future__ import annotations

import pytest

from jomres_like.extensions import db
from jomres_like.models import DEFAULT_PROPERTY_SETTINGS
from jomres_like.services import Conflict, ValidationError
from jomres_like.services import properties as service
from jomres_like.services.access import visible_properties


def test_create_property_assigns_managers_and_raises_property_created(manager, make_user, events):
    boss = make_user("boss", role="super_manager")
    events.mark()

    prop = service.create_property({"name": " Grand Budapest ", "country": "hu", "town": "Lutz"},
                                   managers=[manager, boss])

    assert (prop.name, prop.country, prop.town) == ("Grand Budapest", "HU", "Lutz")
    assert prop.settings == DEFAULT_PROPERTY_SETTINGS
    assert [m.username for m in prop.managers] == ["mgr"]  # super managers are never assigned
    assert prop.published is False
    event = events.one("property_created")
    assert event.data == {"property_uid": prop.id}
    assert event.property_id == prop.id


@pytest.mark.parametrize(
    ("values", "field"),
    [({}, "name"), ({"name": " "}, "name"), ({"name": "x" * 256}, "name"),
     ({"name": "A", "country": "HUN"}, "country"), ({"name": "A", "telephone": "1" * 41}, "telephone")],
)
def test_create_property_refuses_bad_values(ctx, events, values, field):
    with pytest.raises(ValidationError) as error:
        service.create_property(values)
    assert error.value.field == field
    assert events.rows() == []


def test_update_property_raises_property_updated_with_the_changes(prop, events):
    changes = service.update_property(prop, {"name": "Fawlty Towers", "town": "Torquay", "country": "gb"})

    assert changes == {"town": ["", "Torquay"], "country": ["", "GB"]}
    event = events.one("property_updated")
    assert event.data == {"property_uid": prop.id}
    assert event.event_metadata == {"changes": changes}


def test_update_property_without_a_change_raises_nothing(prop, events):
    assert service.update_property(prop, {"name": " Fawlty Towers "}) == {}
    assert events.rows() == []


def test_update_property_refuses_an_empty_name(prop, events):
    with pytest.raises(ValidationError):
        service.update_property(prop, {"name": ""})
    assert prop.name == "Fawlty Towers"
    assert events.rows() == []


def test_publishing_raises_published_then_unpublished(prop, events):
    assert service.set_published(prop, True) is True
    assert service.set_published(prop, True) is False
    db.session.commit()
    assert service.set_published(prop, False) is True

    assert events.names() == ["property_published", "property_unpublished"]
    assert all(row.data == {"property_uid": prop.id} for row in events.rows())
    assert prop.published is False


def test_an_unapproved_property_cannot_be_published(prop, events):
    prop.approved = False
    events.mark()
    with pytest.raises(Conflict):
        service.set_published(prop, True)
    assert prop.published is False
    assert events.rows() == []


def test_update_settings_cleans_values_and_raises_property_settings_updated(prop, events):
    changes = service.update_settings(prop, {"currency": "gbp", "checkin_time": "9:30",
                                             "deposit_percent": "30", "tax_rate": "7.5",
                                             "checkout_time": "11:00"})

    assert changes == {"currency": ["EUR", "GBP"], "checkin_time": ["14:00", "09:30"],
                       "deposit_percent": [20, 30], "tax_rate": [0, 7.5]}
    assert prop.setting("currency") == "GBP" and prop.setting("deposit_percent") == 30
    event = events.one("property_settings_updated")
    assert event.data == {"property_uid": prop.id}
    assert event.event_metadata == {"changes": changes}


def test_update_settings_without_a_change_raises_nothing(prop, events):
    assert service.update_settings(prop, {"currency": "eur", "checkin_time": "14:00"}) == {}
    assert events.rows() == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"colour": "red"}, "colour"),
        ({"currency": ""}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"checkin_time": "25:00"}, "checkin_time"),
        ({"checkout_time": "noon"}, "checkout_time"),
        ({"checkout_time": "11:60"}, "checkout_time"),
        ({"deposit_percent": 101}, "deposit_percent"),
        ({"deposit_percent": -1}, "deposit_percent"),
        ({"tax_rate": -2}, "tax_rate"),
        ({"contact_email": "x" * 256}, "contact_email"),
    ],
)
def test_update_settings_refuses_bad_values(prop, events, values, field):
    before = dict(prop.settings)
    with pytest.raises(ValidationError) as error:
        service.update_settings(prop, values)
    assert error.value.field == field
    assert prop.settings == before
    assert events.rows() == []


def test_delete_property_hides_it_once(prop, manager, events):
    service.delete_property(prop)
    service.delete_property(prop)

    assert (prop.deleted, prop.published) == (True, False)
    assert events.one("property_deleted").data == {"property_uid": prop.id}
    assert visible_properties(manager) == []
