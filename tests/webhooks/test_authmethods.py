"""Auth methods: the registry, their settings, and what each one sends to a local receiver."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from oauth_support import TokenServer
from standardwebhooks.webhooks import Webhook as Verifier
from werkzeug import Request, Response

from jomres_like import __version__, crypto
from jomres_like.deferred import registry
from jomres_like.extensions import db
from jomres_like.models import Webhook, WebhookDelivery, WebhookEvent
from jomres_like.services import ValidationError
from jomres_like.timeutil import utcnow
from jomres_like.webhooks import authmethods, payloads, service
from jomres_like.webhooks.attempt import deliver, processors

CLIENT_SECRET = "s3cret-client-value"
PASSWORD = "correct horse battery"


@pytest.fixture
def app_config(app_config):
    """Production rules with 127.0.0.1 opened for the local receiver."""
    app_config.update(JOMRES_DEVELOPMENT=False, JOMRES_WEBHOOK_ALLOWED_NETWORKS=("127.0.0.1/32",),
                      JOMRES_WEBHOOK_CONNECT_TIMEOUT=1.0, JOMRES_WEBHOOK_TIMEOUT=3.0)
    return app_config


@pytest.fixture
def hook(ctx, make_webhook, httpserver):
    """``hook(auth_method, settings)`` -> a webhook at the local receiver's ``/hook``, in this session."""

    def factory(auth_method: str = "none", settings: dict | None = None, **values) -> Webhook:
        made = make_webhook(owner=None, url=httpserver.url_for("/hook"), auth_method=auth_method,
                            auth_settings=settings, **values)
        webhook = db.session.get(Webhook, made.id)
        webhook.plain_secret = made.plain_secret
        return webhook

    return factory


def send(webhook: Webhook, event: str = "booking_added"):
    """Create a delivery of a fresh event to ``webhook`` and deliver it; return (result, delivery)."""
    row = WebhookEvent(event=event, data={"property_uid": 1, "contract_uid": 41}, event_metadata={},
                       dispatched=True)
    db.session.add(row)
    db.session.flush()
    message_id = payloads.new_message_id()
    delivery = WebhookDelivery(message_id=message_id, webhook_id=webhook.id, event_id=row.id, event=event,
                               payload=payloads.build_payload(row, webhook, message_id))
    db.session.add(delivery)
    db.session.flush()
    result = deliver(delivery, webhook)
    db.session.commit()
    return result, delivery


def webhook_requests(httpserver) -> list[Request]:
    """The requests the receiver got on ``/hook`` that were webhook POSTs (not token requests)."""
    return [req for req, _resp in httpserver.log if req.path == "/hook" and "webhook-id" in req.headers]


def token_requests(httpserver, path: str = "/token") -> list[Request]:
    """The token requests the receiver got."""
    return [req for req, _resp in httpserver.log if req.path == path and "webhook-id" not in req.headers]


def webhooks_log(app) -> str:
    """Everything written to the Webhooks channel so far."""
    path = Path(app.config["JOMRES_LOG_DIR"]) / "Webhooks.application.log"
    return path.read_text() if path.exists() else ""


# --- the registry ---------------------------------------------------------------------------------------


def test_the_three_methods_are_registered_with_their_field_schemas():
    registry = authmethods.methods()
    assert list(registry) == ["none", "basic", "oauth"]
    assert registry["none"].fields == ()
    assert [(f.name, f.kind, f.required, f.secret) for f in registry["basic"].fields] == [
        ("username", "text", True, False), ("password", "password", True, True)]
    assert [(f.name, f.kind, f.required, f.secret) for f in registry["oauth"].fields] == [
        ("token_url", "url", False, False), ("client_id", "text", True, False),
        ("client_secret", "password", True, True), ("scope", "text", False, False)]
    assert all(method.label for method in registry.values())


def test_unknown_methods_and_duplicate_names_raise_specific_errors():
    with pytest.raises(authmethods.UnknownAuthMethod) as caught:
        authmethods.get_method("kerberos")
    assert isinstance(caught.value, ValidationError)
    assert caught.value.field == "auth_method"

    class Impostor(authmethods.AuthMethod):
        name = "none"

    with pytest.raises(authmethods.DuplicateAuthMethod):
        authmethods.register(Impostor)
    assert authmethods.get_method("none") is not Impostor


def test_a_new_method_joins_by_registering():
    class Header(authmethods.AuthMethod):
        name = "header_for_test"
        label = "Custom header"
        fields = (authmethods.AuthField("value", "Value", "password", secret=True),)

    try:
        authmethods.register(Header)
        assert authmethods.get_method("header_for_test") is Header
        assert "07320watcher_authmethod_process_header_for_test" in processors(Header)
    finally:
        authmethods._registry.pop("header_for_test", None)


