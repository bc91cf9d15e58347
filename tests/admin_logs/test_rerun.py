"""Re-running a logged ``/background_process`` URL from the log viewer: development mode, own URLs only."""

from __future__ import annotations

import re

import pytest

from jomres_like.deferred import selfcall as trigger

from .conftest import SIG, TASK_ID, line, stamp


@pytest.fixture
def self_server(httpserver, app):
    """Our own ``/background_process`` played by pytest-httpserver: ``JOMRES_SELF_URL`` points at it."""
    app.config["JOMRES_SELF_URL"] = f"http://127.0.0.1:{httpserver.port}"
    return httpserver


def _sig(app) -> str:
    """The true signature of ``TASK_ID`` (the viewer offers "Re-run" only for URLs that carry one)."""
    with app.app_context():
        return trigger.signature(TASK_ID)


def _task_url(app, sig: str | None = None) -> str:
    root = app.config["JOMRES_SELF_URL"]
    return f"{root}/background_process?payload_source={TASK_ID}&sig={sig or _sig(app)}"


def test_development_mode_shows_a_rerun_button(app, admin, development, self_server, write_log):
    write_log("Core", [line(stamp(1), f"Sent async deferred message {TASK_ID} to {_task_url(app)}")])

    html = admin.get("/admin/logs?q=background").get_data(as_text=True)

    assert "Re-run</button>" in html
    assert f'name="url" value="{_task_url(app)}"'.replace("&", "&amp;") in html


def test_a_forged_calls_line_gets_no_button_and_a_real_one_keeps_it(app, admin, development, write_log):
    self_url = app.config["JOMRES_SELF_URL"]
    forged = _task_url(app, SIG)  # sent to this site's own address: logged as refused, with its URL
    assert admin.get(forged.removeprefix(self_url), base_url=self_url).status_code == 403
    write_log("Core", [line(stamp(1), f"Sent async deferred message {TASK_ID} to {_task_url(app)}")])

    html = admin.get("/admin/logs?q=background").get_data(as_text=True)

    assert "Refused a deferred message notification with a bad signature" in html
    assert forged.replace("&", "&amp;") in html  # the line is shown...
    assert f'name="url" value="{forged}"'.replace("&", "&amp;") not in html  # ...without a Re-run button
    assert html.count("Re-run</button>") == 1
    assert f'name="url" value="{_task_url(app)}"'.replace("&", "&amp;") in html


def test_production_mode_hides_the_button_and_refuses_the_route(app, admin, self_server, write_log):
    write_log("Core", [line(stamp(1), f"Sent async deferred message {TASK_ID} to {_task_url(app)}")])

    html = admin.get("/admin/logs?q=background").get_data(as_text=True)
    response = admin.post("/admin/logs/rerun", data={"url": _task_url(app)})

    assert TASK_ID in html
    assert "Re-run</button>" not in html
    assert response.status_code == 403
    assert self_server.log == []


def test_urls_of_another_site_get_no_button(app, admin, development, self_server, write_log):
    other = f"http://127.0.0.1:1/background_process?payload_source={TASK_ID}&sig={SIG}"
    write_log("Core", [line(stamp(1), f"Sent async deferred message {TASK_ID} to {other}")])

    html = admin.get("/admin/logs?q=background").get_data(as_text=True)

    assert TASK_ID in html
    assert "Re-run</button>" not in html


def test_rerun_reissues_the_get_and_shows_the_summary(app, admin, development, self_server):
    self_server.expect_request("/background_process", method="GET",
                               query_string={"payload_source": TASK_ID, "sig": _sig(app)}).respond_with_json(
        {"task": TASK_ID, "status": "delivered", "attempt": 2, "http_status": 200})

    response = admin.post("/admin/logs/rerun", data={"url": _task_url(app)})

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "HTTP 200" in html
    assert "&#34;status&#34;: &#34;delivered&#34;" in html or '"status": "delivered"' in html
    assert len(self_server.log) == 1
    (request, _), = self_server.log
    assert request.args["payload_source"] == TASK_ID and request.args["sig"] == _sig(app)


