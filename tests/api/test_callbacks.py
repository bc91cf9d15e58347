"""The callback feature: every event and legacy name, Jomres' response keys, property and child checks."""

from __future__ import annotations

import pytest

from jomres_like import callbacks as records
from jomres_like.signals import CATALOGUE, LEGACY_EVENTS

from .conftest import OTHER, OWN, basic, bearer

CALLBACK_EVENTS = records.callback_events()


def test_every_catalogue_event_but_the_test_event_has_a_callback():
    assert set(CALLBACK_EVENTS) == (set(CATALOGUE) | set(LEGACY_EVENTS)) - {"webhook_test"}


def _url(world, event: str, property_uid: int = OWN, other_child: bool = False) -> tuple[str, str]:
    key = records.response_key(event)
    subject = world.ids_for(key, other=other_child)
    url = f"/jomres/api/webhooks/{property_uid}/{event}"
    return (url + f"/{subject}" if subject is not None else url), key


@pytest.mark.parametrize("event", CALLBACK_EVENTS)
def test_callback_answers_the_record_under_jomres_key(client, world, token_for, event):
    token = token_for("manager", ["webhooks_get"])
    url, key = _url(world, event)
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["meta"] == {"code": 200}
    record = response.json["data"][key]
    assert record["property_uid"] == OWN
    if records.needs_id(event):  # the same id kind, of another property, through this property: 404
        other_url, _ = _url(world, event, other_child=True)
        assert client.get(other_url, headers=bearer(token)).status_code == 404


@pytest.mark.parametrize(
    "event", ["booking_modified", "property_updated", "tariffs_updated", "guest_updated"]
)
def test_a_property_the_owner_does_not_manage_is_403(client, world, token_for, event):
    token = token_for("manager", ["webhooks_get"])
    url, _ = _url(world, event, property_uid=OTHER, other_child=True)
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 403
    assert response.json["meta"]["error_message"]


@pytest.mark.parametrize(
    "path",
    [
        "/jomres/api/webhooks/999/property_updated",
        "/jomres/api/webhooks/1/booking_modified/999999",
        "/jomres/api/webhooks/1/booking_modified/99999999999999",
        "/jomres/api/webhooks/1/not_an_event/1",
        "/jomres/api/webhooks/1/booking_modified",
    ],
)
def test_unknown_things_are_404(client, world, token_for, path):
    token = token_for("manager", ["webhooks_get"])
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_deleted_guest_and_room_are_404(client, world, token_for):
    token = token_for("manager", ["webhooks_get"])
    assert (
        client.get(
            f"/jomres/api/webhooks/1/guest_deleted/{world.deleted_guest}", headers=bearer(token)
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/jomres/api/webhooks/1/room_deleted/{world.deleted_room}", headers=bearer(token)
        ).status_code
        == 404
    )


def test_deleted_property_is_404(app, client, world, token_for):
    from jomres_like.extensions import db
    from jomres_like.models import Property
    from jomres_like.services.properties import delete_property

    token = token_for("manager", ["webhooks_get"])
    with app.app_context():
        delete_property(db.session.get(Property, 2))
        db.session.commit()
    assert client.get("/jomres/api/webhooks/2/property_deleted", headers=bearer(token)).status_code == 404


def test_contract_details_carry_what_a_remote_system_needs(client, world, token_for):
    token = token_for("manager", ["webhooks_get"])
    details = client.get(f"/jomres/api/webhooks/1/booking_added/{world.booking}", headers=bearer(token)).json[
        "data"
    ]["contract_details"]
    for field in (
        "arrival",
        "departure",
        "firstname",
        "surname",
        "email",
        "tel_mobile",
        "rooms",
        "contract_total",
        "deposit_paid",
        "special_reqs",
        "cancelled",
        "booked_in",
        "booked_out",
        "notes",
    ):
        assert field in details, field
    assert details["contract_uid"] == world.booking
    assert details["rooms"] and "tariffs" in details["rooms"][0]
    assert details["notes"][0]["text"]


def test_invoice_details_carry_lines(client, world, token_for):
    token = token_for("manager", ["webhooks_get"])
    invoice = client.get(f"/jomres/api/webhooks/1/invoice_saved/{world.invoice}", headers=bearer(token)).json[
        "data"
    ]["invoice_details"]
    assert invoice["lines"] and invoice["lines"][0]["unit_price"] > 0
    assert invoice["total"] == sum(line["total"] for line in invoice["lines"])


def test_legacy_note_name_uses_note_uid(client, world, token_for):
    token = token_for("manager", ["webhooks_get"])
    note = client.get(f"/jomres/api/webhooks/1/booking_note_save/{world.note}", headers=bearer(token)).json[
        "data"
    ]["note_details"]
    assert note["note_id"] == world.note


def test_no_envelope_header_gives_the_bare_record(client, world, token_for):
    token = token_for("manager", ["webhooks_get"])
    response = client.get(
        f"/jomres/api/webhooks/1/guest_updated/{world.guest}",
        headers={**bearer(token), "X-JOMRES-NO-ENVELOPE": "1"},
    )
    assert response.json["guest_uid"] == world.guest
    assert "data" not in response.json


