"""Every webhook request is bounded: answers trickled, inflating or huge end in time and memory, recorded.

The webhook POST and the OAuth token request go through the runner (``/background_process``), to receivers
on 127.0.0.1 (``raw_support.RawServer``) that misbehave byte by byte.
"""

from __future__ import annotations

import json
import ssl
import time

import pytest
from raw_support import (
    RawServer,
    answer_head,
    gzip_bomb,
    gzip_member,
    peak_rss_growth,
    self_signed,
    stream,
    trickle,
)
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import DeliveryAttempt
from jomres_like.services.events import raise_event
from jomres_like.webhooks import guarded
from jomres_like.webhooks import transport as http

TOTAL = 2.0
INTERVAL = 0.5
MB = 1 << 20
TOKEN = json.dumps({"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600}).encode()
TIMED_OUT = "Timed out after 2 s waiting for the answer"


@pytest.fixture
def app_config(app_config, pipeline_settings):
    """Production rules, loopback receivers allowed, a 2 s total timeout."""
    app_config.update(pipeline_settings, JOMRES_WEBHOOK_TIMEOUT=TOTAL)
    return app_config


@pytest.fixture
def servers():
    """``servers(respond)`` -> a started RawServer; all are closed when the test ends."""
    started: list[RawServer] = []

    def start(respond) -> RawServer:
        started.append(RawServer(respond))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def attempt(app, client, make_user, make_property, make_webhook, tasks_dir):
    """``attempt(url, token_url=None)`` runs one delivery to ``url`` (oauth when a token URL is given).

    Returns ``(runner's answer, seconds it took, the recorded DeliveryAttempt)``.
    """
    manager = make_user("mgr")
    prop = make_property("One", managers=[manager])

    def run(url: str, token_url: str | None = None):
        if token_url:
            settings = {"token_url": token_url, "client_id": "app-1", "client_secret": "secret-1"}
            make_webhook(manager, url=url, auth_method="oauth", auth_settings=settings)
        else:
            make_webhook(manager, url=url)
        with app.app_context():
            from jomres_like.deferred.selfcall import signature

            raise_event("guest_saved", property_uid=prop.id, guest_uid=7)
            db.session.commit()
            [task_id] = [path.name for path in tasks_dir.iterdir() if path.is_file()]
            url_path = f"/background_process?payload_source={task_id}&sig={signature(task_id)}"
        started = time.monotonic()
        answer = client.get(url_path).json
        elapsed = time.monotonic() - started
        with app.app_context():
            [recorded] = db.session.scalars(select(DeliveryAttempt)).all()
            db.session.expunge(recorded)
        return answer, elapsed, recorded

    return run


def _trickled_headers(server, conn, request):
    trickle(server, conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n", INTERVAL)


def _trickled_body(body: bytes):
    def respond(server, conn, request):
        conn.sendall(answer_head(length=len(body) + 40, Content_Type="application/json"))
        trickle(server, conn, body + b" " * 40, INTERVAL)

    return respond


def _token_then(respond_to_hook):
    """Answer token requests with a token and webhook POSTs with ``respond_to_hook``."""

    def respond(server, conn, request):
        if b"grant_type=client_credentials" in request:
            conn.sendall(answer_head(length=len(TOKEN), Content_Type="application/json") + TOKEN)
        else:
            respond_to_hook(server, conn, request)

    return respond


@pytest.mark.parametrize("respond", [_trickled_headers, _trickled_body(b'{"ok": true}')],
                         ids=["headers", "body"])
def test_a_trickling_receiver_is_cut_at_the_total_timeout(attempt, servers, respond):
    server = servers(respond)
    answer, elapsed, recorded = attempt(server.url("/hook"))
    assert elapsed < TOTAL + 1
    assert (answer["status"], answer["error"]) == ("pending", TIMED_OUT)
    assert (recorded.status_code, recorded.error) == (None, TIMED_OUT)


@pytest.mark.parametrize("respond", [_trickled_headers, _trickled_body(TOKEN)], ids=["headers", "body"])
def test_a_trickling_token_endpoint_is_cut_at_the_total_timeout(attempt, servers, respond):
    server = servers(respond)
    answer, elapsed, recorded = attempt(server.url("/hook"), token_url=server.url("/token"))
    assert elapsed < TOTAL + 1
    assert answer["error"] == recorded.error == f"Token request failed: {TIMED_OUT}"
    assert len(server.requests) == 1  # the token request only: nothing was posted


def test_a_receiver_trickling_after_a_token_is_cut_at_the_total_timeout(attempt, servers):
    server = servers(_token_then(_trickled_headers))
    answer, elapsed, recorded = attempt(server.url("/hook"), token_url=server.url("/token"))
    assert elapsed < TOTAL + 1
    assert answer["error"] == recorded.error == TIMED_OUT
    assert len(server.requests) == 2


def _gzip_bomb(server, conn, request):
    length, chunks = gzip_bomb()
    stream(server, conn, answer_head(length=length, Content_Type="application/json", Content_Encoding="gzip"),
           chunks)


def _plain_50_mb(with_length: bool):
    def respond(server, conn, request):
        head = answer_head(length=50 * MB if with_length else None, Content_Type="application/json")
        stream(server, conn, head, (b"a" * MB for _ in range(50)))

    return respond


@pytest.mark.parametrize(
    "respond", [_gzip_bomb, _plain_50_mb(with_length=True), _plain_50_mb(with_length=False)],
    ids=["gzip-bomb", "50-MB-with-length", "50-MB-until-close"],
)
def test_a_huge_token_answer_fails_the_attempt_within_bounded_memory(attempt, servers, respond):
    gzip_member()  # built before the measurement: the test's own bomb is not the worker's memory
    server = servers(respond)
    (answer, elapsed, recorded), growth = peak_rss_growth(
        lambda: attempt(server.url("/hook"), token_url=server.url("/token"))
    )
    assert growth < 50 * MB
    reason = "Token request failed: the token endpoint's answer exceeds 65536 bytes"
    assert answer["error"] == recorded.error == reason
    assert elapsed < TOTAL + 1
    assert len(server.requests) == 1


def test_a_gzip_bomb_answer_to_the_post_is_read_up_to_the_cap_only(attempt, servers):
    gzip_member()
    server = servers(_gzip_bomb)
    (answer, elapsed, recorded), growth = peak_rss_growth(lambda: attempt(server.url("/hook")))
    assert growth < 50 * MB
    assert answer["status"] == "succeeded"
    assert (recorded.status_code, recorded.error) == (200, "")
    assert recorded.response_excerpt == " " * 500  # the inflated zeros, made printable
    assert elapsed < TOTAL + 1


@pytest.fixture
def tls_servers(servers, tmp_path, monkeypatch):
    """``tls_servers(respond)`` -> a RawServer speaking TLS, its certificate trusted by the transport."""
    cert_path, key_path = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    trusted = guarded.tls_context(str(cert_path))
    monkeypatch.setattr(guarded, "tls_context", lambda: trusted)

    def start(respond) -> RawServer:
        server = servers(respond)
        server.tls = context
        return server

    return start


@pytest.mark.parametrize("respond", [_trickled_headers, _trickled_body(b'{"ok": true}')],
                         ids=["headers", "body"])
def test_a_receiver_trickling_over_tls_is_cut_at_the_total_timeout(ctx, tls_servers, respond):
    server = tls_servers(respond)
    url = server.url("/hook").replace("http://", "https://")
    started = time.monotonic()
    result = http.post(url, b"{}", {})
    assert time.monotonic() - started < TOTAL + 1
    assert (result.ok, result.status_code, result.error) == (False, None, TIMED_OUT)
    assert len(server.requests) == 1  # the request did reach it, through the TLS handshake


def test_a_tls_receiver_answering_in_time_is_a_success(ctx, tls_servers):
    server = tls_servers(lambda server, conn, request: conn.sendall(answer_head(length=2) + b"ok"))
    result = http.post(server.url("/hook").replace("http://", "https://"), b"{}", {})
    assert (result.ok, result.status_code, result.response_excerpt) == (True, 200, "ok")
