"""Tokens: client credentials (Basic, form fields, Jomres' form POST), scopes, lifetime, revocation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import OAuthClient, OAuthToken

from .conftest import basic, bearer, expire

pytestmark = pytest.mark.usefixtures("demo")


def test_token_by_http_basic(client, app_key):
    client_id, secret = app_key("manager", ["bookings_get", "webhooks_get"])
    response = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    )
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {"bookings_get", "webhooks_get"}  # none asked: the key's scopes
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/jomres/api/webhook_events", headers=bearer(body["access_token"])).status_code == 200


def test_token_by_form_fields(client, app_key):
    client_id, secret = app_key("manager", ["bookings_get"])
    response = client.post(
        "/jomres/api/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200
    assert response.json["scope"] == "bookings_get"


def test_jomres_form_post_to_api_root(client, app_key):
    client_id, secret = app_key("manager", ["webhooks_get"])
    response = client.post(
        "/jomres/api/",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200
    assert response.json["access_token"]


def test_api_root_refuses_json_posts(client):
    response = client.post("/jomres/api/", json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json["meta"]["code"] == 400


def test_wrong_secret_is_invalid_client(client, app_key):
    client_id, _ = app_key("manager", ["bookings_get"])
    response = client.post(
        "/jomres/api/oauth/token",
        data={"grant_type": "client_credentials"},
        headers=basic(client_id, "not-the-secret"),
    )
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert response.json["meta"]["error_message"]


def _client_auth(path: str, how: str, client_id: str, secret: str) -> dict:
    """The request arguments of a call to ``path`` authenticated by HTTP Basic or by form fields."""
    token_call = path.endswith(("/revoke", "/introspect"))
    data = {"token": "whatever"} if token_call else {"grant_type": "client_credentials"}
    if how == "basic":
        return {"data": data, "headers": basic(client_id, secret)}
    return {"data": {**data, "client_id": client_id, "client_secret": secret}}


@pytest.mark.parametrize("path, how", [
    ("/jomres/api/oauth/token", "basic"),
    ("/jomres/api/oauth/token", "form"),
    ("/jomres/api/", "form"),  # Jomres clients post their credentials as form fields
    ("/jomres/api/oauth/revoke", "basic"),
    ("/jomres/api/oauth/introspect", "form"),
])
def test_unknown_client_and_wrong_secret_answer_alike(client, app_key, path, how):
    client_id, _ = app_key("manager", ["bookings_get"])

    wrong = client.post(path, **_client_auth(path, how, client_id, "not-the-secret"))
    unknown = client.post(path, **_client_auth(path, how, "no-such-client", "not-the-secret"))

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_data() == unknown.get_data()  # byte for byte: nothing tells a known id from another
    assert wrong.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]
    assert wrong.json["error"] == "invalid_client"
    assert wrong.json["error_description"] == "Client authentication failed"
    assert wrong.json["meta"] == {"code": 401, "error_message": "Client authentication failed"}
    assert "[" not in wrong.get_data(as_text=True) + wrong.headers["WWW-Authenticate"]  # no Python list


def test_an_unknown_client_id_costs_a_secret_check_too(client, monkeypatch):
    from jomres_like.oauth import server

    checked = []
    real = server.check_password_hash
    monkeypatch.setattr(server, "check_password_hash", lambda *args: checked.append(args) or real(*args))

    response = client.post("/jomres/api/oauth/token", data={"grant_type": "client_credentials"},
                           headers=basic("no-such-client", "not-the-secret"))

    assert response.status_code == 401
    assert len(checked) == 1 and checked[0][0].startswith("pbkdf2:sha256:")  # hashed as a real secret is


def test_unknown_grant_type_is_refused(client, app_key):
    client_id, secret = app_key("manager", ["bookings_get"])
    response = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "password"}, headers=basic(client_id, secret)
    )
    assert response.status_code == 400
    assert response.json["error"] == "unsupported_grant_type"


def test_scope_the_key_lacks_is_invalid_scope(client, app_key):
    client_id, secret = app_key("manager", ["bookings_get"])
    response = client.post(
        "/jomres/api/oauth/token",
        data={"grant_type": "client_credentials", "scope": "bookings_get bookings_set"},
        headers=basic(client_id, secret),
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid_scope"
    with client.application.app_context():
        assert db.session.scalar(select(OAuthToken)) is None


def test_narrower_scope_is_granted(client, app_key):
    client_id, secret = app_key("manager", ["bookings_get", "webhooks_get"])
    response = client.post(
        "/jomres/api/oauth/token",
        data={"grant_type": "client_credentials", "scope": "webhooks_get"},
        headers=basic(client_id, secret),
    )
    assert response.json["scope"] == "webhooks_get"
    token = response.json["access_token"]
    assert client.get("/jomres/api/properties/1/bookings", headers=bearer(token)).status_code == 403


@pytest.mark.parametrize("path", ["/jomres/api/oauth/token", "/jomres/api/"])
def test_comma_separated_scopes_are_granted_as_jomres_clients_send_them(client, app_key, path):
    client_id, secret = app_key("manager", ["bookings_get", "webhooks_get", "properties_get"])
    response = client.post(path, data={"grant_type": "client_credentials", "client_id": client_id,
                                       "client_secret": secret, "scope": "webhooks_get,bookings_get"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert set(response.json["scope"].split()) == {"webhooks_get", "bookings_get"}
    token = response.json["access_token"]
    assert client.get("/jomres/api/properties/1/bookings", headers=bearer(token)).status_code == 200
    refused = client.post(path, data={"grant_type": "client_credentials", "client_id": client_id,
                                      "client_secret": secret, "scope": "webhooks_get,bookings_set"})
    assert refused.status_code == 400 and refused.json["error"] == "invalid_scope"


def test_lifetime_comes_from_config(app, client, app_key):
    app.config["JOMRES_TOKEN_LIFETIME"] = 120
    client_id, secret = app_key("manager", ["bookings_get"])
    response = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    )
    assert response.json["expires_in"] == 120


def test_secrets_and_tokens_are_stored_hashed(app, client, app_key):
    client_id, secret = app_key("manager", ["bookings_get"])
    token = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    ).json["access_token"]
    with app.app_context():
        key = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
        row = db.session.scalar(select(OAuthToken))
        assert secret not in key.secret_hash and key.secret_hash.startswith("pbkdf2:")
        assert token not in row.token_hash and len(row.token_hash) == 64


def test_revoked_token_stops_working(client, app_key):
    client_id, secret = app_key("manager", ["bookings_get"])
    token = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    ).json["access_token"]
    assert client.get("/jomres/api/properties/1/guests", headers=bearer(token)).status_code == 200
    response = client.post(
        "/jomres/api/oauth/revoke", data={"token": token}, headers=basic(client_id, secret)
    )
    assert response.status_code == 200
    refused = client.get("/jomres/api/properties/1/guests", headers=bearer(token))
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_another_key_cannot_revoke_my_token(client, app_key):
    mine, my_secret = app_key("manager", ["bookings_get"])
    theirs, their_secret = app_key("manager2", ["bookings_get"])
    token = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(mine, my_secret)
    ).json["access_token"]
    response = client.post(
        "/jomres/api/oauth/revoke", data={"token": token}, headers=basic(theirs, their_secret)
    )
    assert response.status_code == 400
    assert client.get("/jomres/api/properties/1/guests", headers=bearer(token)).status_code == 200


def test_introspection(app, client, app_key):
    client_id, secret = app_key("manager", ["bookings_get"])
    token = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    ).json["access_token"]
    active = client.post(
        "/jomres/api/oauth/introspect", data={"token": token}, headers=basic(client_id, secret)
    )
    assert active.status_code == 200
    assert active.json["active"] is True
    assert active.json["scope"] == "bookings_get"
    assert active.json["username"] == "manager"
    expire(app, token)
    assert client.post(
        "/jomres/api/oauth/introspect", data={"token": token}, headers=basic(client_id, secret)
    ).json == {"active": False}
    assert client.post(
        "/jomres/api/oauth/introspect", data={"token": "nonsense"}, headers=basic(client_id, secret)
    ).json == {"active": False}


def test_owner_who_is_no_longer_a_manager_gets_no_token(app, client, app_key):
    from jomres_like.models import User

    client_id, secret = app_key("manager", ["bookings_get"])
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "manager"))
        user.role = "registered"
        db.session.commit()
    response = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    )
    assert response.status_code == 400
    assert response.json["error"] == "unauthorized_client"


def test_token_endpoint_is_rate_limited(app_config):
    from jomres_like import create_app
    from jomres_like.oauth.keys import create_key, find_user

    app = create_app({**app_config, "RATELIMIT_ENABLED": True, "JOMRES_TOKEN_RATE_LIMIT": "3 per minute"})
    with app.app_context():
        key, secret = create_key(find_user("manager"), "rl", ["bookings_get"])
        db.session.commit()
        client_id = key.client_id
    client = app.test_client()
    statuses = [
        client.post(
            "/jomres/api/oauth/token",
            data={"grant_type": "client_credentials"},
            headers=basic(client_id, secret),
        ).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    limited = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(client_id, secret)
    )
    assert limited.json["meta"]["code"] == 429
    assert "Retry-After" in limited.headers or "X-RateLimit-Reset" in limited.headers


def test_token_endpoint_answers_oversized_bodies_with_413(client):
    response = client.post(
        "/jomres/api/oauth/token", data={"grant_type": "client_credentials", "scope": "x" * (2 * 1024 * 1024)}
    )
    assert response.status_code == 413
    assert response.json["meta"]["code"] == 413


@pytest.mark.parametrize("header", ["Bearer", "Basic", "Bearer "])
@pytest.mark.parametrize("path", ["/jomres/api/oauth/token", "/jomres/api/", "/jomres/api/oauth/revoke"])
def test_an_authorization_header_without_credentials_is_invalid_client(client, app_key, header, path):
    client_id, secret = app_key("manager", ["webhooks_get"])
    response = client.post(path, headers={"Authorization": header}, data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret, "token": "x"})
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
