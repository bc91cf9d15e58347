"""The bearer-token check answers exactly as Authlib's ResourceProtector over the ORM token did before it.

The reference below is the check the API used until the token was read with one Core statement: Authlib
parses the header and validates the ORM token (expiry, revocation, scope), then the owner must still be
allowed to use the API. Every header shape and token state must give the same answer from both.
"""

from __future__ import annotations

import time

import pytest
from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.integrations.flask_oauth2.requests import FlaskJsonRequest
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import request
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import OAuthToken, User
from jomres_like.models.oauth import token_digest
from jomres_like.oauth.bearer import TokenError, authenticate
from jomres_like.oauth.keys import can_have_keys
from jomres_like.oauth.server import query_token

from .conftest import bearer

pytestmark = pytest.mark.usefixtures("demo")

_DESCRIPTIONS = {
    "invalid_token": "The access token is missing, expired, revoked or unknown.",
    "insufficient_scope": "The access token does not have the scope this request needs.",
    "invalid_request": "The Authorization header is malformed.",
}


class _Validator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return query_token(token_string)


_protector = ResourceProtector()
_protector.register_token_validator(_Validator(realm="jomres"))


def reference_authenticate(scope: str | None) -> OAuthToken:
    """The previous check: Authlib's ResourceProtector over the ORM token, then the owner's role."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise TokenError(401, "missing_token", "An access token is required (Authorization: Bearer ...).")
    try:
        token = _protector.validate_request([scope] if scope else None, FlaskJsonRequest(request))
    except OAuth2Error as error:
        name = error.error if error.error in _DESCRIPTIONS else "invalid_token"
        if name == "invalid_request" and header.split(" ", 1)[0].lower() != "bearer":
            name = "invalid_token"
        status = 403 if name == "insufficient_scope" else (400 if name == "invalid_request" else 401)
        raise TokenError(status, name, _DESCRIPTIONS[name]) from None
    if not can_have_keys(token.user):
        raise TokenError(401, "invalid_token", "The owner of this token can no longer use the API.")
    return token


def _outcome(check, headers: dict, scope: str | None) -> tuple:
    from flask import current_app

    with current_app.test_request_context("/jomres/api/properties", headers=headers):
        try:
            token = check(scope)
        except TokenError as error:
            return ("refused", error.status, error.error, error.description, error.www_authenticate)
        finally:
            db.session.remove()
        owner = token.owner if hasattr(token, "owner") else token.user
        return ("accepted", token.id, token.client_pk, token.scope, owner.id, owner.username, owner.role)


def _change(token: str, **token_values) -> None:
    row = db.session.scalar(select(OAuthToken).where(OAuthToken.token_hash == token_digest(token)))
    for key, value in token_values.items():
        setattr(row, key, value)
    db.session.commit()


def _change_owner(username: str, **values) -> None:
    user = db.session.scalar(select(User).where(User.username == username))
    for key, value in values.items():
        setattr(user, key, value)
    db.session.commit()


HEADERS = {
    "none": lambda token: {},
    "bearer": lambda token: bearer(token),
    "lowercase scheme": lambda token: {"Authorization": f"bearer {token}"},
    "two spaces": lambda token: {"Authorization": f"Bearer  {token}"},
    "trailing space": lambda token: {"Authorization": f"Bearer {token} "},
    "scheme only": lambda token: {"Authorization": "Bearer"},
    "basic": lambda token: {"Authorization": f"Basic {token}"},
    "other scheme": lambda token: {"Authorization": f"Token {token}"},
    "unknown token": lambda token: bearer("not-a-token"),
    "oversized token": lambda token: bearer("x" * 600),
}
STATES = ("valid", "expired", "revoked", "no_scope", "owner_registered", "owner_inactive")


@pytest.mark.parametrize("scope", ["bookings_get", "webhooks_get", None])
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("header", list(HEADERS))
def test_bearer_check_answers_as_before(app, token_for, header: str, state: str, scope: str | None):
    token = token_for("manager", ["properties_get"] if state == "no_scope" else ["bookings_get"])
    with app.app_context():
        if state == "expired":
            _change(token, issued_at=int(time.time()) - 4000)
        elif state == "revoked":
            _change(token, revoked=True)
        elif state == "owner_registered":
            _change_owner("manager", role="registered")
        elif state == "owner_inactive":
            _change_owner("manager", active=False)
        headers = HEADERS[header](token)
        assert _outcome(authenticate, headers, scope) == _outcome(reference_authenticate, headers, scope)


def test_revocation_and_expiry_take_effect_on_the_next_request(app, client, token_for):
    token = token_for("manager", ["webhooks_get"])
    url = "/jomres/api/webhooks/1/property_updated"
    assert client.get(url, headers=bearer(token)).status_code == 200
    with app.app_context():
        _change(token, revoked=True)
    assert client.get(url, headers=bearer(token)).status_code == 401
    other = token_for("manager", ["webhooks_get"])
    assert client.get(url, headers=bearer(other)).status_code == 200
    with app.app_context():
        _change(other, issued_at=int(time.time()) - 4000)
    assert client.get(url, headers=bearer(other)).status_code == 401


def test_api_changes_are_recorded_as_the_token_owner(app, client, token_for):
    from jomres_like.models import WebhookEvent

    token = token_for("manager", ["properties_set"])
    new = [
        {"room_type": "Double", "start_date": "2031-01-01", "end_date": "2031-12-31", "rate_per_night": 120}
    ]
    response = client.put("/jomres/api/properties/1/tariffs", headers=bearer(token), json={"tariffs": new})
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        event = db.session.scalars(select(WebhookEvent).order_by(WebhookEvent.id.desc())).first()
        manager = db.session.scalar(select(User).where(User.username == "manager"))
        assert event.event == "tariffs_updated" and event.user_id == manager.id


ROUTES = {  # route -> the scope it needs
    "/jomres/api/webhooks/{uid}/property_updated": "webhooks_get",
    "/jomres/api/webhooks/{uid}/booking_modified/999999": "webhooks_get",  # 404 once the property passes
    "/jomres/api/properties/{uid}": "properties_get",
    "/jomres/api/properties/{uid}/tariffs": "properties_get",
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize(
    ("username", "scope_ok", "property_uid", "status"),
    [
        ("manager", True, 1, 200),
        ("manager", True, 3, 403),  # another manager's
        ("manager", True, 2, 404),  # deleted below
        ("manager", True, 99, 404),
        ("manager", True, 2**31, 404),  # beyond the integer range: never queried
        ("manager", False, 3, 403),  # the scope is checked first...
        ("manager", False, 99, 403),  # ...even for a property that does not exist
        ("super", True, 3, 200),
        ("super", True, 2, 404),
    ],
)
def test_property_access_read_with_the_token(app, client, token_for, route, username, scope_ok, property_uid,
                                             status):
    from jomres_like.models import Property
    from jomres_like.services.properties import delete_property

    token = token_for(username, [ROUTES[route] if scope_ok else "bookings_set"])
    with app.app_context():
        delete_property(db.session.get(Property, 2))
        db.session.commit()
    response = client.get(route.format(uid=property_uid), headers=bearer(token))
    assert response.status_code == (404 if status == 200 and "999999" in route else status)


@pytest.mark.parametrize(("property_uid", "expected"), [(1, None), (3, "PermissionDenied"), (99, "NotFound")])
def test_check_property_without_the_tokens_facts(app, token_for, property_uid, expected):
    from flask import g

    from jomres_like.api.common import check_property
    from jomres_like.oauth.bearer import find_bearer_token
    from jomres_like.services import NotFound, PermissionDenied

    token = token_for("manager", ["webhooks_get"])
    with app.test_request_context("/jomres/api/properties"):
        g.api_token = find_bearer_token(token)  # as for a route without a property_uid
        assert g.api_token.property_access is None
        if expected is None:
            assert check_property(property_uid) == property_uid
        else:
            with pytest.raises({"NotFound": NotFound, "PermissionDenied": PermissionDenied}[expected]):
                check_property(property_uid)
        db.session.remove()
