"""Fixtures for the REST API tests: the demo world with one record of every kind, app keys and tokens."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import BookingNote, Coupon, Extra, Guest, GuestType, Invoice, OAuthToken, Room, User
from jomres_like.models.oauth import token_digest
from jomres_like.timeutil import utc_today

ALL_SCOPES = (
    "webhooks_get",
    "properties_get",
    "properties_set",
    "bookings_get",
    "bookings_set",
    "webhooks_manage",
)
OWN, OTHER = 1, 3  # the demo's ``manager`` manages 1 and 2, ``manager2`` manages 3


@dataclass
class World:
    """Ids of records on the demo's property 1 (``own``) and 3 (``other``)."""

    booking: int
    other_booking: int
    note: int
    other_note: int
    guest: int
    other_guest: int
    deleted_guest: int
    invoice: int
    other_invoice: int
    room: int
    other_room: int
    deleted_room: int
    black_booking: int
    other_black_booking: int
    extra: int = 0
    other_extra: int = 0
    coupon: int = 0
    other_coupon: int = 0
    guest_type: int = 0
    other_guest_type: int = 0

    def ids_for(self, key: str, other: bool = False) -> int | None:
        """The id of the record behind a callback's response key (own or other property)."""
        name = {
            "contract_details": "booking",
            "note_details": "note",
            "guest_details": "guest",
            "invoice_details": "invoice",
            "room_details": "room",
            "blackbooking_details": "black_booking",
            "extra_details": "extra",
            "coupon_details": "coupon",
            "guest_type_details": "guest_type",
        }.get(key)
        if name is None:
            return None
        return getattr(self, f"other_{name}" if other else name)


def _first(model, **where):
    query = select(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalars(query.order_by(model.id)).first()


@pytest.fixture
def world(app, demo) -> World:
    """The demo data plus a black booking, a deleted guest and a deleted room on properties 1 and 3."""
    from jomres_like.models import Booking, Property
    from jomres_like.services.blackbookings import create_black_booking
    from jomres_like.services.guests import create_guest, delete_guest
    from jomres_like.services.rooms import add_room, delete_room

    with app.app_context():
        own, other = db.session.get(Property, OWN), db.session.get(Property, OTHER)
        far = utc_today() + timedelta(days=300)
        blacks = [
            create_black_booking(
                p,
                {
                    "start": far,
                    "end": far + timedelta(days=2),
                    "room_uids": [_first(Room, property_id=p.id).id],
                },
            )
            for p in (own, other)
        ]
        gone_guest = create_guest(own, {"firstname": "Gone", "surname": "Guest"})
        delete_guest(gone_guest)
        gone_room = add_room(own, {"number": "GONE"})
        delete_room(gone_room)
        db.session.commit()
        booking = _first(Booking, property_id=OWN)
        other_booking = _first(Booking, property_id=OTHER)
        return World(
            booking=booking.id,
            other_booking=other_booking.id,
            note=_first(BookingNote, booking_id=booking.id).id,
            other_note=_first(BookingNote, booking_id=other_booking.id).id,
            guest=_first(Guest, property_id=OWN).id,
            other_guest=_first(Guest, property_id=OTHER).id,
            deleted_guest=gone_guest.id,
            invoice=_first(Invoice, property_id=OWN).id,
            other_invoice=_first(Invoice, property_id=OTHER).id,
            room=_first(Room, property_id=OWN).id,
            other_room=_first(Room, property_id=OTHER).id,
            deleted_room=gone_room.id,
            black_booking=blacks[0].id,
            other_black_booking=blacks[1].id,
            extra=_first(Extra, property_id=OWN).id,
            other_extra=_first(Extra, property_id=OTHER).id,
            coupon=_first(Coupon, property_id=OWN).id,
            other_coupon=_first(Coupon, property_id=OTHER).id,
            guest_type=_first(GuestType, property_id=OWN).id,
            other_guest_type=_first(GuestType, property_id=OTHER).id,
        )


@pytest.fixture
def app_key(app):
    """``app_key(username, scopes)`` -> ``(client_id, client_secret)``, created through the service."""

    def factory(username: str, scopes=ALL_SCOPES) -> tuple[str, str]:
        from jomres_like.oauth.keys import create_key

        with app.app_context():
            user = db.session.scalar(select(User).where(User.username == username))
            key, secret = create_key(user, f"test-{username}", list(scopes))
            db.session.commit()
            return key.client_id, secret

    return factory


def basic(client_id: str, secret: str) -> dict:
    """An HTTP Basic ``Authorization`` header."""
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.fixture
def token_for(client, app_key):
    """``token_for(username, scopes)`` -> an access token from ``/jomres/api/oauth/token``."""

    def factory(username: str, scopes=ALL_SCOPES) -> str:
        client_id, secret = app_key(username, scopes)
        response = client.post(
            "/jomres/api/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic(client_id, secret),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json["access_token"]

    return factory


def bearer(token: str) -> dict:
    """An ``Authorization: Bearer`` header."""
    return {"Authorization": f"Bearer {token}"}


def expire(app, token: str) -> None:
    """Move a token's issue time back beyond its lifetime."""
    with app.app_context():
        row = db.session.scalar(select(OAuthToken).where(OAuthToken.token_hash == token_digest(token)))
        row.issued_at = int(time.time()) - row.expires_in - 10
        db.session.commit()


def revoke(app, token: str) -> None:
    """Mark a token revoked in the database."""
    with app.app_context():
        row = db.session.scalar(select(OAuthToken).where(OAuthToken.token_hash == token_digest(token)))
        row.revoked = True
        db.session.commit()


@pytest.fixture
def live_api(live_database, tmp_path):
    """The real app under gunicorn with the demo data, and an app key made with ``flask api-keys create``."""
    import json

    from live import DEMO_ENV, LiveServer

    server = LiveServer(tmp_path / "live", live_database, env=DEMO_ENV)
    server.start()
    try:
        created = server.flask("api-keys", "create", "--user", "manager", "--scopes", ",".join(ALL_SCOPES),
                               "--json")
        key = json.loads(created.stdout)
        yield server, key["client_id"], key["client_secret"]
    finally:
        server.stop()
