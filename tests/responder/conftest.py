"""Fixtures for the responder: a fake REST API (pytest-httpserver) and a responder served in a thread."""

from __future__ import annotations

import pytest

from jomres_like.responder import ApiClient, Responder, build_logger, close_logger, serve_in_thread

from .helpers import ACCESS_TOKEN, API_PATH, CLIENT_ID, CLIENT_SECRET


@pytest.fixture
def fake_api(httpserver):
    """The REST API: a token endpoint; tests add the callback handlers they need."""
    httpserver.expect_request(f"{API_PATH}/oauth/token", method="POST").respond_with_json(
        {"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600, "scope": "webhooks_get"}
    )
    return httpserver


@pytest.fixture
def start_responder(httpserver, tmp_path):
    """``start_responder(secret=None, syslog=None, api_url=None)`` -> (url, log file); stopped at the end."""
    running = []

    def start(secret: str | None = None, syslog=None, api_url: str | None = None):
        logger = build_logger(tmp_path / "logs", syslog=syslog)
        client = ApiClient(api_url or httpserver.url_for(API_PATH), CLIENT_ID, CLIENT_SECRET)
        server, thread = serve_in_thread(Responder(client, logger, secret))
        running.append((server, thread, logger))
        return f"http://127.0.0.1:{server.port}/", tmp_path / "logs" / "Responder.application.log"

    yield start
    for server, thread, logger in running:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        close_logger(logger)
