"""The webhook service: who sees what, validation, secrets, health and the JSON shapes."""

from __future__ import annotations

import pytest

from jomres_like import crypto
from jomres_like.extensions import db
from jomres_like.models import DeliveryAttempt, Webhook, WebhookDelivery
from jomres_like.services import NotFound, PermissionDenied, ValidationError
from jomres_like.webhooks import service, signing

from .conftest import URL, user

BASIC = {"auth_method": "basic", "auth_settings": {"username": "hook-user", "password": "s3cret-basic-pw"}}


def test_manager_creates_own_webhook_with_defaults_and_secret(ctx, people):
    webhook, secret = service.create_webhook(user("mgr"), {"url": URL})
    db.session.commit()
    assert secret.startswith("whsec_")
    assert webhook.owner_id == user("mgr").id
    assert (webhook.auth_method, webhook.mode, webhook.events) == ("none", "deferred", [])
    assert webhook.enabled and webhook.wait_for_confirmation and not webhook.include_record
    assert secret not in webhook.secret_encrypted
    assert signing.signing_secrets(webhook) == [secret]


def test_administrator_creates_site_wide_webhook(ctx, people):
    webhook, _ = service.create_webhook(user("root"), {"url": URL})
    assert webhook.owner_id is None and webhook.site_wide
    assert service.visible_webhooks(user("root")) == [webhook]
    assert service.visible_webhooks(user("mgr")) == []


@pytest.mark.parametrize("username", ["boss", "reg"])
def test_super_managers_and_registered_users_cannot_manage_webhooks(ctx, people, make_webhook, username):
    webhook_id, _ = make_webhook("mgr")
    with pytest.raises(PermissionDenied):
        service.create_webhook(user(username), {"url": URL})
    with pytest.raises(PermissionDenied):
        service.visible_webhooks(user(username))
    with pytest.raises(PermissionDenied):
        service.get_webhook(user(username), webhook_id)


def test_manager_cannot_see_another_managers_or_site_wide_webhook(ctx, people, make_webhook):
    theirs, _ = make_webhook("mgr2")
    site, _ = make_webhook("root")
    for webhook_id in (theirs, site, 999999, "nope"):
        with pytest.raises(NotFound):
            service.get_webhook(user("mgr"), webhook_id)
    with pytest.raises(NotFound):
        service.get_webhook(user("root"), theirs)


@pytest.mark.parametrize("values, field", [
    ({"url": ""}, "url"),
    ({"url": "ftp://127.0.0.1/x"}, "url"),
    ({"url": 42}, "url"),
    ({"events": ["booking_added", "no_such_event"]}, "events"),
    ({"events": "booking_added"}, "events"),
    ({"auth_method": "kerberos"}, "auth_method"),
    ({"mode": "sometimes"}, "mode"),
    ({"enabled": "yes"}, "enabled"),
    ({"include_record": 1}, "include_record"),
    ({"description": "x" * 256}, "description"),
    ({"auth_method": "basic", "auth_settings": {"username": "u"}}, "auth_settings.password"),
    ({"auth_method": "basic", "auth_settings": {"username": "a:b", "password": "p"}},
     "auth_settings.username"),
    ({"auth_method": "basic", "auth_settings": {"username": "u", "password": "p", "x": 1}}, "auth_settings"),
    ({"auth_method": "basic", "auth_settings": ["u", "p"]}, "auth_settings"),
    ({"colour": "blue"}, "colour"),
])
def test_create_refuses_bad_values_naming_the_field(ctx, people, values, field):
    with pytest.raises(ValidationError) as caught:
        service.create_webhook(user("mgr"), {"url": URL, **values})
    assert field in caught.value.errors
    assert caught.value.status == 422
    db.session.rollback()
    assert db.session.query(Webhook).count() == 0


def test_production_mode_refuses_loopback_urls(app_config, people, app):
    app.config["JOMRES_DEVELOPMENT"] = False
    with app.app_context(), pytest.raises(ValidationError) as caught:
        service.create_webhook(user("mgr"), {"url": URL})
    assert "url" in caught.value.errors


def test_events_are_deduplicated_in_catalogue_order(ctx, people):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL, "events": [
        "guest_saved", "booking_added", "guest_saved"]})
    assert webhook.events == ["booking_added", "guest_saved"]


