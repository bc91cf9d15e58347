"""Tariff pages: list, new, edit, delete."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import Tariff
from jomres_like.timeutil import utc_today

from .helpers import count, events, get

TODAY = utc_today()


def _form(**extra) -> dict:
    data = {
        "name": "Winter",
        "room_type": "Double",
        "start_date": (TODAY + timedelta(days=500)).isoformat(),
        "end_date": (TODAY + timedelta(days=530)).isoformat(),
        "rate_per_night": "80.50",
        "min_nights": "2",
        "max_nights": "14",
        "pricing_type": "per_room",
    }
    data.update(extra)
    return data


def test_list_shows_the_tariffs(manager):
    """The demo's three tariffs are listed."""
    body = manager.get("/manager/properties/1/tariffs").get_data(as_text=True)
    assert "Double standard" in body and "Family standard" in body


def test_add_edit_and_delete_a_tariff(app, manager):
    """Each change raises ``tariffs_updated`` with the date ranges it touched."""
    assert manager.post("/manager/properties/1/tariffs/new", data=_form()).status_code == 302
    with app.app_context():
        uid = db.session.scalar(select(Tariff.id).where(Tariff.name == "Winter"))
    event = events(app, "tariffs_updated")[-1]
    assert event.event_metadata["date_ranges"] == [[_form()["start_date"], _form()["end_date"]]]
    assert (
        manager.post(
            f"/manager/properties/1/tariffs/{uid}/edit",
            data=_form(rate_per_night="99", pricing_type="per_person"),
        ).status_code
        == 302
    )
    tariff = get(app, Tariff, uid)
    assert tariff.rate_per_night == Decimal("99.00") and tariff.pricing_type == "per_person"
    assert events(app, "tariffs_updated")[-1].event_metadata["pricing_types"] == ["per_person", "per_room"]
    assert manager.post(f"/manager/properties/1/tariffs/{uid}/delete").status_code == 302
    assert get(app, Tariff, uid) is None


def test_end_before_start_is_a_form_error(app, manager):
    """An end date before the start is refused on the end date."""
    before = count(app, Tariff)
    response = manager.post(
        "/manager/properties/1/tariffs/new", data=_form(end_date=(TODAY + timedelta(days=400)).isoformat())
    )
    assert response.status_code == 422 and "End date must be after" in response.get_data(as_text=True)
    assert count(app, Tariff) == before


def test_bad_pricing_type_and_rate_are_form_errors(manager):
    """An unknown pricing type and a non-numeric rate are refused."""
    response = manager.post("/manager/properties/1/tariffs/new", data=_form(pricing_type="per_pet"))
    assert response.status_code == 422
    response = manager.post("/manager/properties/1/tariffs/new", data=_form(rate_per_night="cheap"))
    assert response.status_code == 422


def test_tariff_of_another_property_is_404(app, manager):
    """Property 3's tariff cannot be reached through property 1."""
    with app.app_context():
        other = db.session.scalar(select(Tariff.id).where(Tariff.property_id == 3))
    assert manager.get(f"/manager/properties/1/tariffs/{other}/edit").status_code == 404
    assert manager.post(f"/manager/properties/1/tariffs/{other}/delete").status_code == 404
