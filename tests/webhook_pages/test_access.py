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
    ("GET", "/manager/webhooks/{w}/delete"),
    ("POST", "/manager/webhooks/{w}/delete"),
    ("GET", "/manager/webhooks/{w}/secret"),
    ("POST", "/manager/webhooks/{w}/toggle"),
    ("POST", "/manager/webhooks/{w}/test"),
    ("POST", "/manager/webhooks/{w}/rotate"),
    ("GET", "/manager/webhooks/{w}/deliveries"),
    ("POST", "/manager/webhooks/deliveries/{d}/redeliver"),
]
ADMIN_PAGES = [(method, url.replace("/manager/", "/admin/")) for method, url in PAGES]
BY_ID = [page for page in PAGES if "{" in page[1]]
ADMIN_BY_ID = [page for page in ADMIN_PAGES if "{" in page[1]]


@pytest.fixture
def targets(make_webhook, make_delivery):
    """A webhook of ``mgr`` with one delivery, and a site-wide one with one delivery."""
    mine, _ = make_webhook("mgr")
    site, _ = make_webhook("root")
    return {"mgr": (mine, make_delivery(mine)), "root": (site, make_delivery(site))}


def statuses(client, pages, ids: tuple[int, int]) -> dict[str, int]:
    """``{"METHOD url": status}`` for each page, with ``ids`` (webhook, delivery) filled in."""
    return {f"{method} {url}": client.open(url.format(w=ids[0], d=ids[1]), method=method, data={}).status_code
            for method, url in pages}


def intact(app, webhook_id: int) -> bool:
    """Whether the webhook still exists, enabled and undescribed, as the fixture made it."""
    with app.app_context():
        webhook = db.session.get(Webhook, webhook_id)
        return webhook is not None and webhook.enabled and webhook.description == ""


@pytest.mark.parametrize("username, pages, target, expected", [
    ("boss", PAGES, "mgr", 403),  # super managers cannot manage webhooks
    ("reg", PAGES, "mgr", 403),
    ("reg", ADMIN_PAGES, "root", 403),
    ("mgr", ADMIN_PAGES, "root", 403),  # managers are not administrators
    ("boss", ADMIN_PAGES, "root", 403),
    ("mgr2", BY_ID, "mgr", 404),  # another manager's webhook does not exist for them
    ("mgr", BY_ID, "root", 404),  # nor does a site-wide one
    ("root", ADMIN_BY_ID, "mgr", 404),  # administrators manage site-wide webhooks only
])
def test_access_matrix(app, client, login, targets, username, pages, target, expected):
    login(username)
    found = statuses(client, pages, targets[target])
    assert found == {page: expected for page in found}
    assert intact(app, targets[target][0])


def test_anonymous_is_sent_to_login(client, targets):
    for method, url in PAGES + ADMIN_PAGES + [("GET", "/manager/webhooks/events")]:
        response = client.open(url.format(w=targets["mgr"][0], d=targets["mgr"][1]), method=method)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("username, url", [
    ("mgr", "/manager/webhooks/events"), ("boss", "/manager/webhooks/events"),
    ("root", "/admin/webhooks/events"),
])
def test_catalogue_is_open_to_managers_super_managers_and_administrators(client, login, people, username,
                                                                          url):
    login(username)
    html = client.get(url).get_data(as_text=True)
    assert "booking_added" in html and "webhook-signature" in html and "standardwebhooks" in html


def test_menu_hides_webhooks_from_super_managers(client, login, people):
    login("boss")
    html = client.get("/manager/").get_data(as_text=True)
    assert 'href="/manager/webhooks"' not in html and 'href="/manager/webhooks/events"' in html
    client.post("/logout")
    login("mgr")
    assert 'href="/manager/webhooks"' in client.get("/manager/").get_data(as_text=True)


def csrf_login(client, username: str) -> None:
    """Log in through the real login form, CSRF token included."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": username + "-pass",
                                           "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.parametrize("username, pages", [("mgr", PAGES), ("root", ADMIN_PAGES)])
def test_every_form_needs_the_csrf_token(app, client, targets, username, pages):
    app.config["WTF_CSRF_ENABLED"] = True
    csrf_login(client, username)
    found = statuses(client, [page for page in pages if page[0] == "POST"], targets[username])
    assert found == {page: 400 for page in found}
    assert intact(app, targets[username][0])


def test_forms_carry_the_csrf_token(app, client, targets):
    app.config["WTF_CSRF_ENABLED"] = True
    csrf_login(client, "mgr")
    webhook_id = targets["mgr"][0]
    for url in ("/manager/webhooks", "/manager/webhooks/new", f"/manager/webhooks/{webhook_id}/edit",
                f"/manager/webhooks/{webhook_id}/deliveries"):
        html = client.get(url).get_data(as_text=True)
        forms = re.findall(r"<form method=\"post\".*?</form>", html, flags=re.S)
        assert forms, url
        for form in forms:
            assert 'name="csrf_token"' in form, (url, form[:200])


def test_a_form_with_its_token_is_accepted(app, client, targets):
    app.config["WTF_CSRF_ENABLED"] = True
    csrf_login(client, "mgr")
    webhook_id = targets["mgr"][0]
    html = client.get("/manager/webhooks").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post(f"/manager/webhooks/{webhook_id}/toggle",
                           data={"csrf_token": token, "enabled": "0"})
    assert response.status_code == 302
    assert not intact(app, webhook_id)
