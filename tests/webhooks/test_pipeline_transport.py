"""Per-webhook guarded sessions: connections reused, cookies never kept, SSRF still checked."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jomres_like.webhooks import transport as http


class KeepAliveReceiver:
    """A loopback HTTP/1.1 receiver that records the client port of each request and sets a cookie."""

    def __init__(self):
        self.ports: list[int] = []
        self.cookies: list[str | None] = []
        self.requests: list[tuple[list, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.ports.append(self.client_address[1])
                outer.cookies.append(self.headers.get("Cookie"))
                outer.requests.append((self.headers.items(), body))  # duplicates kept
                answer = b"x" * (2 * http.MAX_RESPONSE_BYTES) if self.path == "/big" else b"ok"
                self.send_response(200)
                self.send_header("Set-Cookie", "tracker=abc; Path=/")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = KeepAliveReceiver()
    yield server
    server.close()


def test_a_webhook_session_reuses_its_connection_and_keeps_no_cookie(app, receiver):
    app.config["JOMRES_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    with app.app_context():
        session = http.webhook_session(101)
        assert http.webhook_session(101) is session
        assert http.webhook_session(102) is not session
        results = [http.post(receiver.url, b"{}", {}, session=session) for _ in range(3)]
    assert [result.status_code for result in results] == [200, 200, 200]
    assert len(set(receiver.ports)) == 1  # one connection for the three requests
    assert receiver.cookies == [None, None, None]


def test_a_webhook_session_still_refuses_blocked_addresses(app, receiver):
    app.config["JOMRES_WEBHOOK_ALLOWED_NETWORKS"] = ""
    with app.app_context():
        result = http.post(receiver.url, b"{}", {}, session=http.webhook_session(103))
    assert not result.ok and "SSRF" in result.error
    assert receiver.ports == []


def test_a_changed_policy_gets_a_new_session(app):
    with app.app_context():
        app.config["JOMRES_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
        first = http.webhook_session(104)
        app.config["JOMRES_WEBHOOK_ALLOWED_NETWORKS"] = ""
        assert http.webhook_session(104) is not first


def test_the_request_leaves_as_built_on_a_reused_connection(app, receiver):
    app.config["JOMRES_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    body = b'{"event":"booking_modified","data":{"note":"\xc3\xa9"}}'
    with app.app_context():
        session = http.webhook_session(105)
        headers = {"Content-Type": "application/json", "webhook-id": "msg_1", "user-agent": "ours"}
        http.post(receiver.url, body, headers, session=session)
    items, received = receiver.requests[0]
    headers = dict(items)
    assert received == body
    assert headers["Content-Type"] == "application/json" and headers["webhook-id"] == "msg_1"
    assert headers["Content-Length"] == str(len(body))
    agents = [value for name, value in items if name.lower() == "user-agent"]
    assert agents == ["ours"]  # one User-Agent, the caller's, whatever the case of its name


def test_an_answer_cut_at_the_cap_does_not_leave_its_rest_on_a_reused_connection(app, receiver):
    app.config["JOMRES_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    with app.app_context():
        session = http.webhook_session(106)
        big = http.post(receiver.url.replace("/hook", "/big"), b"{}", {}, session=session)
        after = [http.post(receiver.url, b"{}", {}, session=session) for _ in range(2)]
    assert big.ok and big.response_excerpt == "x" * http.EXCERPT_CHARS
    assert [(result.status_code, result.response_excerpt) for result in after] == [(200, "ok"), (200, "ok")]
    assert receiver.ports[1] != receiver.ports[0]  # the cut connection was closed, not handed on
    assert receiver.ports[2] == receiver.ports[1]  # a connection read to its end is reused
