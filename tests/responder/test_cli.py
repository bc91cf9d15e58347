"""``flask responder``: option checks, and the real command in the foreground."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import requests
from live import ROOT, VENV_BIN, free_port

from jomres_like.responder.core import callback_target, parse_syslog

from .helpers import ACCESS_TOKEN, API_PATH, CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET, envelope, signed

CALLBACK = f"{API_PATH}/webhooks/1/booking_modified/41"


@pytest.mark.parametrize("extra, message", [
    (["--api-url", "ftp://example.test/api"], "http:// or https://"),
    (["--secret", "whsec_%%%not base64"], "whsec_<base64>"),
    (["--syslog", "localhost"], "host:port"),
    (["--syslog", "localhost:99999"], "host:port"),
    (["--port", "70000"], "70000"),
])
def test_bad_options_are_refused(runner, extra, message):
    args = ["responder", "--api-url", "http://127.0.0.1:5000/jomres/api", "--client-id", "id",
            "--client-secret", "secret", *extra]

    result = runner.invoke(args=args)

    assert result.exit_code == 2
    assert message in result.output


def test_missing_credentials_are_refused(runner):
    result = runner.invoke(args=["responder", "--api-url", "http://127.0.0.1:5000/jomres/api"])

    assert result.exit_code == 2
    assert "--client-id" in result.output


@pytest.mark.parametrize("value, expected", [
    ("127.0.0.1:514", ("127.0.0.1", 514)),
    ("[::1]:5514", ("::1", 5514)),
    ("logs.example.test:1", ("logs.example.test", 1)),
])
def test_parse_syslog(value, expected):
    assert parse_syslog(value) == expected


@pytest.mark.parametrize("payload, expected", [
    ({"data": {"property_uid": 1, "contract_uid": 41, "task": "booking_added"}}, ("booking_added", 1, "41")),
    ({"event": "booking_added", "data": {"property_uid": "2", "contract_uid": "7"}},
     ("booking_added", 2, "7")),
    ({"data": {"property_uid": 1, "contract_uid": 4, "note_id": 9, "task": "booking_note_deleted"}},
     ("booking_note_deleted", 1, "9")),
    ({"data": {"property_uid": 1, "contract_uid": 4, "depositref": "X1", "task": "deposit_saved"}},
     ("deposit_saved", 1, "4")),
    ({"data": {"property_uid": 3, "task": "property_updated"}}, ("property_updated", 3, None)),
])
def test_callback_target(payload, expected):
    assert callback_target(payload) == expected


@pytest.mark.parametrize("payload", [
    {"data": {"property_uid": 0, "task": "booking_added"}},
    {"data": {"property_uid": True, "task": "booking_added"}},
    {"data": {"property_uid": 1, "contract_uid": -4, "task": "booking_added"}},
    {"data": {"property_uid": 1, "task": "Booking Added"}},
    {"data": "booking_added"},
])
def test_callback_target_refuses_bad_data(payload):
    with pytest.raises(ValueError):
        callback_target(payload)


def test_command_serves_in_the_foreground(httpserver, tmp_path):
    httpserver.expect_request(f"{API_PATH}/oauth/token", method="POST").respond_with_json(
        {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600})
    httpserver.expect_request(CALLBACK, method="GET").respond_with_json({"data": {"contract_details": {}}})
    port = free_port()
    env = {**os.environ, "JOMRES_LOG_DIR": str(tmp_path / "logs"), "JOMRES_TEMP_DIR": str(tmp_path / "temp"),
           "SECRET_KEY": "cli-test", "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
           "JOMRES_RESPONDER_CLIENT_SECRET": CLIENT_SECRET, "PYTHONUNBUFFERED": "1"}
    command = [str(VENV_BIN / "flask"), "--app", "app", "responder",
               "--api-url", httpserver.url_for(API_PATH), "--client-id", CLIENT_ID,
               "--port", str(port), "--secret", SIGNING_SECRET]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read()
            assert time.monotonic() < deadline, "the responder did not start"
            try:
                requests.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        body, headers = signed(envelope())
        response = requests.post(f"http://127.0.0.1:{port}/hook", data=body, headers=headers, timeout=10)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=15)

    assert response.status_code == 200
    assert response.json()["callback_status"] == 200
    assert "Responder listening on" in output
    assert "signature verified" in output
    assert "booking_modified/41 returned 200" in output
    assert "Responder stopped" in output
    assert CLIENT_SECRET not in output and ACCESS_TOKEN not in output
    log = (tmp_path / "logs" / "Responder.application.log").read_text()
    assert "booking_modified/41 returned 200" in log
    assert "~~ msg_test0001 ~~ /hook" in log
