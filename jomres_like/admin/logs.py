"""The administrator's log viewer: every ``<Channel>.application.log``, newest first, search, paging, re-run.

Files are read backwards in blocks and the reading stops once the page is filled, so a page costs a few blocks
of memory however big the logs are. Only regular files named ``<Channel>.application.log[.N]`` inside
``JOMRES_LOG_DIR`` are read; the channel comes from that listing, never from a path the user typed. The search
is a plain case-insensitive substring. In development mode a line holding one of our own
``/background_process`` URLs gets a "Re-run" button, which re-issues that GET from the server, if the URL
carries the task's true signature: the line of a forged call (logged as refused, with its URL) gets none.
"""

from __future__ import annotations

import heapq
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import requests
import urllib3
from flask import abort, current_app, render_template, request
from flask_login import current_user
from wtforms import HiddenField, IntegerField, SearchField, SelectField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..deferred import selfcall as trigger
from ..forms import BaseForm, PlainForm
from ..logs import CHANNELS, get_logger, scrub
from ..services.site import development_mode
from .blueprint import bp

LOG_NAME = re.compile(
    r"(?P<channel>[A-Za-z][A-Za-z0-9_]{0,63})\.application\.log(?:\.(?P<number>[1-9][0-9]{0,2}))?"
)
PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_QUERY = 200
BLOCK = 64 * 1024
MAX_LINE = 16 * 1024
_HEAD = re.compile(
    r"\[(?P<stamp>[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]{8,15})\] (?P<level>[A-Z]{1,10}) (?P<user>\S{1,200}) ~~ "
)
_TASK_QUERY = r"/background_process\?payload_source=([A-Za-z]{50})&sig=([0-9A-Fa-f]{64})"
_BACKGROUND_URL = re.compile(r"https?://[^\s\"'<>]{1,300}?" + _TASK_QUERY)
_NEWEST = "9999"  # sorts after every timestamp: a line without one stays where the file put it
RERUN_TIMEOUT = (5.0, 60.0)
SUMMARY_LIMIT = 20_000


@dataclass
class LogLine:
    """One line of a channel's log, split into the fields of SPEC section 14 when it has that form."""

    channel: str
    stamp: str
    level: str
    user: str
    message: str
    request_id: str
    url: str
    rerun_url: str | None = None
    task_id: str | None = None  # the deferred task whose ``background_process`` URL the line names

    @property
    def short_stamp(self) -> str:
        """The time to the millisecond with the month and day (``11-22 04:45:38.123``), or ``""``."""
        return "" if self.stamp == _NEWEST else f"{self.stamp[5:10]} {self.stamp[11:23]}"


def log_files(log_dir: str | Path) -> dict[str, list[Path]]:
    """Map each channel to its files, current first, then ``.1``, ``.2``... (older and older)."""
    found: dict[str, list[tuple[int, Path]]] = {}
    try:
        entries = list(os.scandir(log_dir))
    except OSError:
        return {}
    for entry in entries:
        match = LOG_NAME.fullmatch(entry.name)
        if not match or not entry.is_file(follow_symlinks=False):
            continue  # symlinks, folders and other names are never read
        number = int(match["number"] or 0)
        found.setdefault(match["channel"], []).append((number, Path(entry.path)))
    return {channel: [path for _, path in sorted(files)] for channel, files in sorted(found.items())}


