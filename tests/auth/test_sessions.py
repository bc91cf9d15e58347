"""Sessions end on the server: a cookie captured before a logout, a password change or a deactivation no
longer opens a page, and a shown-once secret is shown to one copy of the cookie only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import User

PAGE = "/manager/webhooks"
WEBHOOK_FORM = {
    "url": "http://127.0.0.1:9/hooks", "description": "PMS", "auth_method": "none",
    "events": ["booking_added"], "enabled": "y", "mode": "deferred",
}


@pytest.fixture
def app_config(app_config):
    """Development mode: the webhook form accepts a loopback URL (nothing is ever sent)."""
    return {**app_config, "JOMRES_DEVELOPMENT": True}


@pytest.fixture
def alice(make_user, make_property):
    """A manager with a property."""
    user = make_user("alice", role="manager")
    make_property("Fawlty Towers", managers=[user])
    return user


def copy_of(app, client):
    """Another client sending the very session cookie ``client`` holds now (a captured cookie)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def logged_out(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_captured_before_logout_no_longer_opens_pages(app, client, login, alice):
    login("alice")
    captured = copy_of(app, client)
    assert captured.get(PAGE).status_code == 200
    assert logged_out(client.post("/logout"))
    assert logged_out(captured.get(PAGE))


def test_logout_ends_the_users_sessions_in_other_browsers_too(app, login, alice):
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        assert browser.post("/login", data={"username": "alice", "password": "alice-pass"}).status_code == 302
    laptop.post("/logout")
    assert logged_out(phone.get(PAGE))
    assert phone.post("/login", data={"username": "alice", "password": "alice-pass"}).status_code == 302
    assert phone.get(PAGE).status_code == 200  # a new login works as before


def test_log_out_everywhere_is_in_the_account_menu_and_ends_every_session(app, client, login, alice):
    login("alice")
    other = app.test_client()
    other.post("/login", data={"username": "alice", "password": "alice-pass"})
    html = client.get(PAGE).get_data(as_text=True)
    menu = re.search(r'<details class="dropdown">.*?</details>', html, re.S).group(0)
    assert 'name="everywhere" value="1"' in menu and "Log out everywhere" in menu
    response = client.post("/logout", data={"everywhere": "1"}, follow_redirects=True)
    assert "logged out everywhere" in response.get_data(as_text=True)
    assert logged_out(client.get(PAGE)) and logged_out(other.get(PAGE))


def test_a_remember_me_cookie_dies_with_the_session(app, client, alice):
    client.post("/login", data={"username": "alice", "password": "alice-pass", "remember": "y"})
    remembered = app.test_client()
    remembered.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert remembered.get(PAGE).status_code == 200
    client.post("/logout")
    stale = app.test_client()
    stale.set_cookie("remember_token", remembered.get_cookie("remember_token").value)
    assert logged_out(stale.get(PAGE))


def _edit(admin, user_id: int, **values) -> None:
    data = {"email": "alice@example.com", "role": "manager", "active": "y", "password": "", **values}
    data = {key: value for key, value in data.items() if value is not None}
    response = admin.post(f"/admin/users/{user_id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def admin(app, make_user):
    """A second client, logged in as an administrator."""
    make_user("root", role="administrator")
    browser = app.test_client()
    assert browser.post("/login", data={"username": "root", "password": "root-pass"}).status_code == 302
    return browser


def test_a_password_change_ends_the_users_sessions(app, client, login, alice, admin):
    login("alice")
    _edit(admin, alice.id, password="a-new-password")
    assert logged_out(client.get(PAGE))
    assert client.post("/login", data={"username": "alice", "password": "a-new-password"}).status_code == 302


def test_a_deactivation_ends_the_users_sessions(app, client, login, alice, admin):
    login("alice")
    _edit(admin, alice.id, active=None)  # the checkbox left unticked
    assert logged_out(client.get(PAGE))
    with app.app_context():
        assert db.session.scalar(select(User.active).where(User.id == alice.id)) is False


def test_other_changes_keep_the_session(app, client, login, alice, admin):
    login("alice")
    _edit(admin, alice.id, email="alice@elsewhere.example")
    assert client.get(PAGE).status_code == 200


def test_an_administrator_changing_their_own_password_stays_logged_in_here_only(app, admin, make_user):
    with app.app_context():
        root_id = db.session.scalar(select(User.id).where(User.username == "root"))
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": "root", "password": "root-pass"})
    _edit(admin, root_id, email="root@example.com", role="administrator", password="another-pass")
    assert admin.get("/admin/users").status_code == 200
    assert logged_out(elsewhere.get("/admin/users"))


@pytest.mark.parametrize("cookie_id", ["1", "1:", ":0", "1:x", "x:0", "1:0:0", "１:0", "9" * 40 + ":0", ""])
def test_a_session_with_an_old_or_malformed_user_id_is_not_logged_in(app, client, alice, cookie_id):
    with client.session_transaction() as session:
        session["_user_id"] = cookie_id
        session["_fresh"] = True
    assert logged_out(client.get(PAGE))


def test_the_shown_once_page_shows_the_secret_to_one_copy_of_the_cookie_only(app, client, login, alice):
    """Replaying the cookie the create POST set never shows the ``whsec_`` again."""
    login("alice")
    response = client.post("/manager/webhooks/new", data=WEBHOOK_FORM)
    assert response.status_code == 303
    replayed = copy_of(app, client)  # the cookie as the POST left it, secret not yet taken
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r"whsec_[A-Za-z0-9+/=]+", shown)
    again = replayed.get(response.headers["Location"])
    assert again.status_code == 302 and "whsec_" not in again.get_data(as_text=True)
    assert "whsec_" not in replayed.get(again.headers["Location"]).get_data(as_text=True)


def test_a_copy_taking_the_secret_first_leaves_nothing_for_the_original(app, client, login, alice):
    login("alice")
    response = client.post("/manager/webhooks/new", data=WEBHOOK_FORM)
    thief = copy_of(app, client)
    assert "whsec_" in thief.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get(response.headers["Location"]).status_code == 302
