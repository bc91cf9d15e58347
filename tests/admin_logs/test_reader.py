"""Reading the log files: backwards in blocks, bounded lines, only well-named regular files."""

from __future__ import annotations

import os

import pytest

from jomres_like.admin.logs import log_files, parse_line, read_backwards, rerun_target, search

from .conftest import SIG, TASK_ID, line, stamp


def test_read_backwards_yields_last_line_first_across_small_blocks(tmp_path):
    path = tmp_path / "Core.application.log"
    path.write_bytes(b"first line\nsecond line\r\n\n\nthird line without newline")

    lines = list(read_backwards(path, block=4))

    assert lines == ["third line without newline", "second line", "first line"]


def test_read_backwards_cuts_over_long_lines(tmp_path):
    path = tmp_path / "Core.application.log"
    path.write_bytes(b"before\n" + b"x" * 1000 + b"END\nafter\n")

    lines = list(read_backwards(path, block=16, max_line=64))

    assert lines[0] == "after"
    assert lines[1].startswith("[...] ") and lines[1].endswith("END")
    assert len(lines[1]) <= 64 + len("[...] ")
    assert lines[2:] == ["before"]


def test_read_backwards_replaces_bad_utf8(tmp_path):
    path = tmp_path / "Core.application.log"
    path.write_bytes(b"ok\n\xff\xfe broken\n")

    assert list(read_backwards(path)) == ["\ufffd\ufffd broken", "ok"]


def test_read_backwards_of_a_missing_file_is_empty(tmp_path):
    assert list(read_backwards(tmp_path / "gone.application.log")) == []


def test_only_well_named_regular_files_are_listed(tmp_path):
    for name in ("Core.application.log", "Core.application.log.2", "Core.application.log.1",
                 "Webhooks.application.log", "notes.txt", "Core.application.log.bak",
                 ".hidden.application.log", "Core.application.log.0"):
        (tmp_path / name).write_text("x\n")
    (tmp_path / "Folder.application.log").mkdir()
    outside = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    outside.write_text("top secret\n")
    os.symlink(outside, tmp_path / "Evil.application.log")

    files = log_files(tmp_path)

    assert list(files) == ["Core", "Webhooks"]
    assert [p.name for p in files["Core"]] == ["Core.application.log", "Core.application.log.1",
                                               "Core.application.log.2"]


def test_parse_line_splits_the_fields():
    parsed = parse_line("Core", line(stamp(1), "Sent to http://x ~~ odd", "WARNING", "admin", "r-1", "http://u/"))

    assert (parsed.stamp, parsed.level, parsed.user) == (stamp(1), "WARNING", "admin")
    assert parsed.message == "Sent to http://x ~~ odd"
    assert (parsed.request_id, parsed.url) == ("r-1", "http://u/")


def test_parse_line_keeps_foreign_lines_whole():
    parsed = parse_line("Core", "Traceback (most recent call last):", "2030-01-01 10:00:00.000000")

    assert parsed.message == "Traceback (most recent call last):"
    assert parsed.stamp == "2030-01-01 10:00:00.000000"


def test_search_merges_channels_newest_first_and_pages(tmp_path):
    (tmp_path / "Core.application.log").write_text("\n".join(line(stamp(n), f"core {n}") for n in (1, 4, 5)))
    (tmp_path / "API.application.log").write_text("\n".join(line(stamp(n), f"api {n}") for n in (2, 3, 6)))

    first, more = search(tmp_path, page=1, size=4)
    second, more_after = search(tmp_path, page=2, size=4)

    assert [entry.message for entry in first] == ["api 6", "core 5", "core 4", "api 3"]
    assert more is True
    assert [entry.message for entry in second] == ["api 2", "core 1"]
    assert more_after is False


@pytest.mark.parametrize("url", [
    f"http://127.0.0.1:5000/background_process?payload_source={TASK_ID}&sig={SIG}",
    f"http://127.0.0.1:5000/background_process?payload_source={TASK_ID}&sig={SIG.upper()}",
])
def test_rerun_target_accepts_our_own_urls(url):
    task_id, target = rerun_target(url, "http://127.0.0.1:5000")

    assert task_id == TASK_ID
    assert target.lower() == url.lower()


@pytest.mark.parametrize("url", [
    "",
    f"http://evil.test/background_process?payload_source={TASK_ID}&sig={SIG}",
    f"http://127.0.0.1:5000@evil.test/background_process?payload_source={TASK_ID}&sig={SIG}",
    f"http://127.0.0.1:50001/background_process?payload_source={TASK_ID}&sig={SIG}",
    f"https://127.0.0.1:5000/background_process?payload_source={TASK_ID}&sig={SIG}",
    f"http://127.0.0.1:5000/other?payload_source={TASK_ID}&sig={SIG}",
    f"http://127.0.0.1:5000/background_process?payload_source={TASK_ID[:49]}&sig={SIG}",
    f"http://127.0.0.1:5000/background_process?payload_source={TASK_ID[:49]}1&sig={SIG}",
    f"http://127.0.0.1:5000/background_process?payload_source={TASK_ID}&sig={SIG[:-1]}",
    f"http://127.0.0.1:5000/background_process?payload_source={TASK_ID}&sig={SIG}&x=1",
    f"http://127.0.0.1:5000/background_process?payload_source={TASK_ID}&sig={SIG}\n",
    f"http://127.0.0.1:5000/background_process?sig={SIG}&payload_source={TASK_ID}",
    f"http://127.0.0.1:5000/../background_process?payload_source={TASK_ID}&sig={SIG}",
])
def test_rerun_target_refuses_anything_else(url):
    assert rerun_target(url, "http://127.0.0.1:5000") is None


def test_rerun_target_accepts_a_site_under_a_path():
    url = f"http://127.0.0.1:5000/portal/background_process?payload_source={TASK_ID}&sig={SIG}"

    assert rerun_target(url, "http://127.0.0.1:5000/portal/") == (TASK_ID, url)
    assert rerun_target(url, "http://127.0.0.1:5000") is None
