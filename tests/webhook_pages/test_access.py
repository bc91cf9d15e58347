"""Who reaches which webhook page: the permission matrix, other managers' webhooks, CSRF on every form."""

from __future__ import annotations

import re

import pytest

from jomres_like.extensions import db
from jomres_like.models import Webhook

#: (method, url template) of every webhook page but the catalogue; {w} a webhook id, {d} a delivery id.
PAGES = [
    ("GET", "/manager/webhooks"),
    ("GET", "/manager/webhooks/new"),
    ("POST", "/manager/webhooks/new"),
    ("GET", "/manager/webhooks/{w}/edit"),
    ("POST", "/manager/webhooks/{w}/edit"),
    ("POST", "/manager/webhooks/{w}/delete"),
    ("POST", "/manager/webhooks/{w}/toggle"),
    ("POST", "/manager/webhooks/{w}/test"),
    ("POST", "/manager/webhooks/{w}/rotate"),
    ("GET", "/manager/webhooks/{w}/deliveries"),
    ("POST", "/manager/webhooks/deliveries/{d}/redeliver"),
]
ADMIN_PAGES = [(method, url.replace("/manager/", "/admin/")) for method, url in PAGES]
BY_ID = [page for page in PAGES if "{" in page[1]]


@pytest.fixture
def targets(make_webhook, make_delivery):
    """A webhook of ``mgr`` with one delivery, and a site-wide one with one delivery."""
    mine, _ = make_webhook("mgr")
    site, _ = make_webhook("root")
    return {"mgr": (mine, make_delivery(mine)), "root": (site, make_delivery(site))}


def call(client, method: str, url: str, ids: tuple[int, int]):
    return client.open(url.format(w=ids[0], d=ids[1]), method=method, data={})


@pytest.mark.parametrize("method, url", PAGES)
def test_super_manager_gets_403_on_every_webhook_page(client, login, targets, method, url):
    login("boss")
    assert call(client, method, url, targets["mgr"]).status_code == 403


@pytest.mark.parametrize("method, url", PAGES + ADMIN_PAGES)
def test_registered_user_gets_403(client, login, targets, method, url):
    login("reg")
    assert call(client, method, url, targets["root" if "/admin/" in url else "mgr"]).status_code == 403


@pytest.mark.parametrize("method, url", PAGES + ADMIN_PAGES + [("GET", "/manager/webhooks/events")])
def test_anonymous_is_sent_to_login(client, targets, method, url):
    response = call(client, method, url, targets["mgr"])
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("method, url", BY_ID)
def test_another_managers_webhook_is_404_and_unchanged(app, client, login, targets, method, url):
    login("mgr2")
    assert call(client, method, url, targets["mgr"]).status_code == 404
    with app.app_context():
        webhook = db.session.get(Webhook, targets["mgr"][0])
        assert webhook is not None and webhook.enabled


@pytest.mark.parametrize("method, url", BY_ID)
def test_manager_cannot_reach_site_wide_webhooks(client, login, targets, method, url):
    login("mgr")
    assert call(client, method, url, targets["root"]).status_code == 404


@pytest.mark.parametrize("method, url", ADMIN_PAGES)
def test_managers_get_403_on_the_admin_pages(client, login, targets, method, url):
    login("mgr")
    assert call(client, method, url, targets["root"]).status_code == 403


@pytest.mark.parametrize("method, url", [page for page in ADMIN_PAGES if "{" in page[1]])
def test_administrator_cannot_reach_a_managers_webhook(client, login, targets, method, url):
    login("root")
    assert call(client, method, url, targets["mgr"]).status_code == 404


@pytest.mark.parametrize("username", ["mgr", "boss"])
def test_catalogue_is_open_to_managers_and_super_managers(client, login, people, username):
    login(username)
    html = client.get("/manager/webhooks/events").get_data(as_text=True)
    assert "booking_added" in html and "webhook-signature" in html and "standardwebhooks" in html


def test_menu_hides_webhooks_from_super_managers(client, login, people):
    login("boss")
    html = client.get("/manager/").get_data(as_text=True)
    assert 'href="/manager/webhooks"' not in html and 'href="/manager/webhooks/events"' in html
    client.post("/logout")
    login("mgr")
    assert 'href="/manager/webhooks"' in client.get("/manager/").get_data(as_text=True)


@pytest.mark.parametrize("method, url", [page for page in PAGES + ADMIN_PAGES if page[0] == "POST"])
def test_every_form_needs_the_csrf_token(app, client, targets, method, url):
    app.config["WTF_CSRF_ENABLED"] = True
    username = "root" if "/admin/" in url else "mgr"
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"username": username, "password": username + "-pass", "csrf_token": token})
    response = call(client, method, url, targets[username])
    assert response.status_code == 400
    with app.app_context():
        webhook = db.session.get(Webhook, targets[username][0])
        assert webhook is not None and webhook.enabled and webhook.description == ""


def test_forms_carry_the_csrf_token(app, client, targets):
    app.config["WTF_CSRF_ENABLED"] = True
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"username": "mgr", "password": "mgr-pass", "csrf_token": token})
    webhook_id = targets["mgr"][0]
    for url in ("/manager/webhooks", "/manager/webhooks/new", f"/manager/webhooks/{webhook_id}/edit",
                f"/manager/webhooks/{webhook_id}/deliveries"):
        html = client.get(url).get_data(as_text=True)
        forms = re.findall(r"<form method=\"post\".*?</form>", html, flags=re.S)
        assert forms, url
        for form in forms:
            assert 'name="csrf_token"' in form, (url, form[:200])
