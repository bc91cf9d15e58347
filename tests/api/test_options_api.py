"""Extras, coupons and guest types through the REST API, bookings with them, and their callbacks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from jomres_like import callbacks as records
from jomres_like.extensions import db
from jomres_like.models import Extra, GuestType, Room, WebhookEvent
from jomres_like.timeutil import utc_today

from .conftest import OWN, bearer

FAR = utc_today() + timedelta(days=220)
BASE = f"/jomres/api/properties/{OWN}"


@pytest.fixture
def token(world, token_for):
    """A token of ``manager`` with every scope."""
    return token_for("manager")


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


def _id(app, model, **where) -> int:
    with app.app_context():
        query = select(model.id).where(model.property_id == OWN)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return db.session.scalar(query.order_by(model.id))


@pytest.mark.parametrize(
    ("kind", "key", "id_key", "body", "patch", "events"),
    [
        (
            "extras",
            "extra_details",
            "extras_uid",
            {"name": "Spa", "price": 30, "tax_rate": 20, "max_quantity": 2},
            {"price": 35},
            ("extra_saved", "extra_saved", "extra_deleted"),
        ),
        (
            "coupons",
            "coupon_details",
            "coupon_id",
            {"code": "API5", "amount": 5},
            {"amount": 6},
            ("coupon_saved", "coupon_updated", "coupon_deleted"),
        ),
        (
            "guest_types",
            "guest_type_details",
            "guest_type_uid",
            {"name": "Teen", "is_child": True},
            {"maximum": 2},
            ("guest_type_saved", "guest_type_saved", "guest_type_deleted"),
        ),
    ],
)
def test_crud_fires_the_events(app, client, token, kind, key, id_key, body, patch, events):
    created = client.post(f"{BASE}/{kind}", json=body, headers=bearer(token))
    assert created.status_code == 201, created.get_data(as_text=True)
    uid = created.json["data"][key][id_key]
    assert _events(app, events[0])[-1].data == {"property_uid": OWN, id_key: uid}

    listed = client.get(f"{BASE}/{kind}", headers=bearer(token)).json["data"][kind]
    assert uid in [item[id_key] for item in listed]
    assert client.get(f"{BASE}/{kind}/{uid}", headers=bearer(token)).json["data"][key][id_key] == uid

    changed = client.patch(f"{BASE}/{kind}/{uid}", json=patch, headers=bearer(token))
    assert changed.status_code == 200
    field, value = next(iter(patch.items()))
    assert list(_events(app, events[1])[-1].event_metadata["changes"]) == [field]

    assert client.delete(f"{BASE}/{kind}/{uid}", headers=bearer(token)).status_code == 200
    assert _events(app, events[2])[-1].data == {"property_uid": OWN, id_key: uid}
    assert client.get(f"{BASE}/{kind}/{uid}", headers=bearer(token)).status_code == 404
    callback = client.get(f"/jomres/api/webhooks/{OWN}/{events[2]}/{uid}", headers=bearer(token))
    assert callback.status_code == 404  # deleted: the documented 404


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("extras", {"name": "X", "price": -1}, "price"),
        ("extras", {"name": "X", "room_type": "Penthouse"}, "room_type"),
        ("extras", {"price": 3}, "name"),
        ("extras", {"name": "X", "valid_from": "2031-01-02", "valid_to": "2031-01-01"}, "valid_to"),
        ("coupons", {"code": "X", "amount": 150, "is_percentage": True}, "amount"),
        ("coupons", {"code": "X"}, "amount"),
        ("coupons", {"code": "X", "amount": "5"}, "amount"),
        ("guest_types", {"name": "X", "maximum": 0}, "maximum"),
        ("guest_types", {"name": "X", "posneg": "yes"}, "posneg"),
        ("guest_types", {"name": "X", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, token, kind, body, field):
    response = client.post(f"{BASE}/{kind}", json=body, headers=bearer(token))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in response.json["errors"]


def _booking_body(app) -> dict:
    return {
        "arrival": FAR.isoformat(),
        "departure": (FAR + timedelta(days=2)).isoformat(),
        "room_uids": [_id(app, Room, room_type="Family")],
        "guest": {"firstname": "Api", "surname": "Guest"},
        "extras": [
            {"extras_uid": _id(app, Extra, name="Breakfast"), "quantity": 2},
            {"extra_uid": _id(app, Extra, name="Extra bed"), "quantity": 1},
        ],
        "guest_types": [
            {"guest_type_uid": _id(app, GuestType, name="Adult"), "count": 2},
            {"guest_type_uid": _id(app, GuestType, name="Child"), "count": 1},
        ],
        "coupon_code": "WELCOME10",
    }


def test_a_booking_through_the_api_with_extras_coupon_and_guest_types(app, client, token):
    response = client.post(f"{BASE}/bookings", json=_booking_body(app), headers=bearer(token))
    assert response.status_code == 201, response.get_data(as_text=True)
    details = response.json["data"]["contract_details"]
    assert details["contract_total"] == 165.6 and details["discount"] == 18.4
    assert (details["adults"], details["children"]) == (2, 1)
    breakfast = str(_id(app, Extra, name="Breakfast"))
    assert details["extradeets"][breakfast]["quantity"] == 2
    assert details["extradeets"][breakfast]["tax"] == 2.18  # 24 including 10 % tax
    assert len(details["extras"]) == 2 and details["coupon_id"]
    assert [t["count"] for t in details["guest_types"]] == [2, 1]
    uid = details["contract_uid"]
    assert _events(app, "booking_added")[-1].data == {"property_uid": OWN, "contract_uid": uid}

    callback = client.get(f"/jomres/api/webhooks/{OWN}/booking_added/{uid}", headers=bearer(token)).json
    assert callback["data"]["contract_details"]["extradeets"] == details["extradeets"]
    assert callback["data"]["contract_details"]["guest_types"] == details["guest_types"]

    patched = client.patch(
        f"{BASE}/bookings/{uid}", json={"extras": [], "coupon_code": ""}, headers=bearer(token)
    )
    assert patched.status_code == 200
    assert patched.json["data"]["contract_details"]["contract_total"] == 140.0
    changes = _events(app, "booking_modified")[-1].event_metadata["changes"]
    assert set(changes) >= {"extras", "coupon_id", "contract_total", "discount"}


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"coupon_code": "NOPE"}, 422, "coupon_code"),
        ({"extras": [{"extras_uid": 999999}]}, 422, "extras"),
        ({"extras": [{"quantity": 1}]}, 422, "extras"),
        ({"extras": [{"extras_uid": 1, "quantity": "two"}]}, 422, "extras.0.quantity"),
        ({"guest_types": [{"guest_type_uid": 999999, "count": 1}]}, 422, "guest_types"),
        ({"guest_types": [{"guest_type_uid": 1}]}, 422, "guest_types.0.count"),
    ],
)
def test_bad_booking_options_are_a_422_naming_the_field(app, client, token, change, status, field):
    before = len(_events(app, "booking_added"))
    response = client.post(f"{BASE}/bookings", json={**_booking_body(app), **change}, headers=bearer(token))
    assert response.status_code == status, response.get_data(as_text=True)
    assert field in response.json["errors"]
    assert len(_events(app, "booking_added")) == before


def test_callbacks_answer_with_jomres_fields(client, world, token):
    extra = client.get(f"/jomres/api/webhooks/{OWN}/extra_saved/{world.extra}", headers=bearer(token)).json
    assert {
        "name",
        "desc",
        "auto_select",
        "tax_rate",
        "maxquantity",
        "validfrom",
        "validto",
        "include_in_property_lists",
        "limited_to_room_type",
    } <= set(extra["data"]["extra_details"])
    kind = client.get(
        f"/jomres/api/webhooks/{OWN}/guest_type_saved/{world.guest_type}", headers=bearer(token)
    )
    assert {"type", "notes", "maximum", "is_percentage", "posneg", "variance", "is_child"} <= set(
        kind.json["data"]["guest_type_details"]
    )
    coupon = client.get(f"/jomres/api/webhooks/{OWN}/coupon_updated/{world.coupon}", headers=bearer(token))
    assert coupon.json["data"]["coupon_details"]["coupon_code"] == "WELCOME10"
    booking = client.get(f"/jomres/api/webhooks/{OWN}/booking_added/{world.booking}", headers=bearer(token))
    assert {"extras", "extradeets", "coupon_id", "guest_types"} <= set(
        booking.json["data"]["contract_details"]
    )


def test_the_record_of_an_extra_event_is_found_by_extras_uid_or_extra_uid(app, world):
    with app.app_context():
        for key in ("extras_uid", "extra_uid"):
            record = records.record_for_event("extra_saved", {"property_uid": OWN, key: world.extra})
            assert record["extras_uid"] == world.extra


def test_fake_extra_event_from_the_cli_accepts_extra_uid(app, world):
    result = app.test_cli_runner().invoke(
        args=["webhooks", "fire", "extra_saved", "--property", str(OWN), "--data", f"extra_uid={world.extra}"]
    )
    assert result.exit_code == 0, result.output
    assert _events(app, "extra_saved")[-1].data == {"property_uid": OWN, "extras_uid": world.extra}
