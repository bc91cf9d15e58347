"""Who gets what: every GET page of the manager and administrator areas, for every role.

The routes come from the URL map, so a page added later (by anyone) is covered without editing this file.
URL arguments are filled from the demo data: ``property_uid`` is 1 (``manager``'s) or 3 (``manager2``'s),
and the other ids are records of that property when the argument name is known (``contract_uid``,
``guest_uid``...), else 1. Blueprints protected as ``token`` or ``signed`` check credentials themselves
and have their own tests.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from dbtools import empty_tables, make_test_config
from sqlalchemy import select

from jomres_like import access, create_app
from jomres_like.extensions import db
from jomres_like.models import (
    BlackBooking,
    Booking,
    BookingNote,
    Coupon,
    Extra,
    Guest,
    GuestType,
    Invoice,
    Room,
    Tariff,
    User,
    WebhookEvent,
)

ROLES = ("anonymous", "registered", "manager", "manager2", "super", "admin")
PASSWORDS = {
    "registered": "visitor-pass",
    "manager": "manager",
    "manager2": "manager2",
    "super": "super",
    "admin": "admin",
}
USERNAMES = {
    "registered": "visitor",
    "manager": "manager",
    "manager2": "manager2",
    "super": "super",
    "admin": "admin",
}
OWN, OTHER = 1, 3  # manager's property, manager2's property
MATRIX_KINDS = ("manager", "administrator", "authenticated")
# Jomres: super managers cannot create webhooks; only the read-only event catalogue stays open to them
# (base.html shows it in their Account menu).
SUPER_ALLOWED_WEBHOOK_ENDPOINTS = {"manager.webhook_catalogue"}
# Only super managers create properties; managers are assigned to existing ones.
SUPER_ONLY_ENDPOINTS = {"manager.property_new"}


def _kind(endpoint: str) -> str | None:
    blueprint = endpoint.rpartition(".")[0]
    return access.PROTECTION.get(blueprint.split(".")[-1]) if blueprint else None


def _app_for_listing():
    folder = tempfile.mkdtemp(prefix="jomres-matrix-")
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "listing",
            "TESTING": True,
            "JOMRES_TEMP_DIR": folder + "/temp",
            "JOMRES_LOG_DIR": folder + "/logs",
            "JOMRES_SWEEP_SECONDS": 0,
        }
    )


def _rules(method: str):
    """``(endpoint, rule)`` for every route of a login-protected blueprint answering ``method``."""
    app = _app_for_listing()
    found = []
    for rule in app.url_map.iter_rules():
        if method in rule.methods and _kind(rule.endpoint) in MATRIX_KINDS:
            found.append((rule.endpoint, rule.rule))
    return sorted(found)


def _cases():
    cases = []
    for endpoint, rule in _rules("GET"):
        variants = (OWN, OTHER) if "<int:property_uid>" in rule else (None,)
        for variant in variants:
            for role in ROLES:
                cases.append(pytest.param(endpoint, variant, role, id=f"{endpoint}-p{variant or '-'}-{role}"))
    return cases


@dataclass
class World:
    """The seeded app, one logged-in client per role, and the ids of each property's records."""

    app: object
    clients: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)
    user_id: int = 0


def _first(model, prop_id: int, *extra) -> int:
    return db.session.scalar(select(model.id).where(model.property_id == prop_id, *extra).order_by(model.id))


def _collect_ids(prop_id: int) -> dict:
    booking = _first(Booking, prop_id)
    return {
        "contract_uid": booking,
        "guest_uid": _first(Guest, prop_id),
        "room_uid": _first(Room, prop_id),
        "tariff_id": _first(Tariff, prop_id),
        "invoice_uid": _first(Invoice, prop_id),
        "blackbooking_uid": _first(BlackBooking, prop_id),
        "note_id": db.session.scalar(select(BookingNote.id).where(BookingNote.booking_id == booking)),
        "extras_uid": _first(Extra, prop_id),
        "coupon_id": _first(Coupon, prop_id),
        "guest_type_uid": _first(GuestType, prop_id),
    }


@pytest.fixture(scope="module")
def world(_schema, database_url, tmp_path_factory):
    """Seed the demo once for the module; log a client in for every role."""
    from jomres_like.demo import seed_demo
    from jomres_like.models import Property
    from jomres_like.services.blackbookings import create_black_booking
    from jomres_like.services.users import create_user
    from jomres_like.timeutil import utcnow

    folder = tmp_path_factory.mktemp("matrix")
    app = create_app(make_test_config(database_url, folder))
    result = World(app)
    with app.app_context():
        seed_demo()
        create_user("visitor", "visitor-pass", "registered")
        today = utcnow().date()
        for prop_id in (OWN, OTHER):
            prop = db.session.get(Property, prop_id)
            room = db.session.scalars(
                select(Room).where(Room.property_id == prop_id).order_by(Room.id.desc())
            ).first()
            create_black_booking(
                prop,
                {
                    "start": today + timedelta(days=200),
                    "end": today + timedelta(days=201),
                    "room_uids": [room.id],
                },
            )
        db.session.commit()
        result.ids = {prop_id: _collect_ids(prop_id) for prop_id in (OWN, OTHER)}
        result.user_id = db.session.scalar(select(User.id).where(User.username == "manager2"))
    for role in ROLES:
        client = app.test_client()
        if role != "anonymous":
            response = client.post("/login", data={"username": USERNAMES[role], "password": PASSWORDS[role]})
            assert response.status_code == 302, role
        result.clients[role] = client
    yield result
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.engine.dispose()


