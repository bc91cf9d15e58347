"""Webhook subscription URLs through the API: IPv6 transition addresses are a 422 on ``url``; a loopback
literal with a trailing dot is judged as the literal (the demo runs in development mode)."""

from __future__ import annotations

import pytest

from .conftest import bearer

PATH = "/jomres/api/webhook_subscriptions"


@pytest.fixture
def token(demo, token_for):
    """A token of the demo's ``manager`` with every scope."""
    return token_for("manager")


@pytest.mark.parametrize("url", ["http://[64:ff9b::7f00:1]:9/hook", "http://[2002:7f00:1::]:9/hook",
                                 "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:9/hook",
                                 "http://[::127.0.0.1]:9/hook"])
def test_transition_addresses_are_422_on_create_and_update(client, token, url):
    created = client.post(PATH, headers=bearer(token), json={"url": url, "events": ["booking_modified"]})
    assert created.status_code == 422, created.get_data(as_text=True)
    assert "IPv6 transition range" in created.json["errors"]["url"]
    good = client.post(PATH, headers=bearer(token),
                       json={"url": "http://127.0.0.1:9/hook", "events": ["booking_modified"]})
    sub_id = good.json["data"]["webhook_subscription"]["id"]
    changed = client.patch(f"{PATH}/{sub_id}", headers=bearer(token), json={"url": url})
    assert changed.status_code == 422
    assert "url" in changed.json["errors"]
    read = client.get(f"{PATH}/{sub_id}", headers=bearer(token))
    assert read.json["data"]["webhook_subscription"]["url"] == "http://127.0.0.1:9/hook"


def test_a_loopback_literal_with_a_trailing_dot_is_accepted_as_the_literal(client, token):
    created = client.post(PATH, headers=bearer(token),
                          json={"url": "http://0x7f000001.:9/hook", "events": ["booking_modified"]})
    assert created.status_code == 201, created.get_data(as_text=True)
    refused = client.post(PATH, headers=bearer(token),
                          json={"url": "http://169.254.169.254./", "events": ["booking_modified"]})
    assert refused.status_code == 422
    assert "metadata" in refused.json["errors"]["url"]