@pytest.mark.parametrize("name", [
    "07320watcher_authmethod_process_none", "07320watcher_authmethod_process_basic",
    "07320watcher_authmethod_process_oauth", "07310watcher_authmethod_process_none",
])
def test_processors_exist_for_each_method(app, name):
    assert callable(registry.registry(app).get(name))


@pytest.mark.parametrize("name", [
    "07320watcher_authmethod_process_kerberos", "07320watcher_authmethod_process_", "none", "",
    "../07320watcher_authmethod_process_none", None,
])
def test_unknown_processors_raise(app, name):
    with pytest.raises(authmethods.UnknownProcessor):
        registry.registry(app).get(name)


# --- settings ---------------------------------------------------------------------------------------------


def test_basic_settings_are_validated_and_cleaned(ctx):
    basic = authmethods.get_method("basic")
    cleaned = basic.validate_settings({"username": " bob ", "password": " pw ", "extra": "dropped"})
    assert cleaned == {"username": "bob", "password": " pw "}
    with pytest.raises(ValidationError) as caught:
        basic.validate_settings({"username": "", "password": 5})
    assert caught.value.errors == {"username": "Username is required.", "password": "Password must be text."}
    with pytest.raises(ValidationError) as caught:
        basic.validate_settings({"username": "a:b", "password": "x"})
    assert caught.value.field == "username"
    with pytest.raises(ValidationError):
        basic.validate_settings(["not", "a", "dict"])


def test_oauth_token_url_is_optional_but_checked_against_ssrf(ctx):
    oauth = authmethods.get_method("oauth")
    cleaned = oauth.validate_settings({"client_id": "id", "client_secret": "s"})
    assert cleaned == {"client_id": "id", "client_secret": "s"}
    for bad in ("http://10.0.0.1/token", "ftp://example.com/token", "http://169.254.169.254/"):
        with pytest.raises(ValidationError) as caught:
            oauth.validate_settings({"token_url": bad, "client_id": "id", "client_secret": "s"})
        assert caught.value.field == "token_url"
    with pytest.raises(ValidationError) as caught:
        oauth.validate_settings({"client_id": "id", "client_secret": "x" * 3000})
    assert caught.value.field == "client_secret"


def test_secrets_are_masked_and_kept_on_edit():
    basic = authmethods.get_method("basic")
    stored = {"username": "bob", "password": PASSWORD}
    assert authmethods.public_settings(basic, stored) == {"username": "bob", "password": "********"}
    assert authmethods.public_settings(basic, {"username": "bob"}) == {"username": "bob", "password": ""}
    for blank in ("", None, "********"):
        assert authmethods.merge_settings(basic, {"username": "ann", "password": blank}, stored) == {
            "username": "ann", "password": PASSWORD}
    assert authmethods.merge_settings(basic, {"password": "new"}, stored) == {
        "username": "bob", "password": "new"}  # an omitted setting keeps its stored value
    assert authmethods.merge_settings(basic, {}, stored) == stored


def test_merge_settings_updates_the_stored_ones_with_the_keys_given():
    oauth = authmethods.get_method("oauth")
    stored = {"token_url": "https://auth.example.com/token", "client_id": "cid",
              "client_secret": CLIENT_SECRET, "scope": "hooks"}
    merged = authmethods.merge_settings(oauth, {"client_id": "other"}, stored)
    assert merged == {**stored, "client_id": "other"}
    # null clears an optional setting and keeps a required one; "" clears a plain setting
    assert authmethods.merge_settings(oauth, {"scope": None, "token_url": ""}, stored) == {
        "token_url": "", "client_id": "cid", "client_secret": CLIENT_SECRET}
    assert authmethods.merge_settings(oauth, {"client_id": None, "client_secret": None}, stored) == stored
    # the mask is never taken for a secret, even with nothing stored
    assert authmethods.merge_settings(oauth, {"client_id": "c", "client_secret": "********"}, {}) == {
        "client_id": "c", "client_secret": ""}


# --- what each method sends -------------------------------------------------------------------------------


def test_none_sends_the_standard_headers_and_no_authorization(app, hook, httpserver):
    webhook = hook("none")
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    result, delivery = send(webhook)
    assert result.ok, result.error
    [request] = webhook_requests(httpserver)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"] == f"jomres_like/{__version__} (webhooks)"
    assert request.headers["X-Jomres-Event"] == "booking_added"
    assert request.headers["webhook-id"] == delivery.message_id
    assert "Authorization" not in request.headers
    verified = Verifier(webhook.plain_secret).verify(request.get_data(), dict(request.headers))
    assert verified == delivery.payload


