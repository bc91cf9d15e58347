"""The webhook pages, happy paths and validation: list, new, edit, toggle, delete, test, rotate..."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from jomres_like.extensions import db
from jomres_like.models import Webhook, WebhookDelivery

from .conftest import URL


def form_data(**overrides) -> dict:
    """What the new/edit form posts for a basic-auth webhook."""
    data = {"url": URL, "description": "Channel manager", "auth_method": "basic",
            "auth_basic-username": "hook-user", "auth_basic-password": "pw-Very-Secret-1",
            "auth_oauth-client_secret": "", "events": ["booking_added", "booking_cancelled"],
            "enabled": "y", "mode": "deferred", "wait_for_confirmation": "y"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def stored(app, webhook_id: int) -> Webhook:
    with app.app_context():
        webhook = db.session.get(Webhook, webhook_id)
        if webhook is not None:
            db.session.expunge(webhook)
        return webhook


def test_list_shows_webhooks_health_and_disabled_reason(app, client, login, make_webhook):
    webhook_id, _ = make_webhook("mgr", description="To the PMS")
    with app.app_context():
        webhook = db.session.get(Webhook, webhook_id)
        webhook.enabled, webhook.disabled_reason, webhook.consecutive_failures = False, "Answered 410 Gone", 3
        webhook.last_status = 410
        db.session.commit()
    make_webhook("mgr2", description="Someone else's")
    login("mgr")
    html = client.get("/manager/webhooks").get_data(as_text=True)
    assert "To the PMS" in html and "Someone else" not in html
    assert "Answered 410 Gone" in html and 'role="alert"' in html
    assert "3 consecutive failures" in html and "last status 410" in html
    assert f"/manager/webhooks/{webhook_id}/toggle" in html and ">Enable<" in html


def test_new_webhook_shows_secret_once_and_never_again(app, client, login, people):
    login("mgr")
    page = client.get("/manager/webhooks/new").get_data(as_text=True)
    for name in ("auth_basic-username", "auth_basic-password", "auth_oauth-client_id",
                 "auth_oauth-client_secret"):
        assert f'name="{name}"' in page  # every method's fieldset, no JavaScript needed
    response = client.post("/manager/webhooks/new", data=form_data())
    assert response.status_code == 303  # Post/Redirect/Get: a reload never creates a second webhook
    shown = client.get(response.headers["Location"])
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    html = shown.get_data(as_text=True)
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", html).group(0)
    assert "Webhook created" in html and "pw-Very-Secret-1" not in html
    assert secret not in client.get_cookie("session").value  # held encrypted until shown
    with app.app_context():
        webhook = db.session.query(Webhook).one()
        assert webhook.owner.username == "mgr" and webhook.auth_method == "basic"
        assert webhook.events == ["booking_added", "booking_cancelled"]
        webhook_id = webhook.id
    again = client.get(response.headers["Location"])
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/webhooks/{webhook_id}/edit")
    assert "shown only once" in client.get(again.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Webhook).count() == 1
    for url in ("/manager/webhooks", f"/manager/webhooks/{webhook_id}/edit",
                f"/manager/webhooks/{webhook_id}/deliveries"):
        page = client.get(url).get_data(as_text=True)
        assert secret not in page and "whsec_" not in page and "pw-Very-Secret-1" not in page


@pytest.mark.parametrize("overrides, message", [
    ({"url": ""}, "This field is required."),
    ({"url": "ftp://127.0.0.1/x"}, "http"),
    ({"auth_basic-password": ""}, "Password is required."),
    ({"auth_basic-username": "a:b"}, "colon"),
    ({"events": ["no_such_event"]}, "not a valid choice"),
    ({"auth_method": "kerberos"}, "not a valid choice"),
    ({"mode": "sometimes"}, "not a valid choice"),
    ({"description": "x" * 300}, "255"),
])
def test_new_webhook_with_bad_input_shows_form_errors(app, client, login, people, overrides, message):
    login("mgr")
    response = client.post("/manager/webhooks/new", data=form_data(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True).replace("Not a valid", "not a valid")
    assert "pw-Very-Secret-1" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Webhook).count() == 0


def test_production_mode_refuses_a_loopback_url_as_a_form_error(app, client, login, people):
    app.config["JOMRES_DEVELOPMENT"] = False
    login("mgr")
    response = client.post("/manager/webhooks/new", data=form_data())
    assert response.status_code == 422
    assert "forbidden address" in response.get_data(as_text=True)


def test_edit_shows_stored_secret_as_kept_and_blank_keeps_it(app, client, login, make_webhook):
    webhook_id, _ = make_webhook("mgr", auth_method="basic",
                                 auth_settings={"username": "hook-user", "password": "pw-Very-Secret-1"})
    login("mgr")
    page = client.get(f"/manager/webhooks/{webhook_id}/edit").get_data(as_text=True)
    assert "stored — leave empty to keep the stored secret" in page and 'value="hook-user"' in page
    assert "pw-Very-Secret-1" not in page
    response = client.post(f"/manager/webhooks/{webhook_id}/edit",
                           data=form_data(**{"auth_basic-password": "", "description": "Edited",
                                             "events": []}))
    assert response.status_code == 302
    with app.app_context():
        from jomres_like.webhooks import service

        webhook = db.session.get(Webhook, webhook_id)
        assert webhook.description == "Edited" and webhook.events == []
        assert service.stored_auth_settings(webhook)["password"] == "pw-Very-Secret-1"


def test_edit_with_bad_input_changes_nothing(app, client, login, make_webhook):
    webhook_id, _ = make_webhook("mgr", description="before")
    login("mgr")
    response = client.post(f"/manager/webhooks/{webhook_id}/edit",
                           data=form_data(description="after", url="gopher://127.0.0.1/"))
    assert response.status_code == 422
    assert stored(app, webhook_id).description == "before"


def test_toggle_disables_and_reenables_clearing_the_reason(app, client, login, make_webhook):
    webhook_id, _ = make_webhook("mgr")
    login("mgr")
    assert client.post(f"/manager/webhooks/{webhook_id}/toggle", data={"enabled": "0"}).status_code == 302
    assert stored(app, webhook_id).enabled is False
    with app.app_context():
        db.session.get(Webhook, webhook_id).disabled_reason = "Failing for 5 days"
        db.session.commit()
    client.post(f"/manager/webhooks/{webhook_id}/toggle", data={"enabled": "1"})
    webhook = stored(app, webhook_id)
    assert webhook.enabled is True and webhook.disabled_reason == ""


def test_delete_removes_the_webhook(app, client, login, make_webhook, make_delivery):
    webhook_id, _ = make_webhook("mgr")
    make_delivery(webhook_id)
    make_delivery(webhook_id)
    login("mgr")
    listing = client.get("/manager/webhooks").get_data(as_text=True)
    assert f'href="/manager/webhooks/{webhook_id}/delete"' in listing  # a link to the question, not a POST
    question = client.get(f"/manager/webhooks/{webhook_id}/delete")
    html = question.get_data(as_text=True)
    assert question.status_code == 200 and f"Delete webhook #{webhook_id}?" in html
    assert "Its 2 deliveries" in html and 'method="post"' in html
    assert stored(app, webhook_id) is not None  # asking deletes nothing
    response = client.post(f"/manager/webhooks/{webhook_id}/delete")
    assert response.status_code == 302 and response.headers["Location"].endswith("/manager/webhooks")
    assert stored(app, webhook_id) is None


def test_send_test_event_queues_a_delivery(app, client, login, make_webhook):
    webhook_id, _ = make_webhook("mgr")
    login("mgr")
    response = client.post(f"/manager/webhooks/{webhook_id}/test")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manager/webhooks/{webhook_id}/deliveries")
    with app.app_context():
        delivery = db.session.query(WebhookDelivery).one()
        assert (delivery.webhook_id, delivery.event) == (webhook_id, "webhook_test")
    page = client.get(f"/manager/webhooks/{webhook_id}/deliveries").get_data(as_text=True)
    assert delivery.message_id in page and "webhook_test" in page


def test_rotate_shows_the_new_secret_once(app, client, login, make_webhook):
    webhook_id, old = make_webhook("mgr")
    login("mgr")
    response = client.post(f"/manager/webhooks/{webhook_id}/rotate")
    assert response.status_code == 303
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "New signing secret" in html and "24 hours" in html
    new = re.search(r"whsec_[A-Za-z0-9+/=]+", html).group(0)
    assert new != old and old not in html
    assert new not in client.get(f"/manager/webhooks/{webhook_id}/edit").get_data(as_text=True)


def test_deliveries_page_shows_attempts_and_paginates(app, client, login, make_webhook, make_delivery):
    app.config["JOMRES_PAGE_SIZE"] = 2
    webhook_id, _ = make_webhook("mgr")
    make_delivery(webhook_id, status="succeeded", codes=(200,), event="guest_saved", excerpt="ok thanks")
    make_delivery(webhook_id, status="pending", codes=(500, 503), event="booking_added", excerpt="down")
    last = make_delivery(webhook_id, status="failed", codes=(502,), event="room_added", excerpt="bad gateway")
    login("mgr")
    html = client.get(f"/manager/webhooks/{webhook_id}/deliveries").get_data(as_text=True)
    assert "room_added" in html and "booking_added" in html and "guest_saved" not in html
    assert "bad gateway #1" in html and "down #2" in html and "42 ms" in html  # duration of the last attempt
    assert "<details>" in html and f"/manager/webhooks/deliveries/{last}/redeliver" in html
    assert "Page 1 of 2" in html
    page2 = client.get(f"/manager/webhooks/{webhook_id}/deliveries?page=2").get_data(as_text=True)
    assert "guest_saved" in page2 and "ok thanks #1" in page2
    assert client.get(f"/manager/webhooks/{webhook_id}/deliveries?page=abc").status_code == 200


def test_redeliver_keeps_the_message_id(app, client, login, make_webhook, make_delivery):
    webhook_id, _ = make_webhook("mgr")
    delivery_id = make_delivery(webhook_id, status="failed", codes=(500,) * 3)
    with app.app_context():
        message_id = db.session.get(WebhookDelivery, delivery_id).message_id
    login("mgr")
    response = client.post(f"/manager/webhooks/deliveries/{delivery_id}/redeliver")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manager/webhooks/{webhook_id}/deliveries")
    with app.app_context():
        delivery = db.session.get(WebhookDelivery, delivery_id)
        assert delivery.message_id == message_id and delivery.status == "pending"
    assert message_id in client.get(response.headers["Location"]).get_data(as_text=True)


OAUTH = {"token_url": "http://127.0.0.1:9/oauth/token", "client_id": "pms-client",
         "client_secret": "oauth-Very-Secret-2", "scope": "hooks"}


def stored_settings(app, webhook_id: int) -> dict:
    """The webhook's decrypted auth settings."""
    from jomres_like.webhooks import service

    with app.app_context():
        return service.stored_auth_settings(db.session.get(Webhook, webhook_id))