def test_auth_settings_are_encrypted_and_masked(ctx, people):
    webhook, secret = service.create_webhook(user("mgr"), {"url": URL, **BASIC})
    db.session.commit()
    assert "s3cret-basic-pw" not in (webhook.auth_settings_encrypted or "")
    shown = service.webhook_to_json(webhook)
    assert shown["auth_settings"] == {"username": "hook-user", "password": service.SECRET_MASK}
    assert "s3cret-basic-pw" not in repr(shown) and secret not in repr(shown)
    assert set(shown) >= {"id", "url", "auth_method", "events", "enabled", "mode", "include_record",
                          "wait_for_confirmation", "description", "last_status", "consecutive_failures",
                          "disabled_reason"}


@pytest.mark.parametrize("blank", ["", None, service.SECRET_MASK])
def test_update_keeps_a_blank_secret_and_changes_the_rest(ctx, people, blank):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL, **BASIC})
    changes = service.update_webhook(webhook, {"auth_settings": {"username": "other", "password": blank},
                                               "description": "Channel manager"})
    assert service.stored_auth_settings(webhook) == {"username": "other", "password": "s3cret-basic-pw"}
    assert changes["description"] == ["", "Channel manager"]
    assert "s3cret-basic-pw" not in repr(changes)


def test_update_replaces_a_secret_given_and_drops_the_cached_token(ctx, people):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL, **BASIC})
    webhook.token_cache_encrypted = crypto.encrypt_json({"access_token": "abc"})
    service.update_webhook(webhook, {"auth_settings": {"username": "hook-user", "password": "new-pw"}})
    assert service.stored_auth_settings(webhook)["password"] == "new-pw"
    assert webhook.token_cache_encrypted is None


def test_switching_method_does_not_reuse_another_methods_secret(ctx, people):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL})
    with pytest.raises(ValidationError) as caught:
        service.update_webhook(webhook, {"auth_method": "basic", "auth_settings": {"username": "u"}})
    assert "auth_settings.password" in caught.value.errors


def test_failed_update_changes_nothing(ctx, people):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL, "description": "before"})
    db.session.commit()
    with pytest.raises(ValidationError):
        service.update_webhook(webhook, {"description": "after", "events": ["bogus"]})
    assert webhook.description == "before"


def test_reenabling_clears_health(ctx, people):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL})
    webhook.enabled, webhook.disabled_reason, webhook.consecutive_failures = False, "410 Gone", 7
    service.set_enabled(webhook, True)
    assert webhook.enabled and webhook.disabled_reason == "" and webhook.consecutive_failures == 0
    service.set_enabled(webhook, False)
    assert not webhook.enabled


def test_delete_removes_deliveries_and_attempts(ctx, people, make_webhook, make_delivery):
    webhook_id, _ = make_webhook("mgr")
    kept_id, _ = make_webhook("mgr")
    make_delivery(webhook_id, codes=(500, 502))
    make_delivery(kept_id, codes=(500,))
    service.delete_webhook(service.get_webhook(user("mgr"), webhook_id))
    db.session.commit()
    assert db.session.get(Webhook, webhook_id) is None
    assert db.session.query(WebhookDelivery).filter_by(webhook_id=webhook_id).count() == 0
    assert db.session.query(WebhookDelivery).count() == 1
    assert db.session.query(DeliveryAttempt).count() == 1


def test_rotation_returns_a_new_secret_and_keeps_the_old_one_signing(ctx, people):
    webhook, old = service.create_webhook(user("mgr"), {"url": URL})
    new = service.rotate_secret(webhook)
    assert new != old and new.startswith("whsec_")
    assert signing.signing_secrets(webhook) == [new, old]


def test_deliveries_newest_first_and_as_json(ctx, people, make_webhook, make_delivery):
    webhook_id, _ = make_webhook("mgr")
    first = make_delivery(webhook_id, codes=(500, 503))
    second = make_delivery(webhook_id, status="succeeded", codes=(200,))
    webhook = service.get_webhook(user("mgr"), webhook_id)
    deliveries = list(db.session.scalars(service.deliveries_query(webhook)))
    assert [d.id for d in deliveries] == [second, first]
    shown = service.delivery_to_json(deliveries[1])
    assert shown["status"] == "failed" and shown["attempts"] == 2 and shown["last_status_code"] == 503
    assert shown["message_id"].startswith("msg_") and len(shown["message_id"]) == 30
    assert [a["status_code"] for a in shown["attempt_log"]] == [500, 503]
    assert shown["attempt_log"][0]["response_excerpt"] == "upstream broke #1"


def test_redeliver_refuses_another_managers_delivery(ctx, people, make_webhook, make_delivery):
    delivery_id = make_delivery(make_webhook("mgr2")[0])
    with pytest.raises(NotFound):
        service.redeliver(user("mgr"), delivery_id)
    with pytest.raises(NotFound):
        service.redeliver(user("mgr"), 424242)


