"""Node-wide marks of webhooks whose receiver is slow or down, shared by every worker of this node.

A mark is an empty file in the task folder's ``marks/`` (``.slow-<id>``, ``.down-<id>``), so that every
gunicorn worker and the sweeper see it without a query, and reading the marks never lists the task files. A
delivery slower than :data:`SLOW_AFTER` marks its webhook slow; a timeout marks it down (and slow); a quick
success clears both (the webhook package decides, :func:`set_marks`). Slow webhooks share a few delivery
slots per process so that they never take the slots of healthy ones; new tasks of a down webhook are not
started at once, the sweeper probes it a few tasks per pass. A ``.draining-<id>`` file, touched when a task
of the webhook is queued and by a thread running its queue, tells the sweeper to leave those tasks alone.
"""

from __future__ import annotations

import os
import time

from . import store

#: a delivery taking longer than this (seconds) marks its webhook slow
SLOW_AFTER = 3.0
_KINDS = ("slow", "down")
#: a ``.draining-<id>`` mark younger than this says the webhook's tasks wait in a queue of this node
DRAINING_GRACE = 5.0
_DRAINING = "draining"
_TOUCH_EVERY = 0.5
_touched: dict[str, float] = {}


def _path(kind: str, webhook_id: int) -> str:
    # plain strings: every delivery asks for marks, and pathlib costs more than the system calls
    return f"{store.tasks_dir()}/{store.MARKS}/.{kind}-{int(webhook_id)}"


def is_marked(kind: str, webhook_id: int) -> bool:
    """Whether ``webhook_id`` carries the mark ``kind`` (``slow`` or ``down``)."""
    return os.path.exists(_path(kind, webhook_id))


def _entries(*kinds: str):
    """``(webhook_id, entry)`` of every mark file of any of ``kinds``."""
    prefixes = [f".{kind}-" for kind in kinds]
    with os.scandir(store.tasks_dir() / store.MARKS) as entries:
        for entry in entries:
            for prefix in prefixes:
                if entry.name.startswith(prefix) and entry.name[len(prefix):].isdigit():
                    yield int(entry.name[len(prefix):]), entry


def marked(*kinds: str) -> set[int]:
    """The ids of the webhooks carrying any of the marks ``kinds``, from one listing of the folder."""
    return {webhook_id for webhook_id, _entry in _entries(*kinds)}


def _touch(path: str) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _set(kind: str, webhook_id: int, on: bool) -> None:
    path = _path(kind, webhook_id)
    if on:
        if not os.path.exists(path):
            _touch(path)
    elif os.path.exists(path):  # mostly not: a lookup, where unlink would lock the folder even so
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def mark_slow(webhook_id: int) -> None:
    """Mark the webhook slow (one of its deliveries is taking longer than :data:`SLOW_AFTER`)."""
    _set("slow", webhook_id, True)


def set_marks(webhook_id: int, *, slow: bool, down: bool) -> None:
    """Set or clear the webhook's ``slow`` and ``down`` marks."""
    _set("slow", webhook_id, slow)
    _set("down", webhook_id, down)


def clear(webhook_id: int) -> None:
    """Forget the webhook's marks (deleted, re-enabled, or pointed at another receiver)."""
    for kind in (*_KINDS, _DRAINING):
        _set(kind, webhook_id, False)


def note_draining(webhook_id: int) -> None:
    """Say (node-wide, at most every half second) that the webhook's tasks wait in a queue of this node.

    Touched when a task is queued and while a thread runs the queue. The sweeper then leaves the webhook's
    never-attempted tasks alone: firing them again would only cost a self-call each and queue them twice
    (behind a receiver that hangs, for as long as it hangs).
    """
    path = _path(_DRAINING, webhook_id)
    now = time.monotonic()
    if now - _touched.get(path, -_TOUCH_EVERY) < _TOUCH_EVERY:
        return
    if len(_touched) > 10_000:
        _touched.clear()
    _touched[path] = now
    try:
        os.utime(path)
    except FileNotFoundError:
        _touch(path)


def draining() -> set[int]:
    """The ids of the webhooks whose queue a thread of this node ran in the last DRAINING_GRACE seconds."""
    cutoff = time.time() - DRAINING_GRACE
    found: set[int] = set()
    for webhook_id, entry in _entries(_DRAINING):
        try:
            if entry.stat().st_mtime >= cutoff:
                found.add(webhook_id)
        except FileNotFoundError:
            continue
    return found
