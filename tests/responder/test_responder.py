"""The responder in a thread, against a fake REST API: verify, get a token, call back, log, answer 200."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from .helpers import ACCESS_TOKEN, API_PATH, CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET, envelope, signed

CALLBACK = f"{API_PATH}/webhooks/1/booking_modified/41"
CONTRACT = {"data": {"contract_details": {"contract_uid": 41, "property_uid": 1}}, "meta": {"code": 200}}


def _callback_requests(httpserver, path: str = CALLBACK) -> list:
    return [request for request, _ in httpserver.log if request.path == path]


def _token_requests(httpserver) -> list:
    return [request for request, _ in httpserver.log if request.method == "POST"]


def test_signed_webhook_is_verified_and_called_back(fake_api, start_responder, capsys):
    fake_api.expect_request(CALLBACK, method="GET").respond_with_json(CONTRACT)
    url, log_file = start_responder(secret=SIGNING_SECRET)
    body, headers = signed(envelope())

    response = requests.post(url, data=body, headers=headers, timeout=10)

    assert response.status_code == 200
    summary = response.json()
    assert summary["verified"] is True
    assert summary["callback_status"] == 200
    assert summary["callback"].endswith("/jomres/api/webhooks/1/booking_modified/41")
    (token_request,) = _token_requests(fake_api)
    assert token_request.form["grant_type"] == "client_credentials"
    assert token_request.authorization.username == CLIENT_ID
    assert token_request.authorization.password == CLIENT_SECRET
    (callback,) = _callback_requests(fake_api)
    assert callback.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    log = log_file.read_text()
    assert "Received webhook msg_test0001 event booking_modified (signature verified)" in log
    assert "/jomres/api/webhooks/1/booking_modified/41 returned 200" in log
    assert "contract_details" in log
    out = capsys.readouterr().out
    assert "signature verified" in out
    assert "booking_modified/41 returned 200" in out
    for secret in (CLIENT_SECRET, ACCESS_TOKEN, SIGNING_SECRET):
        assert secret not in log
        assert secret not in out


def test_bad_signature_is_rejected_logged_and_answered_200(fake_api, start_responder):
    fake_api.expect_request(CALLBACK, method="GET").respond_with_json(CONTRACT)
    url, log_file = start_responder(secret=SIGNING_SECRET)
    body, headers = signed(envelope(), secret="whsec_" + "QW5vdGhlciBzZWNyZXQgb2YgMzIgYnl0ZXMhISEhISE=")

    response = requests.post(url, data=body, headers=headers, timeout=10)

    assert response.status_code == 200
    assert response.json()["verified"] is False
    assert _callback_requests(fake_api) == []
    assert _token_requests(fake_api) == []
    assert "WARNING - ~~ Rejected webhook msg_test0001: bad signature" in log_file.read_text()


@pytest.mark.parametrize("mangle", [
    lambda h: h.pop("webhook-signature"),
    lambda h: h.update({"webhook-signature": "garbage"}),
    lambda h: h.update({"webhook-signature": "v1,not-base64!!"}),
    lambda h: h.update({"webhook-timestamp": "yesterday"}),
    lambda h: h.update({"webhook-timestamp": "1000000000"}),
])
def test_malformed_signature_headers_are_rejected(fake_api, start_responder, mangle):
    url, log_file = start_responder(secret=SIGNING_SECRET)
    body, headers = signed(envelope())
    mangle(headers)

    response = requests.post(url, data=body, headers=headers, timeout=10)

    assert response.status_code == 200
    assert response.json()["verified"] is False
    assert _callback_requests(fake_api) == []
    assert "bad signature" in log_file.read_text()


def test_jomres_payload_with_only_data_is_called_back(fake_api, start_responder):
    fake_api.expect_request(CALLBACK, method="GET").respond_with_json(CONTRACT)
    url, log_file = start_responder()
    jomres_body = {"data": {"property_uid": 1, "contract_uid": 41, "task": "booking_modified"}}

    response = requests.post(url, json=jomres_body, timeout=10)

    assert response.status_code == 200
    assert response.json()["callback_status"] == 200
    assert response.json()["verified"] is None
    assert len(_callback_requests(fake_api)) == 1
    assert "event booking_modified (signature not checked)" in log_file.read_text()


def test_token_is_cached_between_webhooks(fake_api, start_responder):
    fake_api.expect_request(CALLBACK, method="GET").respond_with_json(CONTRACT)
    url, _ = start_responder()

    for _ in range(3):
        assert requests.post(url, json=envelope(), timeout=10).json()["callback_status"] == 200

    assert len(_token_requests(fake_api)) == 1
    assert len(_callback_requests(fake_api)) == 3


def test_token_is_fetched_again_once_on_401(fake_api, start_responder):
    fake_api.expect_oneshot_request(CALLBACK, method="GET").respond_with_json({"code": 401}, status=401)
    fake_api.expect_request(CALLBACK, method="GET").respond_with_json(CONTRACT)
    url, log_file = start_responder()

    summary = requests.post(url, json=envelope(), timeout=10).json()

    assert summary["callback_status"] == 200
    assert len(_token_requests(fake_api)) == 2
    assert len(_callback_requests(fake_api)) == 2
    assert "returned 200 in" in log_file.read_text()
    assert "(after a new token)" in log_file.read_text()


def test_persistent_401_is_logged_after_one_retry(fake_api, start_responder):
    fake_api.expect_request(CALLBACK, method="GET").respond_with_json({"code": 401}, status=401)
    url, log_file = start_responder()

    summary = requests.post(url, json=envelope(), timeout=10).json()

    assert summary["callback_status"] == 401
    assert len(_callback_requests(fake_api)) == 2
    assert "WARNING - ~~ Callback" in log_file.read_text()


def test_jomres_style_token_fallback_to_the_api_root(httpserver, start_responder):
    httpserver.expect_request(f"{API_PATH}/oauth/token").respond_with_data("Not found", status=404)
    httpserver.expect_request(f"{API_PATH}/", method="POST").respond_with_json(
        {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 60}
    )
    httpserver.expect_request(CALLBACK, method="GET").respond_with_json(CONTRACT)
    url, _ = start_responder(api_url=httpserver.url_for(API_PATH + "/"))  # a root with its trailing slash

    summary = requests.post(url, json=envelope(), timeout=10).json()

    assert summary["callback_status"] == 200
    (root_request,) = [r for r, _ in httpserver.log if r.path == f"{API_PATH}/"]
    assert root_request.form["grant_type"] == "client_credentials"
    assert root_request.form["client_id"] == CLIENT_ID
    (callback,) = _callback_requests(httpserver)
    assert callback.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"


@pytest.mark.parametrize("event, data, path", [
    ("tariffs_updated", {"contract_uid": None}, "/webhooks/1/tariffs_updated"),
    ("booking_note_saved", {"note_id": 9}, "/webhooks/1/booking_note_saved/9"),
    ("guest_updated", {"contract_uid": None, "guest_uid": 5}, "/webhooks/1/guest_updated/5"),
    ("room_added", {"contract_uid": None, "room_uid": 12}, "/webhooks/1/room_added/12"),
])
def test_callback_url_follows_the_ids_the_data_carries(fake_api, start_responder, event, data, path):
    fake_api.expect_request(API_PATH + path, method="GET").respond_with_json({"data": {}})
    url, _ = start_responder()

    summary = requests.post(url, json=envelope(event, **data), timeout=10).json()

    assert summary["callback_status"] == 200
    assert len(_callback_requests(fake_api, API_PATH + path)) == 1


def test_event_without_property_is_logged_and_not_called_back(fake_api, start_responder):
    url, log_file = start_responder()
    body = {"event": "webhook_test", "data": {"webhook_id": 4, "task": "webhook_test", "manager_id": 3}}

    summary = requests.post(url, json=body, timeout=10).json()

    assert summary["callback"] is None
    assert _token_requests(fake_api) == []
    assert "webhook_test carries no property_uid" in log_file.read_text()


@pytest.mark.parametrize("body", [
    b"not json",
    b"\xff\xfe",
    b"[1, 2]",
    json.dumps({"data": {"property_uid": "1/../../admin", "task": "booking_modified"}}).encode(),
    json.dumps({"data": {"property_uid": 1, "task": "../oauth"}}).encode(),
    json.dumps({"data": {"property_uid": 1, "contract_uid": "41?x=1", "task": "booking_modified"}}).encode(),
    json.dumps({"event": "booking_modified"}).encode(),
    b"",
])
def test_bad_bodies_are_logged_and_answered_200(fake_api, start_responder, body):
    url, log_file = start_responder()

    response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=10)

    assert response.status_code == 200
    assert "error" in response.json()
    assert [r for r, _ in fake_api.log if "/webhooks/" in r.path] == []
    assert "WARNING" in log_file.read_text()


def test_unreachable_api_is_logged_and_answered_200(start_responder):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there
    url, log_file = start_responder(api_url=f"http://127.0.0.1:{port}/jomres/api")

    response = requests.post(url, json=envelope(), timeout=20)

    assert response.status_code == 200
    assert "cannot reach" in response.json()["error"]
    assert "ERROR - ~~ Callback for webhook" in log_file.read_text()


def test_bad_token_answer_is_logged(httpserver, start_responder):
    httpserver.expect_request(f"{API_PATH}/oauth/token").respond_with_json({"error": "invalid_client"},
                                                                           status=401)
    url, log_file = start_responder()

    summary = requests.post(url, json=envelope(), timeout=10).json()

    assert "answered 401" in summary["error"]
    assert _callback_requests(httpserver) == []
    assert "token endpoint" in log_file.read_text()


def test_get_is_answered_200_without_processing(fake_api, start_responder):
    url, log_file = start_responder()

    response = requests.get(url, timeout=10)

    assert response.status_code == 200
    assert response.json()["responder"] == "running"
    assert fake_api.log == []


def test_logs_go_to_syslog_over_udp(fake_api, start_responder):
    fake_api.expect_request(CALLBACK, method="GET").respond_with_json(CONTRACT)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.settimeout(5)
        url, _ = start_responder(syslog=receiver.getsockname())

        requests.post(url, json=envelope(), timeout=10)

        messages = []
        for _ in range(5):  # the received line, then the callback line
            messages.append(receiver.recv(65535).decode())
            if any("returned 200" in m for m in messages):
                break
    assert any("Received webhook" in m for m in messages)
    assert any("booking_modified/41 returned 200" in m for m in messages)
    assert all(m.startswith("<") and "jomres_like-responder:" in m for m in messages)
    assert not any(ACCESS_TOKEN in m or CLIENT_SECRET in m for m in messages)


def test_oversized_body_is_ignored(fake_api, start_responder):
    url, log_file = start_responder()

    response = requests.post(url, data=b"x" * (1024 * 1024 + 10), timeout=10)

    assert response.status_code == 200
    assert "Ignored a webhook of" in log_file.read_text()