def test_redeliver_keeps_the_message_id(ctx, people, make_webhook, make_delivery):
    delivery_id = make_delivery(make_webhook("mgr")[0])
    message_id = db.session.get(WebhookDelivery, delivery_id).message_id
    delivery = service.redeliver(user("mgr"), delivery_id)
    db.session.commit()
    assert delivery.id == delivery_id and delivery.message_id == message_id
    assert delivery.status == "pending"


def test_send_test_creates_a_webhook_test_delivery(ctx, people, make_webhook):
    webhook = service.get_webhook(user("mgr"), make_webhook("mgr")[0])
    delivery = service.send_test(webhook)
    db.session.commit()
    assert delivery.webhook_id == webhook.id and delivery.event == "webhook_test"
    assert delivery.message_id.startswith("msg_")


OAUTH = {"auth_method": "oauth", "auth_settings": {
    "token_url": "http://127.0.0.1:9/oauth/token", "client_id": "pms-client", "client_secret": "s3cret-oauth",
    "scope": "hooks"}}


@pytest.mark.parametrize("auth", [BASIC, OAUTH], ids=["basic", "oauth"])
@pytest.mark.parametrize("values", [{"enabled": False}, {"description": "x"}], ids=["enabled", "description"])
def test_update_changes_only_the_field_it_names(ctx, people, auth, values):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL, **auth})
    db.session.commit()
    before = service.webhook_to_json(webhook)
    changes = service.update_webhook(webhook, values)
    [(name, value)] = values.items()
    assert changes == {name: [before[name], value]}
    assert service.webhook_to_json(webhook) == {**before, **values}
    assert service.stored_auth_settings(webhook) == auth["auth_settings"]


def test_update_of_one_auth_setting_keeps_the_others_and_the_secret(ctx, people):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL, **OAUTH})
    changes = service.update_webhook(webhook, {"auth_settings": {"client_id": "cid"}})
    assert service.stored_auth_settings(webhook) == {**OAUTH["auth_settings"], "client_id": "cid"}
    assert changes == {"auth_settings": ["client_id"]}


def test_update_with_null_clears_an_optional_setting_and_keeps_a_required_one(ctx, people):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL, **OAUTH})
    service.update_webhook(webhook, {"auth_settings": {"scope": None, "client_secret": None}})
    settings = dict(OAUTH["auth_settings"])
    del settings["scope"]
    assert service.stored_auth_settings(webhook) == settings


def test_switching_method_needs_the_new_methods_required_settings(ctx, people):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL, **BASIC})
    db.session.commit()
    with pytest.raises(ValidationError) as caught:
        service.update_webhook(webhook, {"auth_method": "oauth"})
    assert {"auth_settings.client_id", "auth_settings.client_secret"} <= set(caught.value.errors)
    with pytest.raises(ValidationError) as caught:  # the basic username is not an oauth setting
        service.update_webhook(webhook, {"auth_method": "oauth", "auth_settings": {"client_id": "c"}})
    assert set(caught.value.errors) == {"auth_settings.client_secret"}
    db.session.rollback()
    assert webhook.auth_method == "basic"
    service.update_webhook(webhook, {"auth_method": "oauth", "auth_settings": {"client_id": "c",
                                                                               "client_secret": "s"}})
    assert service.stored_auth_settings(webhook) == {"client_id": "c", "client_secret": "s"}


@pytest.mark.parametrize("values, dropped", [
    ({"description": "x"}, False),
    ({"enabled": False}, False),
    ({"url": "http://127.0.0.1:9/elsewhere"}, True),
    ({"auth_settings": {"token_url": "http://127.0.0.1:9/other/token"}}, True),
    ({"auth_settings": {"token_url": ""}}, True),  # now the webhook's URL
])
def test_a_new_url_or_token_url_drops_the_cached_token(ctx, people, values, dropped):
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL, **OAUTH})
    webhook.token_cache_encrypted = crypto.encrypt_json({"access_token": "abc"})
    service.update_webhook(webhook, values)
    assert (webhook.token_cache_encrypted is None) is dropped


def test_update_does_not_check_fields_it_does_not_name(app_config, people, app):
    with app.app_context():
        webhook_id = service.create_webhook(user("mgr"), {"url": URL, **OAUTH})[0].id
        db.session.commit()
    app.config["JOMRES_DEVELOPMENT"] = False  # the stored loopback URLs would be refused now
    with app.app_context():
        webhook = db.session.get(Webhook, webhook_id)
        assert service.update_webhook(webhook, {"enabled": False}) == {"enabled": [True, False]}
        with pytest.raises(ValidationError) as caught:
            service.update_webhook(webhook, {"url": URL})
        assert "url" in caught.value.errors