def build_url(world: World, endpoint: str, property_uid: int | None) -> tuple[str, bool]:
    """The URL of ``endpoint`` with its arguments filled; and whether every argument was a known id."""
    with world.app.test_request_context():
        rule = next(r for r in world.app.url_map.iter_rules() if r.endpoint == endpoint)
        values, known = {}, True
        ids = world.ids[property_uid or OWN]
        for name in rule.arguments:
            if name == "property_uid":
                values[name] = property_uid
            elif name == "user_id":
                values[name] = world.user_id
            elif name in ids and ids[name] is not None:
                values[name] = ids[name]
            else:
                known = False
                converter = type(rule._converters[name]).__name__
                values[name] = 1 if converter in ("IntegerConverter", "NumberConverter") else "x"
        from flask import url_for

        return url_for(endpoint, **values), known


def expected(endpoint: str, property_uid: int | None, role: str) -> str:
    """``login`` (redirect to the login page), ``403``, ``404`` or ``ok``."""
    kind = _kind(endpoint)
    if role == "anonymous":
        return "login"
    if kind == "authenticated":
        return "ok"
    if kind == "administrator":
        return "ok" if role == "admin" else "403"
    if role in ("registered", "admin"):
        return "403"
    if role == "super":
        if endpoint.startswith("manager.webhook") and endpoint not in SUPER_ALLOWED_WEBHOOK_ENDPOINTS:
            return "403"
        return "ok"
    if endpoint in SUPER_ONLY_ENDPOINTS:
        return "403"
    own = OWN if role == "manager" else OTHER
    if property_uid is not None and property_uid != own:
        return "404"
    return "ok"


def test_the_matrix_covers_the_known_pages():
    """The parametrisation below really contains the pages of both areas (guards against an empty matrix)."""
    endpoints = {endpoint for endpoint, _rule in _rules("GET")}
    assert {
        "manager.dashboard",
        "manager.properties",
        "manager.bookings",
        "manager.booking_view",
        "admin.dashboard",
        "admin.users",
        "admin.settings",
    } <= endpoints


@pytest.mark.parametrize(("endpoint", "property_uid", "role"), _cases())
def test_get_page_access(world, endpoint, property_uid, role):
    """Each role gets exactly the answer the access rules give for each page."""
    url, known = build_url(world, endpoint, property_uid)
    response = world.clients[role].get(url)
    want = expected(endpoint, property_uid, role)
    body = response.get_data(as_text=True)[:300]
    if want == "login":
        assert response.status_code == 302, body
        assert "/login" in response.headers["Location"]
    elif want == "ok":
        allowed = {200} if known else {200, 404}
        assert response.status_code in allowed, f"{url}: {response.status_code} {body}"
    else:
        assert response.status_code == int(want), f"{url}: {response.status_code} {body}"


def _post_cases():
    return [
        pytest.param(endpoint, id=endpoint)
        for endpoint, rule in _rules("POST")
        if "<int:property_uid>" in rule
    ]


def _snapshot() -> dict:
    """Every row of every table, to prove that nothing changed."""
    rows = {}
    for table in db.metadata.sorted_tables:
        rows[table.name] = sorted(
            tuple(str(value) for value in row) for row in db.session.execute(table.select())
        )
    return rows


def test_post_matrix_is_not_empty():
    """The state-changing routes of a property are found in the URL map."""
    endpoints = {endpoint for endpoint, _rule in _rules("POST")}
    assert {
        "manager.booking_new",
        "manager.booking_cancel",
        "manager.guest_delete",
        "manager.room_delete",
        "manager.property_publish",
        "manager.property_settings",
    } <= endpoints


@pytest.mark.parametrize("endpoint", _post_cases())
def test_post_to_another_managers_property_is_404_and_changes_nothing(world, endpoint):
    """``manager`` posting to any state-changing page of property 3 gets 404, and no row changes."""
    url, _known = build_url(world, endpoint, OTHER)
    form = {
        "reason": "x",
        "text": "x",
        "amount": "10",
        "reference": "R1",
        "name": "Hacked",
        "number": "999",
        "firstname": "A",
        "surname": "B",
        "arrival": "2030-01-01",
        "departure": "2030-01-02",
        "adults": "1",
        "room_uids": "1",
        "currency": "USD",
        "start": "2030-01-01",
        "end": "2030-01-02",
    }
    with world.app.app_context():
        before = _snapshot()
        events = db.session.query(WebhookEvent).count()
        db.session.remove()
    response = world.clients["manager"].post(url, data=form)
    assert response.status_code == 404, url
    with world.app.app_context():
        assert db.session.query(WebhookEvent).count() == events
        assert _snapshot() == before
        db.session.remove()