def test_rerun_shows_a_non_json_answer_as_text(app, admin, development, self_server):
    self_server.expect_request("/background_process").respond_with_data("Gone", status=410)

    response = admin.post("/admin/logs/rerun", data={"url": _task_url(app)})

    assert response.status_code == 200
    assert "HTTP 410" in response.get_data(as_text=True)
    assert "Gone" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "",
    "http://127.0.0.1:1/background_process?payload_source={id}&sig={sig}",
    "{self}/background_process?payload_source={id}&sig={sig}&next=http://evil.test/",
    "{self}/admin/users?payload_source={id}&sig={sig}",
    "{self}/background_process?payload_source=../../etc/passwd&sig={sig}",
    "{self}@evil.test/background_process?payload_source={id}&sig={sig}",
    "file:///etc/passwd",
])
def test_rerun_refuses_anything_but_our_own_task_urls(app, admin, development, self_server, url):
    target = url.format(self=app.config["JOMRES_SELF_URL"], id=TASK_ID, sig=SIG)

    response = admin.post("/admin/logs/rerun", data={"url": target})

    assert response.status_code == 400
    assert "can be re-run" in response.get_data(as_text=True)
    assert self_server.log == []


def test_rerun_reports_an_unreachable_site(app, admin, development):
    app.config["JOMRES_SELF_URL"] = "http://127.0.0.1:9"  # nobody listens on the discard port

    response = admin.post("/admin/logs/rerun", data={"url": _task_url(app)})

    assert response.status_code == 502
    assert "Could not reach" in response.get_data(as_text=True)


def test_rerun_needs_the_csrf_token(app, admin, development, self_server, write_log):
    self_server.expect_request("/background_process").respond_with_json({"status": "delivered"})
    write_log("Core", [line(stamp(1), f"Sent async deferred message {TASK_ID} to {_task_url(app)}")])
    app.config["WTF_CSRF_ENABLED"] = True
    page = admin.get("/admin/logs?q=background").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.split("logs/rerun", 1)[1])[1]

    refused = admin.post("/admin/logs/rerun", data={"url": _task_url(app)})
    accepted = admin.post("/admin/logs/rerun", data={"url": _task_url(app), "csrf_token": token})

    assert refused.status_code == 400
    assert accepted.status_code == 200
    assert len(self_server.log) == 1


def test_rerun_reads_only_the_start_of_a_huge_answer(app, admin, development, self_server):
    self_server.expect_request("/background_process").respond_with_data("y" * 500_000)

    response = admin.post("/admin/logs/rerun", data={"url": _task_url(app)})

    assert response.status_code == 200
    assert 20_000 <= response.get_data(as_text=True).count("y") < 25_000


def test_one_rerun_per_task_on_the_line_that_sent_it(app, admin, development, write_log):
    url = _task_url(app)
    write_log("Core", [line(stamp(1), f"Sent async deferred message {TASK_ID} to {url}")])
    write_log("message_handling",
              [line(stamp(2), f"Received deferred message notification {TASK_ID}", url=url)])
    write_log("DeferredTasks", [
        line(stamp(3), "Starting call to minicomponent 07320watcher_authmethod_process_none", url=url),
        line(stamp(4), "Finished the task", url=url),
    ])

    html = admin.get("/admin/logs").get_data(as_text=True)

    assert html.count("Re-run</button>") == 1
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)
    with_button = [row for row in rows if "Re-run</button>" in row]
    assert len(with_button) == 1 and "Sent async deferred message" in with_button[0]
    assert sum(f"task {TASK_ID[:12]}…" in row for row in rows) == 3  # the other lines name the task


def test_log_times_are_compact_with_the_full_stamp_in_their_title(app, admin, write_log):
    write_log("Core", [line("2030-01-01 10:00:07.123456", "Webhook notification set booking_added")])

    html = admin.get("/admin/logs").get_data(as_text=True)

    assert '<time title="2030-01-01 10:00:07.123456 UTC">01-01 10:00:07.123</time>' in html