def test_edit_form_submitted_unchanged_keeps_everything_with_the_secret(app, client, login, make_webhook):
    from live import form_fields

    webhook_id, _ = make_webhook("mgr", auth_method="oauth", auth_settings=OAUTH, description="PMS",
                                 events=["booking_added"])
    before = stored(app, webhook_id)
    login("mgr")
    page = client.get(f"/manager/webhooks/{webhook_id}/edit").get_data(as_text=True)
    assert "oauth-Very-Secret-2" not in page
    secret_input = re.search(r'<input[^>]*name="auth_oauth-client_secret"[^>]*>', page).group(0)
    assert re.search(r'value="[^"]', secret_input) is None and 'type="password"' in secret_input
    hint = page[page.index('name="auth_oauth-client_secret"'):].split("</small>")[0]
    assert "leave empty to keep the stored secret" in hint
    fields = MultiDict(form_fields(page))
    assert fields["auth_oauth-client_secret"] == "" and fields["auth_oauth-token_url"] == OAUTH["token_url"]
    response = client.post(f"/manager/webhooks/{webhook_id}/edit", data=fields, follow_redirects=True)
    assert response.status_code == 200 and "Nothing changed." in response.get_data(as_text=True)
    assert stored_settings(app, webhook_id) == OAUTH
    after = stored(app, webhook_id)
    for name in ("url", "description", "events", "enabled", "mode", "include_record", "wait_for_confirmation",
                 "auth_method"):
        assert getattr(after, name) == getattr(before, name), name