def read_backwards(path: Path, block: int = BLOCK, max_line: int = MAX_LINE) -> Iterator[str]:
    """Yield the lines of ``path`` from the last to the first, holding at most a block and one line."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the finally below, even when abandoned
    except OSError:
        return
    try:
        position = handle.seek(0, os.SEEK_END)
        tail = b""  # the end of a line whose start is still before ``position``
        skipping = False  # inside an over-long line whose end was already yielded
        while position > 0:
            size = min(block, position)
            position -= size
            handle.seek(position)
            chunk = handle.read(size)
            if skipping:
                cut = chunk.rfind(b"\n")
                if cut < 0:
                    continue
                chunk, skipping = chunk[: cut + 1], False
            lines = (chunk + tail).split(b"\n")
            tail = lines.pop(0)
            for line in reversed(lines):
                if line.strip():
                    yield _decode(line)
            if len(tail) > max_line:
                yield "[...] " + _decode(tail[-max_line:])
                tail, skipping = b"", True
        if tail.strip():
            yield _decode(tail)
    finally:
        handle.close()


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r")


def parse_line(channel: str, text: str, newer_stamp: str = _NEWEST) -> LogLine:
    """Split a line into its fields; a line of another form keeps the timestamp of the line after it."""
    head = _HEAD.match(text)
    if head is None:
        return LogLine(channel, newer_stamp, "", "", text, "", "")
    rest = text[head.end():]
    parts = rest.rsplit(" ~~ ", 2)
    message, request_id, url = parts if len(parts) == 3 else (rest, "", "")
    return LogLine(channel, head["stamp"], head["level"], head["user"], message, request_id, url)


def channel_lines(channel: str, files: list[Path]) -> Iterator[LogLine]:
    """The lines of one channel, newest first, across its current and rotated files."""
    stamp = _NEWEST
    for path in files:
        for text in read_backwards(path):
            line = parse_line(channel, text, stamp)
            stamp = line.stamp
            yield line


def search(log_dir: str | Path, channel: str | None = None, query: str = "", page: int = 1,
           size: int = PAGE_SIZE) -> tuple[list[LogLine], bool]:
    """Return one page of matching lines, newest first, and whether another page follows."""
    files = log_files(log_dir)
    channels = [channel] if channel else list(files)
    streams = [channel_lines(name, files.get(name, [])) for name in channels]
    needle = query.casefold()
    skip = (page - 1) * size
    found: list[LogLine] = []
    try:
        for line in heapq.merge(*streams, key=lambda item: item.stamp, reverse=True):
            if needle and needle not in _haystack(line):
                continue
            if skip:
                skip -= 1
                continue
            found.append(line)
            if len(found) > size:
                break
    finally:
        for stream in streams:
            stream.close()
    return found[:size], len(found) > size


def _haystack(line: LogLine) -> str:
    return " ".join((line.stamp, line.level, line.user, line.message, line.request_id, line.url)).casefold()


def rerun_target(url: str, self_url: str) -> tuple[str, str] | None:
    """``(task id, URL)`` for our own ``/background_process`` URLs (rebuilt), ``None`` for anything else."""
    root = self_url.rstrip("/")
    match = re.fullmatch(re.escape(root) + _TASK_QUERY, url or "")
    if match is None:
        return None
    query = urlencode({"payload_source": match[1], "sig": match[2]})
    return match[1], f"{root}/background_process?{query}"


def offer_reruns(lines: list[LogLine], self_url: str) -> None:
    """Give one line per task of the page a "Re-run": the one whose message names the URL (the line that
    sent it), else the newest; every line of a signed task gets its ``task_id``. Forged calls get none."""
    chosen: dict[str, tuple[LogLine, str, bool]] = {}
    for line in lines:
        in_message = _BACKGROUND_URL.search(line.message)
        found = in_message or _BACKGROUND_URL.search(line.url)
        if not found or not trigger.verify(found[1], found[2]):
            continue
        target = rerun_target(found.group(0), self_url)
        if target is None:
            continue
        line.task_id = target[0]
        best = chosen.get(target[0])
        if best is None or (in_message and not best[2]):
            chosen[target[0]] = (line, target[1], bool(in_message))
    for line, url, _sent in chosen.values():
        line.rerun_url = url


# -- forms ------------------------------------------------------------------------------------------------
class LogSearchForm(PlainForm):
    """The viewer's filters, from the query string (a GET form changes nothing: it carries no CSRF token)."""

    channel = SelectField("Channel", validators=[Optional()], validate_choice=True)
    q = SearchField("Search", validators=[Optional(), Length(max=MAX_QUERY)])
    page = IntegerField("Page", default=1, validators=[Optional(), NumberRange(min=1, max=MAX_PAGE)])


class RerunForm(BaseForm):
    """The "Re-run" button: which logged ``/background_process`` URL to request again."""

    url = HiddenField("URL", validators=[DataRequired(), Length(max=1000)])


# -- views ------------------------------------------------------------------------------------------------
@bp.route("/logs")
def logs():
    """Every channel's log lines, newest first, with a search box, a channel filter and paging."""
    log_dir = current_app.config["JOMRES_LOG_DIR"]
    files = log_files(log_dir)
    names = sorted(set(files) | set(CHANNELS))
    form = LogSearchForm(request.args)
    form.channel.choices = [("", "All channels")] + [(name, name) for name in names]
    can_rerun = development_mode()
    if not form.validate():
        return render_template("admin/logs/index.html", form=form, lines=[], page=1, has_next=False,
                               files=files, can_rerun=can_rerun), 400
    page = form.page.data or 1
    lines, has_next = search(log_dir, form.channel.data or None, (form.q.data or "").strip(), page)
    for line in lines:
        line.message = scrub(line.message)
    if can_rerun:
        offer_reruns(lines, current_app.config["JOMRES_SELF_URL"])
    args = {key: value for key, value in (("channel", form.channel.data), ("q", form.q.data)) if value}
    return render_template("admin/logs/index.html", form=form, lines=lines, page=page, has_next=has_next,
                           files=files, can_rerun=can_rerun, args=args)


@bp.route("/logs/rerun", methods=["POST"])
def logs_rerun():
    """Development mode only: request a logged ``/background_process`` URL again and show its summary."""
    if not development_mode():
        abort(403, "Deferred tasks can be re-run from the log only in development mode.")
    form = RerunForm()
    self_url = current_app.config["JOMRES_SELF_URL"]
    found = rerun_target(form.url.data or "", self_url) if form.validate() else None
    if found is None:
        error = "Only this site's own /background_process URLs (50 letters and a signature) can be re-run."
        return render_template("admin/logs/rerun.html", error=error, target=None), 400
    task_id, target = found
    log = get_logger("Core")
    try:
        with requests.get(target, timeout=RERUN_TIMEOUT, allow_redirects=False, stream=True,
                          headers={"Accept": "application/json"}) as response:
            status = response.status_code
            summary = _summary(response.raw.read(SUMMARY_LIMIT, decode_content=True))
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        log.warning("Re-run of deferred task %s by %s failed: %s", task_id, current_user.username,
                    exc.__class__.__name__)
        error = f"Could not reach {target.split('?')[0]} ({exc.__class__.__name__})."
        return render_template("admin/logs/rerun.html", error=error, target=target, task_id=task_id), 502
    log.info("Deferred task %s re-run from the log viewer by %s: HTTP %s", task_id, current_user.username,
             status)
    return render_template("admin/logs/rerun.html", error=None, target=target, task_id=task_id, status=status,
                           summary=summary)


def _summary(body: bytes) -> str:
    """The answer for people: indented JSON when it is JSON (it should be), else the text; never a secret."""
    text = body.decode("utf-8", "replace")
    try:
        return scrub(json.dumps(json.loads(text), indent=2, sort_keys=True))
    except ValueError:
        return scrub(text)
