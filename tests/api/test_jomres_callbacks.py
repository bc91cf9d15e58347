"""Callbacks shaped as Jomres answers them (shared/JOMRES.md, the callback table): key and listed fields."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jomres_like.extensions import db
from jomres_like.models import Property
from jomres_like.services.tariffs import save_tariff
from jomres_like.timeutil import utc_today

from .conftest import OWN, bearer

CONTRACT = ("arrival", "departure", "guest_uid", "rooms_tariffs", "deposit_paid", "contract_total",
            "special_reqs", "cancelled", "booked_in", "bookedout", "firstname", "surname", "image",
            "roomdeets")
GUEST = ("firstname", "surname", "house", "street", "town", "region", "country", "postcode", "tel_landline",
         "tel_mobile", "discount", "vat_number", "vat_number_validated")
TARIFF = ("rates_uid", "rate_title", "rate_description", "validfrom", "validto", "roomrateperday", "mindays",
          "maxdays", "minpeople", "maxpeople", "roomclass_uid", "ignore_pppn", "allow_we", "weekendonly",
          "dayofweek", "minrooms_alreadyselected", "maxrooms_alreadyselected", "tariff_dates")

# Jomres' callback names for the records we have, with the data key and the fields it lists
TABLE = [
    *[(name, "booking", "contract_details", CONTRACT) for name in (
        "booking_added", "booking_modified", "booking_cancelled", "deposit_saved", "guest_checkedin",
        "guest_checkedin_undone", "guest_checkedout", "guest_checkedout_undone")],
    ("blackbooking_added", "black_booking", "blackbooking_details", ("arrival", "departure", "special_reqs")),
    ("booking_note_save", "note", "note_details", ("note_content",)),
    ("guest_saved", "guest", "guest_details", GUEST),
    ("invoice_saved", "invoice", "invoice_details", ("invoice",)),
    ("invoice_cancelled", "invoice", "invoice_details", ("invoice",)),
    *[(name, None, "property_details", ("property",)) for name in (
        "property_added", "property_saved", "property_published", "property_unpublished")],
    ("property_settings_updated", None, "property_settings", ("currency",)),
    ("room_added", "room", "room_details", ("room_uid", "room_classes_uid", "room_number", "max_people")),
    ("room_updated", "room", "room_details", ("room_uid", "room_classes_uid", "room_number", "max_people")),
    ("rooms_multiple_added", None, "all_property_rooms", ("property_rooms", "room_types")),
    ("tariffs_updated", None, "property_tariffs", ("tariffs",)),
]


def _get(client, token, world, name, subject):
    url = f"/jomres/api/webhooks/{OWN}/{name}"
    if subject is not None:
        url += f"/{getattr(world, subject)}"
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 200, (url, response.get_data(as_text=True))
    return response.json["data"]


@pytest.mark.parametrize(("name", "subject", "key", "wanted"), TABLE, ids=[row[0] for row in TABLE])
def test_jomres_callback_names_answer_jomres_key_and_fields(client, world, token_for, name, subject, key,
                                                            wanted):
    data = _get(client, token_for("manager", ["webhooks_get"]), world, name, subject)
    assert list(data) == [key]
    missing = [field for field in wanted if field not in data[key]]
    assert not missing, missing


def test_contract_details_room_fields(client, world, token_for):
    details = _get(client, token_for("manager", ["webhooks_get"]), world, "booking_added", "booking")[
        "contract_details"]
    pairs = [pair.split("^") for pair in details["rooms_tariffs"].split(",")]
    assert [int(room) for room, _tariff in pairs] == details["room_uids"]
    assert set(details["roomdeets"]) == {str(uid) for uid in details["room_uids"]}
    room = details["roomdeets"][str(details["room_uids"][0])]
    assert room["room_uid"] == details["room_uids"][0] and room["room_classes_uid"] > 0
    assert details["bookedout"] is details["booked_out"]


def test_invoice_and_property_are_nested_objects(client, world, token_for):
    token = token_for("manager", ["webhooks_get"])
    invoice = _get(client, token, world, "invoice_saved", "invoice")["invoice_details"]
    assert invoice["invoice"]["invoice_uid"] == world.invoice and invoice["invoice"]["lines"]
    assert invoice["invoice_uid"] == world.invoice  # our fields stay beside
    prop = _get(client, token, world, "property_saved", None)["property_details"]
    assert prop["property"]["property_uid"] == OWN and prop["property"]["property_name"]


def test_property_tariffs_by_rates_uid_from_today_on(app, client, world, token_for):
    today = utc_today()
    with app.app_context():
        prop = db.session.get(Property, OWN)
        past = save_tariff(prop, {"name": "Past", "room_type": "Double", "start_date": today - timedelta(9),
                                  "end_date": today - timedelta(2), "rate_per_night": 10})
        now = save_tariff(prop, {"name": "Now", "room_type": "Double", "start_date": today - timedelta(2),
                                 "end_date": today + timedelta(3), "rate_per_night": 80, "min_nights": 2})
        db.session.commit()
        past_id, now_id = past.id, now.id
    tariffs = _get(client, token_for("manager", ["webhooks_get"]), world, "tariffs_updated", None)[
        "property_tariffs"]["tariffs"]
    assert str(past_id) not in tariffs
    entry = tariffs[str(now_id)]
    assert [field for field in TARIFF if field not in entry] == []
    assert entry["rates_uid"] == now_id and entry["roomrateperday"] == 80 and entry["mindays"] == 2
    assert entry["tariff_dates"] == [(today + timedelta(days)).isoformat() for days in range(3)]


def test_all_property_rooms_groups_live_rooms_by_type(client, world, token_for):
    rooms = _get(client, token_for("manager", ["webhooks_get"]), world, "rooms_multiple_added", None)[
        "all_property_rooms"]
    assert set(rooms["property_rooms"]) == set(rooms["room_types"])
    listed = [room["room_uid"] for group in rooms["property_rooms"].values() for room in group]
    assert world.room in listed and world.deleted_room not in listed
    for uid, group in rooms["property_rooms"].items():
        assert {room["room_classes_uid"] for room in group} == {int(uid)}
