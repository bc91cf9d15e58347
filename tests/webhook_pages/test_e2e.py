"""End to end under gunicorn: a manager creates a webhook in the pages, sends a test event and redelivers it.

The receiver is pytest-httpserver on 127.0.0.1 (development mode allows loopback URLs).
"""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(live_database, tmp_path):
    """The real app under gunicorn with the demo data."""
    from live import DEMO_ENV, LiveServer

    live = LiveServer(tmp_path / "live", live_database, env=DEMO_ENV)
    live.start(timeout=60)
    yield live
    live.stop()


def received(httpserver, count: int, timeout: float = 20.0) -> list:
    """The requests the receiver got, once there are ``count`` of them (bounded wait)."""
    deadline = time.monotonic() + timeout
    while len(httpserver.log) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(httpserver.log) >= count, f"receiver got {len(httpserver.log)} of {count} requests"
    return [request for request, _response in httpserver.log]


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_create_send_test_event_and_redeliver_through_the_pages(server, httpserver):
    from live import csrf_token

    httpserver.expect_request("/hook", method="POST").respond_with_data("thanks", status=200)
    browser = server.session("manager", "manager")
    form = browser.get(server.url + "/manager/webhooks/new", timeout=10)
    created = browser.post(server.url + "/manager/webhooks/new", timeout=10, data={
        "csrf_token": csrf_token(form.text), "url": httpserver.url_for("/hook"), "description": "e2e",
        "auth_method": "basic", "auth_basic-username": "hook-user", "auth_basic-password": "pw-e2e-Secret",
        "enabled": "y", "mode": "deferred", "wait_for_confirmation": "y"})
    assert created.status_code == 200, created.text[:2000]
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", created.text).group(0)
    listing = browser.get(server.url + "/manager/webhooks", timeout=10)
    assert secret not in listing.text and "pw-e2e-Secret" not in listing.text
    webhook_id = int(re.search(r"/manager/webhooks/(\d+)/test", listing.text).group(1))

    sent = browser.post(f"{server.url}/manager/webhooks/{webhook_id}/test",
                        data={"csrf_token": token_of(listing.text)}, timeout=10, allow_redirects=False)
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/{webhook_id}/deliveries")
    first = received(httpserver, 1)[0]
    payload = StandardWebhook(secret).verify(first.get_data(), dict(first.headers))
    assert payload["event"] == "webhook_test" and payload["data"]["webhook_id"] == webhook_id
    assert first.headers["Authorization"] == "Basic " + base64.b64encode(b"hook-user:pw-e2e-Secret").decode()

    deadline = time.monotonic() + 20
    page = ""
    while time.monotonic() < deadline and "succeeded" not in page:
        page = browser.get(f"{server.url}/manager/webhooks/{webhook_id}/deliveries", timeout=10).text
        time.sleep(0.1)
    assert "succeeded" in page and first.headers["webhook-id"] in page and "thanks" in page
    delivery_id = int(re.search(r"/manager/webhooks/deliveries/(\d+)/redeliver", page).group(1))

    again = browser.post(f"{server.url}/manager/webhooks/deliveries/{delivery_id}/redeliver",
                         data={"csrf_token": token_of(page)}, timeout=10, allow_redirects=False)
    assert again.status_code == 302
    second = received(httpserver, 2)[1]
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert json.loads(second.get_data())["id"] == payload["id"]
    StandardWebhook(secret).verify(second.get_data(), dict(second.headers))
