"""The gunicorn worker (jomres_like/serving.py) under the real server: closing a connection never holds up
the worker, whatever the client does with its end."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from jomres_like import serving

pytestmark = pytest.mark.e2e

REQUEST = b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def _answer(sock: socket.socket) -> bytes:
    """The whole answer on ``sock``, up to the server's FIN (bounded)."""
    answer = b""
    for _ in range(1000):
        chunk = sock.recv(65536)
        if not chunk:
            break
        answer += chunk
    return answer


def _read_answer_and_keep_open(port: int) -> socket.socket:
    """Send a request, read the whole answer (up to the server's FIN), and leave the socket open."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(REQUEST)
    assert _answer(sock).startswith(b"HTTP/1.1 200")
    return sock


def test_clients_keeping_their_socket_open_do_not_hold_up_other_requests(live_server):
    server = live_server()  # two workers
    lingering = []
    try:
        started = time.monotonic()
        for _ in range(6):
            lingering.append(_read_answer_and_keep_open(server.port))
        opened = time.monotonic() - started
        started = time.monotonic()
        response = requests.get(f"{server.url}/login", timeout=10)
        answered = time.monotonic() - started
    finally:
        for sock in lingering:
            sock.close()
    assert response.status_code == 200
    # gunicorn's own close waited on the worker's main thread for each client to close: 2 s apiece
    assert opened < 3 and answered < 1


@pytest.mark.mechanism
def test_a_lingering_connection_is_closed_after_the_linger_time(live_server):
    """Mechanism (the custom gunicorn worker: a lingering close leaves the accept loop)."""
    server = live_server()
    sock = _read_answer_and_keep_open(server.port)
    try:
        sock.sendall(b"late bytes")  # read and dropped while the server lingers: no reset
        time.sleep(0.3)
        sock.sendall(b"more")
        time.sleep(serving.LINGER + 1.5)  # the worker's loop looks at least once a second
        with pytest.raises(OSError):  # the server has closed its end: the peer resets the connection
            for _ in range(5):
                sock.sendall(b"x")
                time.sleep(0.1)
    finally:
        sock.close()


def test_draining_waits_at_most_as_long_as_asked():
    ours, client = socket.socketpair()
    try:
        client.sendall(b"request bytes left unread")
        started = time.monotonic()
        assert serving._drained(ours, 0.05) is False  # read what came, then the client stayed silent
        assert 0.04 < time.monotonic() - started < 1
        client.close()
        assert serving._drained(ours, 0.05) is True  # it has closed now
    finally:
        ours.close()
        client.close()


def test_a_request_already_sent_is_seen_without_waiting_and_a_late_one_is_still_served(live_server):
    left, right = socket.socketpair()
    try:
        assert serving._request_waiting(left) is False
        right.sendall(b"GET")
        assert serving._request_waiting(left) is True
        assert left.recv(3) == b"GET"  # peeked, not taken
        right.close()
        assert serving._request_waiting(left) is True  # a close is news too: gunicorn reads it
    finally:
        left.close()
    server = live_server()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        time.sleep(0.3)  # connected, silent: the worker waits for the request as gunicorn does
        sock.sendall(REQUEST)
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 200")
