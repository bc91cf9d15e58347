"""The administrator's log viewer page: order, search, paging, channel filter, safety, access."""

from __future__ import annotations

import os
import re

import pytest

from .conftest import SIG, TASK_ID, line, stamp


def _messages(html: str) -> list[str]:
    """The messages shown, in page order."""
    return re.findall(r"<td><code>(.*?)</code>", html)


def test_lines_are_shown_newest_first_across_channels(admin, write_log):
    write_log("Core", [line(stamp(1), "core one"), line(stamp(3), "core three")])
    write_log("Webhooks", [line(stamp(2), "hooks two"), line(stamp(4), "hooks four")])

    response = admin.get("/admin/logs")

    assert response.status_code == 200
    shown = _messages(response.get_data(as_text=True))
    assert shown[:4] == ["hooks four", "core three", "hooks two", "core one"]


def test_rotated_files_follow_the_current_one(admin, write_log):
    write_log("Sample", [line(stamp(5), "five"), line(stamp(6), "six")])
    write_log("Sample", [line(stamp(3), "three"), line(stamp(4), "four")], ".1")
    write_log("Sample", [line(stamp(1), "one"), line(stamp(2), "two")], ".2")

    response = admin.get("/admin/logs?channel=Sample")

    assert _messages(response.get_data(as_text=True)) == ["six", "five", "four", "three", "two", "one"]


def test_channel_filter_shows_one_channel(admin, write_log):
    write_log("Core", [line(stamp(1), "core line")])
    write_log("Webhooks", [line(stamp(2), "hooks line")])

    html = admin.get("/admin/logs?channel=Webhooks").get_data(as_text=True)

    assert _messages(html) == ["hooks line"]
    assert '<option selected value="Webhooks">' in html


def test_search_is_a_case_insensitive_substring(admin, write_log):
    write_log("Core", [line(stamp(1), "Booking ADDED on property 1"), line(stamp(2), "tariffs saved"),
                       line(stamp(3), "booking added again")])

    html = admin.get("/admin/logs?channel=Core&q=booking+added").get_data(as_text=True)

    assert _messages(html) == ["booking added again", "Booking ADDED on property 1"]


@pytest.mark.parametrize("query", [".*", "(a+)+$", "[", "\\d"])
def test_search_never_treats_the_query_as_a_regex(admin, write_log, query):
    write_log("Core", [line(stamp(1), "plain words"), line(stamp(2), f"literal {query} here")])

    response = admin.get("/admin/logs", query_string={"channel": "Core", "q": query})

    assert response.status_code == 200
    assert len(_messages(response.get_data(as_text=True))) == 1


def test_searching_background_lists_the_background_process_urls(admin, write_log):
    url = f"http://127.0.0.1:9/background_process?payload_source={TASK_ID}&sig={SIG}"
    write_log("Core", [line(stamp(1), "User root logged in"),
                       line(stamp(2), f"Sent async deferred message {TASK_ID} to {url}"),
                       line(stamp(3), "Webhook notification set booking_added")])

    html = admin.get("/admin/logs?q=background").get_data(as_text=True)

    assert _messages(html) == [f"Sent async deferred message {TASK_ID} to {url}".replace("&", "&amp;")]


def test_paging_fills_pages_newest_first(admin, write_log):
    write_log("Sample", [line(stamp(n), f"entry {n:03d}") for n in range(1, 121)])

    first = admin.get("/admin/logs?channel=Sample").get_data(as_text=True)
    third = admin.get("/admin/logs?channel=Sample&page=3").get_data(as_text=True)
    beyond = admin.get("/admin/logs?channel=Sample&page=9").get_data(as_text=True)

    assert _messages(first) == [f"entry {n:03d}" for n in range(120, 70, -1)]
    assert "page=2" in first and "Older" in first
    assert _messages(third) == [f"entry {n:03d}" for n in range(20, 0, -1)]
    assert 'rel="next"' not in third and 'rel="prev"' in third
    assert _messages(beyond) == []
    assert "No log lines" in beyond


def test_paging_keeps_the_search(admin, write_log):
    write_log("Sample", [line(stamp(n), f"{'match' if n % 2 else 'other'} {n:03d}") for n in range(1, 201)])

    html = admin.get("/admin/logs?channel=Sample&q=match&page=2").get_data(as_text=True)

    assert _messages(html) == [f"match {n:03d}" for n in range(99, 0, -2)]
    assert "q=match" in html and "channel=Sample" in html


@pytest.mark.parametrize("query", [
    "channel=../../etc/passwd",
    "channel=Core.application.log",
    "channel=..%2FCore",
    "channel=Nope",
    "page=0",
    "page=abc",
    "page=-3",
    "page=99999999",
    "q=" + "x" * 201,
])
def test_bad_filters_are_a_clear_400(admin, write_log, query):
    write_log("Core", [line(stamp(1), "core line")])

    response = admin.get(f"/admin/logs?{query}")

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "field-error" in html or "flash-error" in html
    assert "core line" not in html


def test_files_outside_the_pattern_are_never_shown(admin, log_dir, tmp_path_factory, write_log):
    outside = tmp_path_factory.mktemp("outside") / "secret.txt"
    outside.write_text(line(stamp(9), "TOP SECRET CONTENT") + "\n")
    os.symlink(outside, log_dir / "Evil.application.log")
    (log_dir / "notes.application.txt").write_text(line(stamp(8), "NOT A LOG") + "\n")
    write_log("Core", [line(stamp(1), "core line")])

    all_html = admin.get("/admin/logs").get_data(as_text=True)
    evil = admin.get("/admin/logs?channel=Evil")

    assert "TOP SECRET" not in all_html and "NOT A LOG" not in all_html
    assert "core line" in all_html
    assert evil.status_code == 400
    assert "TOP SECRET" not in evil.get_data(as_text=True)


def test_secrets_in_foreign_lines_are_masked(admin, write_log):
    write_log("Core", [line(stamp(1), "login with password=hunter2 and Authorization: Bearer abc.def")])

    html = admin.get("/admin/logs").get_data(as_text=True)

    assert "hunter2" not in html and "abc.def" not in html
    assert "[redacted]" in html


def test_markup_in_log_lines_is_escaped(admin, write_log):
    write_log("Core", [line(stamp(1), "<script>alert(1)</script>")])

    html = admin.get("/admin/logs").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_an_empty_log_folder_shows_an_empty_page(admin, log_dir):
    for path in log_dir.iterdir():
        path.unlink()

    response = admin.get("/admin/logs")

    assert response.status_code == 200
    assert "No log lines" in response.get_data(as_text=True)


@pytest.mark.parametrize("username, status", [("mgr", 403), ("reg", 403)])
def test_only_administrators_see_the_logs(people, login, username, status):
    client = login(username)

    assert client.get("/admin/logs").status_code == status
    assert client.post("/admin/logs/rerun", data={"url": "x"}).status_code == status


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/admin/logs")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post("/admin/logs/rerun", data={"url": "x"}).status_code == 302