def test_edit_form_with_a_new_client_id_and_an_empty_secret_keeps_the_secret(app, client, login,
                                                                               make_webhook):
    from live import form_fields

    webhook_id, _ = make_webhook("mgr", auth_method="oauth", auth_settings=OAUTH)
    login("mgr")
    fields = MultiDict(form_fields(client.get(f"/manager/webhooks/{webhook_id}/edit").get_data(as_text=True)))
    fields["auth_oauth-client_id"], fields["auth_oauth-scope"] = "new-client", ""
    response = client.post(f"/manager/webhooks/{webhook_id}/edit", data=fields)
    assert response.status_code == 302
    expected = {key: value for key, value in OAUTH.items() if key != "scope"}
    assert stored_settings(app, webhook_id) == {**expected, "client_id": "new-client"}


def test_edit_form_switching_method_needs_the_new_methods_settings(app, client, login, make_webhook):
    webhook_id, _ = make_webhook("mgr", auth_method="basic",
                                 auth_settings={"username": "hook-user", "password": "pw-Very-Secret-1"})
    login("mgr")
    response = client.post(f"/manager/webhooks/{webhook_id}/edit",
                           data=form_data(**{"auth_method": "oauth", "auth_basic-password": ""}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Client ID is required." in html and "Client secret is required." in html
    assert "pw-Very-Secret-1" not in html
    assert stored(app, webhook_id).auth_method == "basic"
    assert stored_settings(app, webhook_id) == {"username": "hook-user", "password": "pw-Very-Secret-1"}
