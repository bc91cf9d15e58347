"""End to end: a booking modified through the API reaches a webhook receiver exactly as one modified in the
pages (same headers, same body shape, same Jomres ``data``, the change in ``event_metadata``)."""

from __future__ import annotations

import json
import time

import pytest
import requests
from live import csrf_token
from standardwebhooks import Webhook

pytestmark = pytest.mark.e2e


def _wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_api_and_pages_send_the_same_webhook(live_api, httpserver):
    server, client_id, secret = live_api
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    token = requests.post(
        server.url + "/jomres/api/oauth/token",
        auth=(client_id, secret),
        data={"grant_type": "client_credentials"},
        timeout=10,
    ).json()["access_token"]
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"

    created = api.post(
        server.url + "/jomres/api/webhook_subscriptions",
        timeout=10,
        json={"url": httpserver.url_for("/hook"), "events": ["booking_modified"]},
    )
    assert created.status_code == 201, created.text
    signing_secret = created.json()["data"]["webhook_subscription"]["secret"]
    booking = api.get(server.url + "/jomres/api/properties/1/bookings?per_page=1", timeout=10).json()
    booking = booking["data"]["bookings"][0]
    uid = booking["contract_uid"]

    # 1. the pages
    browser = server.session("manager", "manager")
    edit_url = f"{server.url}/manager/properties/1/bookings/{uid}/edit"
    form = {
        "csrf_token": csrf_token(browser.get(edit_url, timeout=10).text),
        "arrival": booking["arrival"],
        "departure": booking["departure"],
        "room_uids": booking["room_uids"],
        "guest_uid": str(booking["guest_uid"]),
        "adults": str(booking["adults"]),
        "children": str(booking["children"]),
        "contract_total": f"{booking['contract_total']:.2f}",
        "deposit_required": f"{booking['deposit_required']:.2f}",
        "special_reqs": "From the pages",
    }
    saved = browser.post(edit_url, data=form, allow_redirects=False, timeout=10)
    assert saved.status_code == 302, saved.text[:500]
    assert _wait_for(lambda: len(httpserver.log) >= 1), "the page change never reached the receiver"

    # 2. the API
    patched = api.patch(
        f"{server.url}/jomres/api/properties/1/bookings/{uid}",
        json={"special_reqs": "From the API"},
        timeout=10,
    )
    assert patched.status_code == 200, patched.text
    assert _wait_for(lambda: len(httpserver.log) >= 2), "the API change never reached the receiver"

    (page_request, _), (api_request, _) = httpserver.log[:2]
    page_body, api_body = json.loads(page_request.get_data()), json.loads(api_request.get_data())
    for request in (page_request, api_request):
        Webhook(signing_secret).verify(request.get_data(), dict(request.headers))  # raises when wrong
        assert request.headers["X-Jomres-Event"] == "booking_modified"
        assert request.headers["Content-Type"].startswith("application/json")
    assert set(page_request.headers.keys()) == set(api_request.headers.keys())
    assert set(page_body) == set(api_body)
    assert page_body["data"] == api_body["data"]
    assert page_body["data"]["contract_uid"] == uid and page_body["data"]["task"] == "booking_modified"
    assert page_body["event_metadata"]["changes"] == {
        "special_reqs": [booking["special_reqs"], "From the pages"]
    }
    assert api_body["event_metadata"]["changes"] == {"special_reqs": ["From the pages", "From the API"]}
    assert page_body["id"] != api_body["id"]
