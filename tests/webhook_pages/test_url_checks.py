"""The SSRF rules at save time through the webhook service and the form: IPv6 transition addresses and
host names with a trailing dot, with loopback opened by development mode or by ``127.0.0.1/32``."""

from __future__ import annotations

import pytest

from jomres_like.extensions import db
from jomres_like.models import Webhook
from jomres_like.services import ValidationError
from jomres_like.webhooks import service

from .conftest import URL, user
from .test_pages import form_data

TRANSITION_URLS = ["http://[64:ff9b::7f00:1]:9/hook", "http://[2002:7f00:1::]:9/hook",
                   "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:9/hook", "http://[::127.0.0.1]:9/hook"]


@pytest.fixture(params=["development", "allowed-127.0.0.1/32"])
def app_config(request, app_config):
    """Loopback opened by development mode, or production with only 127.0.0.1/32 allowed."""
    if request.param != "development":
        app_config.update(JOMRES_DEVELOPMENT=False, JOMRES_WEBHOOK_ALLOWED_NETWORKS=("127.0.0.1/32",))
    return app_config


@pytest.mark.parametrize("url", TRANSITION_URLS)
def test_create_and_update_refuse_transition_addresses_naming_the_url(ctx, people, url):
    with pytest.raises(ValidationError) as caught:
        service.create_webhook(user("mgr"), {"url": url})
    assert "IPv6 transition range" in caught.value.errors["url"]
    webhook, _ = service.create_webhook(user("mgr"), {"url": URL})
    with pytest.raises(ValidationError) as caught:
        service.update_webhook(webhook, {"url": url})
    assert "forbidden address" in caught.value.errors["url"]
    assert webhook.url == URL


@pytest.mark.parametrize("url, private_url", [("http://127.0.0.1.:9/hook", "http://10.0.0.1.:9/hook"),
                                              ("http://0x7f000001.:9/hook", "http://0x0a000001.:9/hook")])
def test_a_literal_with_a_trailing_dot_is_judged_as_the_literal(ctx, people, url, private_url):
    webhook, _ = service.create_webhook(user("mgr"), {"url": url})
    assert webhook.url == url
    with pytest.raises(ValidationError) as caught:
        service.update_webhook(webhook, {"url": private_url})
    assert "10.0.0.1 is a private address" in caught.value.errors["url"]


def test_the_form_shows_a_transition_address_as_a_url_error(app, client, login, people):
    login("mgr")
    response = client.post("/manager/webhooks/new", data=form_data(url="http://[64:ff9b::7f00:1]:9/hook"))
    assert response.status_code == 422
    assert "IPv6 transition range" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(Webhook).count() == 0