def test_basic_adds_the_basic_authorization_header(app, hook, httpserver):
    webhook = hook("basic", {"username": "bob", "password": PASSWORD})
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    result, _delivery = send(webhook)
    assert result.ok, result.error
    [request] = webhook_requests(httpserver)
    expected = base64.b64encode(f"bob:{PASSWORD}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.authorization.username == "bob" and request.authorization.password == PASSWORD
    assert Verifier(webhook.plain_secret).verify(request.get_data(), dict(request.headers))
    assert PASSWORD not in webhooks_log(app) and expected not in webhooks_log(app)


def oauth_hook(hook, httpserver, **extra) -> Webhook:
    settings = {"token_url": httpserver.url_for("/token"), "client_id": "app-1",
                "client_secret": CLIENT_SECRET, "scope": "webhooks_get", **extra}
    return hook("oauth", settings)


def test_oauth_fetches_a_token_with_client_credentials_and_sends_it_as_bearer(app, hook, httpserver):
    tokens = TokenServer()
    httpserver.expect_request("/token", method="POST").respond_with_handler(tokens)
    bearer = {"Authorization": "Bearer tok-1"}
    httpserver.expect_request("/hook", method="POST", headers=bearer).respond_with_data("ok")
    webhook = oauth_hook(hook, httpserver)

    result, _delivery = send(webhook)

    assert result.ok, result.error
    [token_request] = token_requests(httpserver)
    assert token_request.form["grant_type"] == "client_credentials"
    assert token_request.form["scope"] == "webhooks_get"
    assert token_request.authorization.username == "app-1"
    assert token_request.authorization.password == CLIENT_SECRET
    [request] = webhook_requests(httpserver)
    assert Verifier(webhook.plain_secret).verify(request.get_data(), dict(request.headers))
    log = webhooks_log(app)
    assert "tok-1" not in log and CLIENT_SECRET not in log and webhook.plain_secret not in log


def test_oauth_credentials_are_form_encoded_inside_basic_as_rfc_6749_asks(hook, httpserver):
    from urllib.parse import unquote

    tokens = TokenServer()
    httpserver.expect_request("/token", method="POST").respond_with_handler(tokens)
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    secret = "p:ss/wörd%+ &="
    result, _delivery = send(oauth_hook(hook, httpserver, client_id="app:1", client_secret=secret))
    assert result.ok, result.error
    [token_request] = token_requests(httpserver)
    assert unquote(token_request.authorization.username) == "app:1"
    assert unquote(token_request.authorization.password) == secret
    assert token_request.content_type.startswith("application/x-www-form-urlencoded")


def test_oauth_caches_the_token_encrypted_until_it_expires(hook, httpserver):
    tokens = TokenServer(expires_in=3600)
    httpserver.expect_request("/token").respond_with_handler(tokens)
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = oauth_hook(hook, httpserver)

    assert send(webhook)[0].ok and send(webhook)[0].ok
    assert tokens.issued == ["tok-1"]
    db.session.expire_all()
    stored = db.session.get(Webhook, webhook.id)
    assert "tok-1" not in stored.token_cache_encrypted
    assert crypto.decrypt_json(stored.token_cache_encrypted)["access_token"] == "tok-1"
    assert timedelta(minutes=58) < stored.token_expires_at - utcnow() <= timedelta(hours=1)

    stored.token_expires_at = utcnow() - timedelta(seconds=1)
    assert send(stored)[0].ok
    assert tokens.issued == ["tok-1", "tok-2"]
    assert [r.headers["Authorization"] for r in webhook_requests(httpserver)] == [
        "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]


def test_changed_credentials_do_not_reuse_the_cached_token(hook, httpserver):
    tokens = TokenServer()
    httpserver.expect_request("/token").respond_with_handler(tokens)
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = oauth_hook(hook, httpserver)
    assert send(webhook)[0].ok
    settings = crypto.decrypt_json(webhook.auth_settings_encrypted)
    webhook.auth_settings_encrypted = crypto.encrypt_json({**settings, "client_id": "app-2"})
    assert send(webhook)[0].ok
    assert tokens.issued == ["tok-1", "tok-2"]


def test_an_update_of_the_client_id_keeps_the_token_url_scope_and_secret(hook, httpserver):
    tokens = TokenServer()
    httpserver.expect_request("/token").respond_with_handler(tokens)
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = oauth_hook(hook, httpserver)
    assert send(webhook)[0].ok

    service.update_webhook(webhook, {"auth_settings": {"client_id": "app-2"}})
    db.session.commit()
    result, _delivery = send(webhook)

    assert result.ok, result.error
    assert tokens.issued == ["tok-1", "tok-2"]  # the cached token belonged to the old client id
    second = token_requests(httpserver)[1]
    assert (second.authorization.username, second.authorization.password) == ("app-2", CLIENT_SECRET)
    assert second.form["scope"] == "webhooks_get"
    assert [r.headers["Authorization"] for r in webhook_requests(httpserver)] == [
        "Bearer tok-1", "Bearer tok-2"]


def test_a_401_makes_exactly_one_new_token_request(hook, httpserver):
    tokens = TokenServer()
    httpserver.expect_request("/token").respond_with_handler(tokens)
    httpserver.expect_request("/hook", headers={"Authorization": "Bearer tok-1"}).respond_with_data("", 401)
    httpserver.expect_request("/hook", headers={"Authorization": "Bearer tok-2"}).respond_with_data("ok")
    webhook = oauth_hook(hook, httpserver)
    webhook.token_cache_encrypted = None

    result, _delivery = send(webhook)

    assert (result.ok, result.status_code) == (True, 200)
    assert tokens.issued == ["tok-1", "tok-2"]
    assert len(webhook_requests(httpserver)) == 2


def test_a_receiver_that_keeps_answering_401_gets_one_retry_only(hook, httpserver):
    tokens = TokenServer()
    httpserver.expect_request("/token").respond_with_handler(tokens)
    httpserver.expect_request("/hook").respond_with_data("go away", 401)
    webhook = oauth_hook(hook, httpserver)

    result, _delivery = send(webhook)

    assert (result.ok, result.status_code) == (False, 401)
    assert tokens.issued == ["tok-1", "tok-2"]
    assert len(webhook_requests(httpserver)) == 2


def test_the_token_url_defaults_to_the_webhook_url(hook, httpserver):
    tokens = TokenServer()

    def hook_or_token(request: Request) -> Response:
        if request.form.get("grant_type") == "client_credentials":
            return tokens(request)
        ok = request.headers.get("Authorization") == "Bearer tok-1"
        return Response("ok" if ok else "no", 200 if ok else 401)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(hook_or_token)
    webhook = hook("oauth", {"client_id": "app-1", "client_secret": CLIENT_SECRET})
    result, _delivery = send(webhook)
    assert result.ok, result.error
    assert tokens.issued == ["tok-1"]


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (Response(json.dumps({"error": "invalid_client"}), 401, content_type="application/json"),
         "Token request failed: the token endpoint refused: invalid_client"),
        (Response("oops", 500), "Token request failed: the token endpoint answered HTTP 500"),
        (Response("<html>login</html>", 200),
         "Token request failed: the token endpoint did not answer with JSON"),
        (Response(json.dumps(["tok"]), 200, content_type="application/json"),
         "Token request failed: the token endpoint did not answer with a token"),
        (Response(json.dumps({"access_token": "tok\r\nX-Evil: 1"}), 200, content_type="application/json"),
         "Token request failed: the token endpoint's access_token is not a valid bearer token"),
        (Response(json.dumps({"token_type": "Bearer"}), 200, content_type="application/json"),
         "Token request failed: the token endpoint's answer has no access_token"),
        (Response("", 302, {"Location": "http://10.0.0.1/token"}),
         "Token request failed: the token endpoint answered HTTP 302"),
    ],
)
def test_token_failures_are_failed_attempts_and_nothing_is_posted(hook, httpserver, response, reason):
    httpserver.expect_request("/token").respond_with_response(response)
    httpserver.expect_request("/hook").respond_with_data("ok")
    result, _delivery = send(oauth_hook(hook, httpserver))
    assert (result.ok, result.error) == (False, reason)
    assert webhook_requests(httpserver) == []
    assert len(token_requests(httpserver)) == 1


def test_the_token_request_goes_through_the_ssrf_guard(hook, httpserver):
    webhook = oauth_hook(hook, httpserver, token_url="http://10.0.0.1/token")
    result, _delivery = send(webhook)
    assert result.ok is False
    assert result.error == "Token request failed: Refused by the SSRF policy: 10.0.0.1 is a private address"
    assert httpserver.log == []


def test_the_excerpt_hides_the_bearer_token_and_client_secret(hook, httpserver):
    httpserver.expect_request("/token").respond_with_handler(TokenServer())
    httpserver.expect_request("/hook").respond_with_data(f"echo tok-1 {CLIENT_SECRET}", status=400)
    result, _delivery = send(oauth_hook(hook, httpserver))
    assert result.status_code == 400
    assert "tok-1" not in result.response_excerpt
    assert CLIENT_SECRET not in result.response_excerpt
