"""The webhook form guides: only the chosen auth method's settings are validated, events come by resource."""

from __future__ import annotations

import re

from jomres_like import crypto, signals
from jomres_like.extensions import db
from jomres_like.models import Webhook
from jomres_like.webhooks.forms import events_by_group

from .conftest import URL
from .test_pages import form_data

BOOKING_EVENTS = [name for key, _label, names in events_by_group() if key == "bookings" for name in names]


def _boxes(html: str, name: str) -> dict[str, str]:
    """The checkboxes named ``name``: value -> the whole ``<input>`` tag."""
    tags = re.findall(r"<input[^>]*>", html)
    return {re.search(r'value="([^"]*)"', tag)[1]: tag for tag in tags if f'name="{name}"' in tag}


def _created(app) -> Webhook:
    with app.app_context():
        webhook = db.session.query(Webhook).one()
        db.session.expunge(webhook)
        return webhook


def test_a_basic_webhook_with_stray_empty_oauth_fields_is_created(app, client, login, people):
    login("mgr")
    stray = {"auth_oauth-token_url": "", "auth_oauth-client_id": "", "auth_oauth-client_secret": "",
             "auth_oauth-scope": ""}
    response = client.post("/manager/webhooks/new", data=form_data(**stray))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    webhook = _created(app)
    assert webhook.auth_method == "basic"
    with app.app_context():
        settings = crypto.decrypt_json(webhook.auth_settings_encrypted, {})
    assert settings == {"username": "hook-user", "password": "pw-Very-Secret-1"}


def test_another_methods_input_is_not_validated_and_not_kept(app, client, login, people):
    login("mgr")
    stray = {"auth_oauth-client_id": "x" * 3000, "auth_oauth-token_url": "not a url " * 300}
    response = client.post("/manager/webhooks/new", data=form_data(**stray))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        settings = crypto.decrypt_json(_created(app).auth_settings_encrypted, {})
    assert set(settings) == {"username", "password"}


def test_the_chosen_methods_settings_are_still_validated(app, client, login, people):
    login("mgr")
    response = client.post("/manager/webhooks/new", data=form_data(**{"auth_basic-username": "x" * 3000}))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.query(Webhook).count() == 0


def test_required_settings_name_their_method(client, login, people):
    login("mgr")
    html = client.get("/manager/webhooks/new").get_data(as_text=True)
    assert "Required for HTTP Basic." in html and "Required for OAuth 2.0 (client credentials)." in html
    assert re.search(r'<fieldset id="auth-basic" class="auth-settings" data-auth-method="basic">', html)
    assert "js/webhook_form.js" in html


def test_events_are_grouped_by_resource_with_all_per_group(client, login, people):
    login("mgr")
    html = client.get("/manager/webhooks/new").get_data(as_text=True)
    groups = re.findall(r'<fieldset class="event-group" data-event-group>(.*?)</fieldset>', html, re.S)
    assert len(groups) >= 8
    seen = []
    for group in groups:
        alls = _boxes(group, "event_groups")
        assert len(alls) == 1 and "data-event-all" in next(iter(alls.values()))  # one "all" per group
        seen += list(_boxes(group, "events"))
    assert sorted(seen) == sorted(signals.CATALOGUE)  # every event once, each in its group
    bookings = next(group for group in groups if "<legend>Bookings</legend>" in group)
    assert "booking_added" in bookings and "guest_checkedin" in bookings and "invoice_created" not in bookings


def test_all_of_a_group_ticks_its_events_without_javascript(app, client, login, people):
    login("mgr")
    response = client.post("/manager/webhooks/new", data=form_data(events=["invoice_created"],
                                                                  event_groups=["bookings"]))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    webhook = _created(app)
    assert set(webhook.events) == {*BOOKING_EVENTS, "invoice_created"}
    html = client.get(f"/manager/webhooks/{webhook.id}/edit").get_data(as_text=True)
    alls = _boxes(html, "event_groups")
    assert "checked" in alls["bookings"] and "checked" not in alls["invoices"]


def test_an_unknown_group_is_a_form_error(app, client, login, people):
    login("mgr")
    response = client.post("/manager/webhooks/new", data=form_data(event_groups=["nope"]))
    assert response.status_code == 422
    assert URL in response.get_data(as_text=True)  # the form again, filled in
