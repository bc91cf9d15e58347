"""Who gets what from the REST API: every endpoint x {no token, expired token, revoked token, wrong scope,
another manager's property, super manager, own property}.

A token acts for its key's owner: scope first (403), then the property (403 when not managed; children of
another property 404). Super managers manage every property but cannot manage webhooks; only they search.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from jomres_like.extensions import db
from jomres_like.timeutil import utc_today

from .conftest import ALL_SCOPES, bearer, expire, revoke

STATES = ("no_token", "expired", "revoked", "wrong_scope", "other_property", "super_manager", "own_property")
FAR = utc_today() + timedelta(days=250)


@dataclass(frozen=True)
class Endpoint:
    """One API operation: how to call it and which scope it needs."""

    method: str
    path: str  # placeholders filled from the context: {p} {b} {g} {w} {d}
    scope: str | None
    success: int = 200
    kind: str = "property"  # property | list | webhooks | catalogue | search
    body: str | None = None  # name of a body builder

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    Endpoint("GET", "/jomres/api/webhooks/{p}/booking_modified/{b}", "webhooks_get"),
    Endpoint("GET", "/jomres/api/webhooks/{p}/property_updated", "webhooks_get"),
    Endpoint("GET", "/jomres/api/properties", "properties_get", kind="list"),
    Endpoint("GET", "/jomres/api/properties/{p}", "properties_get"),
    Endpoint("GET", "/jomres/api/properties/{p}/tariffs", "properties_get"),
    Endpoint("PUT", "/jomres/api/properties/{p}/tariffs", "properties_set", body="tariffs"),
    Endpoint("GET", "/jomres/api/properties/{p}/guests", "bookings_get"),
    Endpoint("GET", "/jomres/api/properties/{p}/bookings", "bookings_get"),
    Endpoint("POST", "/jomres/api/properties/{p}/bookings", "bookings_set", 201, body="booking"),
    Endpoint("GET", "/jomres/api/properties/{p}/bookings/{b}", "bookings_get"),
    Endpoint("PATCH", "/jomres/api/properties/{p}/bookings/{b}", "bookings_set", body="patch"),
    Endpoint("POST", "/jomres/api/properties/{p}/bookings/{b}/cancel", "bookings_set", body="cancel"),
    *[
        endpoint
        for kind, mark in (("extras", "{x}"), ("coupons", "{c}"), ("guest_types", "{t}"))
        for endpoint in (
            Endpoint("GET", f"/jomres/api/properties/{{p}}/{kind}", "properties_get"),
            Endpoint("POST", f"/jomres/api/properties/{{p}}/{kind}", "properties_set", 201, body=kind),
            Endpoint("GET", f"/jomres/api/properties/{{p}}/{kind}/{mark}", "properties_get"),
            Endpoint("PATCH", f"/jomres/api/properties/{{p}}/{kind}/{mark}", "properties_set",
                     body=kind + "_patch"),
            Endpoint("DELETE", f"/jomres/api/properties/{{p}}/{kind}/{mark}", "properties_set"),
        )
    ],
    Endpoint("GET", "/jomres/api/webhook_subscriptions", "webhooks_manage", kind="webhook_list"),
    Endpoint("POST", "/jomres/api/webhook_subscriptions", "webhooks_manage", 201, "webhook_list", "webhook"),
    Endpoint("GET", "/jomres/api/webhook_subscriptions/{w}", "webhooks_manage", kind="webhooks"),
    Endpoint(
        "PATCH",
        "/jomres/api/webhook_subscriptions/{w}",
        "webhooks_manage",
        kind="webhooks",
        body="webhook_patch",
    ),
    Endpoint("DELETE", "/jomres/api/webhook_subscriptions/{w}", "webhooks_manage", kind="webhooks"),
    Endpoint("POST", "/jomres/api/webhook_subscriptions/{w}/test", "webhooks_manage", 202, "webhooks"),
    Endpoint("GET", "/jomres/api/webhook_subscriptions/{w}/deliveries", "webhooks_manage", kind="webhooks"),
    Endpoint("POST", "/jomres/api/deliveries/{d}/redeliver", "webhooks_manage", 202, "webhooks"),
    Endpoint("GET", "/jomres/api/webhook_events", None, kind="catalogue"),
    Endpoint("GET", "/jomres/api/search?q=Matrix", "search_get", kind="search"),
]


def expected(endpoint: Endpoint, state: str) -> int:
    """The status each state must get."""
    if state in ("no_token", "expired", "revoked"):
        return 401
    if state == "wrong_scope":
        return endpoint.success if endpoint.scope is None else 403
    if endpoint.kind == "search":  # managers cannot hold search_get; super managers can
        return endpoint.success if state == "super_manager" else 403
    if endpoint.kind in ("webhooks", "webhook_list"):
        if state == "super_manager":
            return 403
        if state == "other_property" and endpoint.kind == "webhooks":
            return 404  # another manager's subscription is not revealed
        return endpoint.success
    if state == "other_property" and endpoint.kind == "property":
        return 403
    return endpoint.success


def test_every_api_route_is_in_the_matrix(app):
    """A route added to the API later must be added here too."""
    covered = {(e.method, e.path.split("?")[0]) for e in ENDPOINTS}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/jomres/api/") or rule.endpoint.startswith(("api-docs.", "oauth.")):
            continue
        path = rule.rule
        for name, mark in (
            ("property_uid", "{p}"),
            ("contract_uid", "{b}"),
            ("webhook_id", "{w}"),
            ("delivery_id", "{d}"),
            ("extras_uid", "{x}"),
            ("coupon_id", "{c}"),
            ("guest_type_uid", "{t}"),
        ):
            path = path.replace(f"<int:{name}>", mark)
        path = path.replace("<string:event>", "booking_modified").replace("<int:subject_id>", "{b}")
        if path == "/jomres/api/webhooks/{p}/booking_modified":
            path = "/jomres/api/webhooks/{p}/property_updated"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in covered, f"{method} {rule.rule} is not in the access matrix"


@pytest.fixture
def context(app, make_user, token_for):
    """A lean world built in one transaction: manager (own property), manager2 (other), super, records."""
    from jomres_like.services import bookings, coupons, extras, guest_types, properties, rooms, site
    from jomres_like.services.actor import set_actor
    from jomres_like.services.users import create_user, set_assignments
    from jomres_like.webhooks import dispatch, service

    with app.app_context():
        site.set_development_mode(True)  # loopback webhook URLs, as in the demo
        users = {
            name: create_user(name, name + "-pass", role, f"{name}@example.com")
            for name, role in (("manager", "manager"), ("manager2", "manager"), ("super", "super_manager"))
        }
        ids = {}
        for label, owner in (("own", "manager"), ("other", "manager2")):
            prop = properties.create_property({"name": f"Matrix {label}"})
            set_assignments(users[owner], [prop.id])
            room = rooms.add_room(prop, {"number": "1"})
            spare = rooms.add_room(prop, {"number": "2"})
            booking = bookings.create_booking(
                prop,
                {
                    "arrival": FAR - timedelta(days=20),
                    "departure": FAR - timedelta(days=18),
                    "room_uids": [room.id],
                    "guest": {"firstname": "Ann", "surname": "Guest"},
                    "contract_total": 100,
                },
            )
            set_actor(users[owner])
            webhook, _ = service.create_webhook(users[owner], {"url": "http://127.0.0.1:9/hook"})
            db.session.flush()
            delivery = dispatch.send_test_event(webhook)
            set_actor(None)
            ids[label] = {"p": prop.id, "b": booking.id, "w": webhook.id, "d": delivery.id, "room": spare.id,
                          "x": extras.create_extra(prop, {"name": "Matrix"}).id,
                          "c": coupons.create_coupon(prop, {"code": "MATRIX", "amount": 5}).id,
                          "t": guest_types.create_guest_type(prop, {"name": "Matrix"}).id}
        db.session.commit()
    return {"ids": ids, "token_for": token_for}


def _ids(context, state: str) -> dict:
    ids = context["ids"]
    other = ids["other"]
    if state == "other_property":
        return other
    if state == "super_manager":  # super managers act on any property; their own webhooks do not exist
        return {**other, "w": ids["own"]["w"], "d": ids["own"]["d"]}
    return ids["own"]


def _body(name: str | None, ids: dict):
    if name == "tariffs":
        return {
            "tariffs": [
                {
                    "room_type": "Double",
                    "start_date": "2032-01-01",
                    "end_date": "2032-02-01",
                    "rate_per_night": 80,
                }
            ]
        }
    if name == "booking":
        return {
            "arrival": FAR.isoformat(),
            "departure": (FAR + timedelta(days=1)).isoformat(),
            "room_uids": [ids["room"]],
            "guest": {"firstname": "Matrix", "surname": "Guest"},
            "contract_total": 100,
        }
    if name == "patch":
        return {"special_reqs": "Matrix change"}
    if name == "cancel":
        return {"reason": "matrix"}
    option_bodies = {
        "extras": {"name": "Matrix extra"}, "extras_patch": {"description": "matrix"},
        "coupons": {"code": "NEWCODE", "amount": 5}, "coupons_patch": {"description": "matrix"},
        "guest_types": {"name": "Matrix type"}, "guest_types_patch": {"notes": "matrix"},
    }
    if name in option_bodies:
        return option_bodies[name]
    if name == "webhook":
        return {"url": "http://127.0.0.1:9/new-hook"}
    if name == "webhook_patch":
        return {"description": "matrix"}
    return None


def _token(app, context, endpoint: Endpoint, state: str) -> str | None:
    token_for = context["token_for"]
    if state == "no_token":
        return None
    if state == "super_manager":
        return token_for("super", ALL_SCOPES + ("search_get",))
    user = "manager"
    if state == "wrong_scope":
        scopes = [s for s in ALL_SCOPES if s != endpoint.scope] if endpoint.scope else ["webhooks_get"]
        return token_for(user, scopes)
    token = token_for(user, ALL_SCOPES)
    if state == "expired":
        expire(app, token)
    elif state == "revoked":
        revoke(app, token)
    return token


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.id)
def test_access_matrix(app, client, context, endpoint: Endpoint, state: str):
    ids = _ids(context, state)
    token = _token(app, context, endpoint, state)
    headers = bearer(token) if token else {}
    body = _body(endpoint.body, ids)
    url = endpoint.path.format(**ids)
    response = client.open(url, method=endpoint.method, headers=headers, json=body)
    assert response.status_code == expected(endpoint, state), response.get_data(as_text=True)[:300]
    if response.status_code == 401:
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="jomres"')
        if state != "no_token":
            assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    if response.status_code >= 400:
        assert response.json["meta"]["code"] == response.status_code
