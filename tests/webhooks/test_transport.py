"""The HTTP transport: outcomes, timeouts, Retry-After, 410, excerpts, size cap (receivers on 127.0.0.1)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from live import free_port
from raw_support import self_signed
from werkzeug import Response

from jomres_like.webhooks import transport as http


@pytest.fixture
def app_config(app_config):
    """Production mode with 127.0.0.1 opened; short timeouts so that slow receivers fail fast."""
    app_config.update(JOMRES_DEVELOPMENT=False, JOMRES_WEBHOOK_ALLOWED_NETWORKS=("127.0.0.1/32",),
                      JOMRES_WEBHOOK_CONNECT_TIMEOUT=1.0, JOMRES_WEBHOOK_TIMEOUT=0.5)
    return app_config


@pytest.fixture
def release():
    """An event slow handlers wait on (at most 1.5 s); set when the test ends so the shared server is free."""
    event = threading.Event()
    yield event
    event.set()


def test_a_2xx_answer_is_a_success_with_status_duration_and_excerpt(ctx, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_data("thanks", status=202)
    result = http.post(httpserver.url_for("/hook"), b'{"a":1}', {"Content-Type": "application/json"})
    assert (result.ok, result.status_code, result.response_excerpt, result.error) == (True, 202, "thanks", "")
    assert result.gone is False and result.retry_after is None
    assert 0 <= result.duration_ms < 5000
    assert httpserver.log[0][0].get_data() == b'{"a":1}'


@pytest.mark.parametrize("status", [301, 302, 307, 400, 401, 404, 409, 422, 429, 500, 502, 503])
def test_3xx_4xx_and_5xx_are_failures(ctx, httpserver, status):
    headers = {"Location": "http://127.0.0.1:9/elsewhere"} if 300 <= status < 400 else {}
    httpserver.expect_request("/hook").respond_with_response(Response("no", status=status, headers=headers))
    result = http.post(httpserver.url_for("/hook"), b"{}", {})
    assert result.ok is False
    assert result.status_code == status
    assert result.error
    assert len(httpserver.log) == 1  # a redirect is never followed


def test_a_refused_connection_is_a_failure(ctx):
    result = http.post(f"http://127.0.0.1:{free_port()}/hook", b"{}", {})
    assert (result.ok, result.status_code, result.error) == (False, None, "Connection refused")


def test_a_receiver_slower_than_the_timeout_fails_within_bounds(ctx, httpserver, release):
    def slow(request):
        release.wait(1.5)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    result = http.post(httpserver.url_for("/slow"), b"{}", {})
    elapsed = time.monotonic() - started
    assert result.ok is False
    assert result.status_code is None
    assert result.error == "Timed out after 0.5 s waiting for the answer"
    assert elapsed < 1.4


def test_a_trickling_answer_is_cut_at_the_total_deadline(ctx, httpserver, release):
    def trickle(request):
        def body():
            for _ in range(20):
                if release.wait(0.15):
                    return
                yield b"x" * 10

        return Response(body(), status=200)

    httpserver.expect_request("/trickle").respond_with_handler(trickle)
    started = time.monotonic()
    result = http.post(httpserver.url_for("/trickle"), b"{}", {})
    assert result.ok is False
    assert result.error == "Timed out after 0.5 s waiting for the answer"
    assert time.monotonic() - started < 2.5


def test_a_receiver_that_stalls_in_the_middle_of_its_answer_times_out(ctx, httpserver, release):
    def stall(request):
        def body():
            yield b"partial"
            release.wait(1.5)
            yield b"rest"

        return Response(body(), status=200)

    httpserver.expect_request("/stall").respond_with_handler(stall)
    started = time.monotonic()
    result = http.post(httpserver.url_for("/stall"), b"{}", {})
    assert (result.ok, result.error) == (False, "Timed out after 0.5 s waiting for the answer")
    assert time.monotonic() - started < 1.4


def test_retry_after_in_seconds_is_parsed(ctx, httpserver):
    httpserver.expect_request("/busy").respond_with_response(Response("busy", 429, {"Retry-After": "120"}))
    result = http.post(httpserver.url_for("/busy"), b"{}", {})
    assert (result.ok, result.status_code, result.retry_after) == (False, 429, 120.0)


def test_retry_after_as_an_http_date_is_parsed(ctx, httpserver):
    when = datetime.now(UTC) + timedelta(minutes=10)
    httpserver.expect_request("/busy").respond_with_response(
        Response("busy", 503, {"Retry-After": format_datetime(when, usegmt=True)})
    )
    result = http.post(httpserver.url_for("/busy"), b"{}", {})
    assert result.status_code == 503
    assert 590 <= result.retry_after <= 600


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), ("30", 30.0), (" 45 ", 45.0), ("9999999999", float(http.MAX_RETRY_AFTER)), ("", None),
     (None, None), ("soon", None), ("-5", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_parse_retry_after(value, expected):
    assert http.parse_retry_after(value) == expected


def test_410_gone_is_flagged(ctx, httpserver):
    httpserver.expect_request("/gone").respond_with_data("unsubscribed", status=410)
    result = http.post(httpserver.url_for("/gone"), b"{}", {})
    assert (result.ok, result.status_code, result.gone) == (False, 410, True)


def test_the_excerpt_is_truncated_and_the_answer_read_up_to_a_cap(ctx, httpserver):
    httpserver.expect_request("/big").respond_with_data("é" * 600_000, status=200)
    result = http.post(httpserver.url_for("/big"), b"{}", {})
    assert result.ok is True
    assert result.response_excerpt == "é" * http.EXCERPT_CHARS


def test_the_excerpt_never_contains_our_secrets(ctx, httpserver):
    echo = "you sent password=hunter2-long and token abc.def.ghi and whsec_QUJDREVGR0g= and Bearer xyz123"
    httpserver.expect_request("/echo").respond_with_data(echo, status=400)
    result = http.post(httpserver.url_for("/echo"), b"{}", {}, secrets=["hunter2-long", "abc.def.ghi", ""])
    for secret in ("hunter2-long", "abc.def.ghi", "whsec_QUJDREVGR0g=", "xyz123"):
        assert secret not in result.response_excerpt
    assert "[redacted]" in result.response_excerpt


def test_a_redirect_to_a_blocked_address_is_answered_not_followed(ctx, httpserver):
    httpserver.expect_request("/hop").respond_with_response(
        Response("", 302, {"Location": "http://10.0.0.1/metadata"})
    )
    answer = http.exchange("POST", httpserver.url_for("/hop"), body=b"{}")
    assert (answer.status, answer.headers["Location"]) == (302, "http://10.0.0.1/metadata")
    assert len(httpserver.log) == 1


def test_a_receiver_that_hangs_up_without_answering_is_a_failure(ctx):
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def hang_up():
            connection, _ = listener.accept()
            connection.recv(65536)
            connection.close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        result = http.post(f"http://127.0.0.1:{port}/hook", b"{}", {})
        thread.join(timeout=5)
    assert (result.ok, result.status_code) == (False, None)
    assert result.error == "The receiver closed the connection without an answer"


def test_invalid_urls_fail_cleanly(ctx):
    bad = ("not a url", "ftp://127.0.0.1/x", "http://", "http://a..b/", "http://[::1/",
           "http://127.0.0.1:99999/")
    for url in bad:
        result = http.post(url, b"{}", {})
        assert result.ok is False
        assert result.error


def test_user_agent_names_the_product_and_version():
    from jomres_like import PRODUCT, __version__

    assert http.USER_AGENT.startswith(f"{PRODUCT}/{__version__}")


def test_a_certificate_no_authority_signed_is_refused(ctx, tmp_path):
    import socket
    import ssl

    cert_path, key_path = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        seen: list[bytes] = []

        def serve_once():
            connection, _ = listener.accept()
            try:
                with context.wrap_socket(connection, server_side=True) as secure:
                    seen.append(secure.recv(65536))
            except (ssl.SSLError, OSError):
                pass  # the client gives up during the handshake

        thread = threading.Thread(target=serve_once, daemon=True)
        thread.start()
        result = http.post(f"https://127.0.0.1:{port}/hook", b'{"secret": "data"}', {})
        thread.join(timeout=5)
    assert (result.ok, result.status_code) == (False, None)
    assert result.error.startswith("TLS error")
    assert seen == []  # not a byte of the payload left before the certificate was checked
