"""App Key Management pages and the ``flask api-keys`` commands."""

from __future__ import annotations

import base64
import json
import re

import pytest
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import OAuthClient


def _token(client, client_id: str, secret: str):
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return client.post(
        "/jomres/api/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {raw}"},
    )


def _keys(app) -> list[OAuthClient]:
    with app.app_context():
        rows = list(db.session.scalars(select(OAuthClient).order_by(OAuthClient.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def _create(client, name="PMS", scopes=("bookings_get", "webhooks_get")):
    return client.post("/manager/app-keys/new", data={"name": name, "scopes": list(scopes)})


def _shown(client, response) -> tuple[str, str]:
    """The client id and secret on the page the creating POST redirected ``client`` to."""
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    client_id = re.search(r"<dt>Client id</dt><dd><code>([^<]+)</code>", html).group(1)
    secret = re.search(r"<code data-secret>([^<]+)</code>", html).group(1)
    return client_id, secret


@pytest.fixture
def manager(make_user, login):
    make_user("alice")
    return login("alice")


def test_new_key_shows_the_secret_once_and_stores_it_hashed(app, manager):
    response = _create(manager)
    client_id, secret = _shown(manager, response)
    again = manager.get(response.headers["Location"])  # a reload: gone, and the key is not created twice
    assert again.status_code == 302 and again.headers["Location"].endswith("/manager/app-keys")
    listing = manager.get("/manager/app-keys").get_data(as_text=True)
    assert "shown only once" in listing and secret not in listing
    [key] = _keys(app)
    assert key.client_id == client_id and key.scopes == ["webhooks_get", "bookings_get"]
    assert secret not in key.secret_hash
    listing = manager.get("/manager/app-keys").get_data(as_text=True)
    assert client_id in listing and secret not in listing
    token = _token(manager, client_id, secret)
    assert token.status_code == 200 and set(token.json["scope"].split()) == {"bookings_get", "webhooks_get"}


def test_scopes_offered_depend_on_the_role(make_user, login, client):
    make_user("alice")
    assert "search_get" not in login("alice").get("/manager/app-keys/new").get_data(as_text=True)
    client.post("/logout")
    make_user("boss", role="super_manager")
    assert "search_get" in login("boss").get("/manager/app-keys/new").get_data(as_text=True)


def test_a_manager_cannot_grant_search(app, manager):
    response = _create(manager, scopes=("bookings_get", "search_get"))
    assert response.status_code == 422
    assert _keys(app) == []


def test_no_scope_is_a_form_error(app, manager):
    response = _create(manager, scopes=())
    assert response.status_code == 422
    assert "Choose at least one scope" in response.get_data(as_text=True)
    assert _keys(app) == []


def test_edit_scopes_narrows_live_tokens(app, manager):
    client_id, secret = _shown(manager, _create(manager))
    token = _token(manager, client_id, secret).json["access_token"]
    key = _keys(app)[0]
    response = manager.post(
        f"/manager/app-keys/{key.id}/edit", data={"name": "PMS 2", "scopes": ["webhooks_get"]}
    )
    assert response.status_code == 302
    assert _keys(app)[0].scopes == ["webhooks_get"] and _keys(app)[0].name == "PMS 2"
    headers = {"Authorization": f"Bearer {token}"}
    assert manager.get("/jomres/api/webhook_events", headers=headers).status_code == 200
    refused = manager.get("/jomres/api/properties/1/guests", headers=headers)
    assert refused.status_code == 403 and refused.json["error"] == "insufficient_scope"


def test_expire_tokens_then_delete(app, manager):
    client_id, secret = _shown(manager, _create(manager))
    token = _token(manager, client_id, secret).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    key = _keys(app)[0]
    assert manager.post(f"/manager/app-keys/{key.id}/expire").status_code == 302
    assert manager.get("/jomres/api/webhook_events", headers=headers).status_code == 401
    fresh = _token(manager, client_id, secret).json["access_token"]
    assert manager.post(f"/manager/app-keys/{key.id}/delete").status_code == 302
    assert _keys(app) == []
    assert (
        manager.get("/jomres/api/webhook_events", headers={"Authorization": f"Bearer {fresh}"}).status_code
        == 401
    )
    assert _token(manager, client_id, secret).status_code == 401


def test_another_managers_key_is_404(app, make_user, login, client):
    make_user("alice")
    _create(login("alice"))
    key = _keys(app)[0]
    client.post("/logout")
    make_user("bob")
    bob = login("bob")
    assert bob.get(f"/manager/app-keys/{key.id}/edit").status_code == 404
    assert bob.post(f"/manager/app-keys/{key.id}/expire").status_code == 404
    assert bob.post(f"/manager/app-keys/{key.id}/delete").status_code == 404
    assert bob.get("/manager/app-keys/99999999999/edit").status_code == 404
    assert len(_keys(app)) == 1


@pytest.mark.parametrize("role", ["administrator", "registered"])
def test_other_roles_get_403(make_user, login, role):
    make_user("someone", role=role)
    browser = login("someone")
    assert browser.get("/manager/app-keys").status_code == 403
    assert (
        browser.post("/manager/app-keys/new", data={"name": "x", "scopes": ["bookings_get"]}).status_code
        == 403
    )


def test_pages_need_a_login(client):
    response = client.get("/manager/app-keys")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_forms_need_a_csrf_token(app_config, make_user):
    from jomres_like import create_app

    app = create_app({**app_config, "WTF_CSRF_ENABLED": True})
    browser = app.test_client()
    make_user("alice")
    page = browser.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    browser.post("/login", data={"username": "alice", "password": "alice-pass", "csrf_token": csrf})
    response = browser.post("/manager/app-keys/new", data={"name": "x", "scopes": ["bookings_get"]})
    assert response.status_code == 400
    assert _keys(app) == []


# --- flask api-keys -------------------------------------------------------------------------------------


def test_cli_create_json_then_token(app, runner, make_user):
    make_user("alice")
    result = runner.invoke(
        args=["api-keys", "create", "--user", "alice", "--scopes", "webhooks_get,bookings_get", "--json"]
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert set(created) >= {"client_id", "client_secret"}
    assert _token(app.test_client(), created["client_id"], created["client_secret"]).status_code == 200
    listed = runner.invoke(args=["api-keys", "list", "--user", "alice"])
    assert created["client_id"] in listed.output and created["client_secret"] not in listed.output


def test_cli_plain_output_and_delete(app, runner, make_user):
    make_user("alice")
    result = runner.invoke(args=["api-keys", "create", "--user", "alice", "--scopes", "bookings_get"])
    assert result.exit_code == 0
    assert "client_secret: " in result.output
    key = _keys(app)[0]
    deleted = runner.invoke(args=["api-keys", "delete", "--user", "alice", str(key.id)])
    assert deleted.exit_code == 0 and _keys(app) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["--user", "nobody", "--scopes", "bookings_get"], "No user called"),
        (["--user", "alice", "--scopes", "search_get"], "cannot grant"),
        (["--user", "alice", "--scopes", "flying"], "cannot grant"),
    ],
)
def test_cli_refuses_bad_input(app, runner, make_user, args, message):
    make_user("alice")
    result = runner.invoke(args=["api-keys", "create", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert _keys(app) == []


def test_cli_refuses_registered_users(app, runner, make_user):
    make_user("visitor", role="registered")
    result = runner.invoke(args=["api-keys", "create", "--user", "visitor", "--scopes", "bookings_get"])
    assert result.exit_code != 0 and "Only managers" in result.output