def test_jomres_style_client(client, world, app_key):
    """Form POST of grant_type=client_credentials to /jomres/api/, then the booking_modified callback."""
    client_id, secret = app_key("manager", ["webhooks_get"])
    token = client.post(
        "/jomres/api/",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    ).json["access_token"]
    response = client.get(f"/jomres/api/webhooks/1/booking_modified/{world.booking}", headers=bearer(token))
    assert response.status_code == 200
    assert response.json["data"]["contract_details"]["contract_uid"] == world.booking


def test_super_manager_reads_any_property(client, world, app_key):
    client_id, secret = app_key("super", ["webhooks_get"])
    token = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    ).json["access_token"]
    response = client.get(
        f"/jomres/api/webhooks/{OTHER}/booking_added/{world.other_booking}", headers=bearer(token)
    )
    assert response.status_code == 200


def test_record_for_event_is_none_when_gone(app, world):
    with app.app_context():
        assert (
            records.record_for_event("guest_deleted", {"property_uid": 1, "guest_uid": world.deleted_guest})
            is None
        )
        assert records.record_for_event("booking_added", {"property_uid": 1, "contract_uid": "x"}) is None
        assert records.record_for_event("webhook_test", {"webhook_id": 1}) is None
        found = records.record_for_event("booking_added", {"property_uid": 1, "contract_uid": world.booking})
        assert found["contract_uid"] == world.booking


def test_contract_details_core_reader_matches_the_orm_record(app, world):
    """The callback's Core reader answers exactly what ``booking_record`` builds from the ORM objects."""
    from sqlalchemy import select

    from jomres_like.extensions import db
    from jomres_like.models import Booking, Property
    from jomres_like.services.actor import set_actor
    from jomres_like.services.notes import save_deposit, save_note

    with app.app_context():
        set_actor(None)
        own = db.session.get(Booking, world.booking)
        save_deposit(own, "12.50", "DEP-1")
        save_deposit(own, 7, "DEP-2")
        save_note(own, "no author")
        db.session.commit()
        bookings = db.session.scalars(select(Booking).order_by(Booking.id)).all()
        assert len(bookings) >= 3
        for booking in bookings:
            prop = db.session.get(Property, booking.property_id)
            assert records.contract_details(prop.id, booking.id) == records.booking_record(booking)
        detailed = records.contract_details(OWN, world.booking)
        assert [d["depositref"] for d in detailed["deposits"]] == ["DEP-1", "DEP-2"]
        assert detailed["notes"][-1]["author"] is None and detailed["rooms"] and detailed["guest"]
        with pytest.raises(records.NotFound):
            records.contract_details(OWN, world.other_booking)


def test_contract_details_of_a_booking_with_several_rooms_and_tariffs(app, world):
    """Rooms of one type share the stay's tariffs; other types, other dates and other cases are left out."""
    from datetime import timedelta

    from sqlalchemy import select

    from jomres_like.extensions import db
    from jomres_like.models import Booking, Property, Room, Tariff
    from jomres_like.services.bookings import create_booking
    from jomres_like.services.tariffs import save_tariff

    with app.app_context():
        prop = db.session.get(Property, OWN)
        live = select(Room).where(Room.property_id == OWN, Room.deleted.is_(False)).order_by(Room.id)
        rooms = db.session.scalars(live).all()
        doubles = [room for room in rooms if room.room_type == "Double"]
        twin = next(room for room in rooms if room.room_type == "Twin")
        booking = db.session.get(Booking, world.booking)
        arrival = booking.arrival + timedelta(days=200)
        departure = arrival + timedelta(days=4)
        for name, room_type, start, end in (
            ("Double spring", "Double", arrival - timedelta(days=1), arrival + timedelta(days=2)),
            ("Double later", "Double", arrival + timedelta(days=2), departure + timedelta(days=9)),
            ("Double after", "Double", departure, departure + timedelta(days=9)),
            ("Family", "Family", arrival, departure),
        ):
            save_tariff(prop, {"name": name, "room_type": room_type, "start_date": start, "end_date": end,
                               "rate_per_night": 50, "min_nights": 1, "max_nights": 30})
        # stored before tariffs had to name one of the property's room types
        db.session.add(Tariff(property_id=OWN, name="lower case", room_type="double", start_date=arrival,
                              end_date=departure, rate_per_night=50, min_nights=1, max_nights=30))
        db.session.flush()
        several = create_booking(prop, {
            "arrival": arrival, "departure": departure, "guest_uid": world.guest,
            "room_uids": [twin.id, *[room.id for room in doubles]],
        })
        db.session.commit()
        expected = records.booking_record(db.session.get(Booking, several.id))
        assert len(expected["rooms"]) == 3
        assert len(next(r for r in expected["rooms"] if r["room_type"] == "Double")["tariffs"]) == 3
        db.session.expire_all()
        assert records.contract_details(OWN, several.id) == expected
