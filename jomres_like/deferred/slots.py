"""Delivery slots of this process: how many deliveries run at once per webhook, and who waits where.

A healthy webhook has its own slots (``JOMRES_INFLIGHT_PER_WEBHOOK``, default 2). A task that finds them all
taken does not hold a worker thread while it waits: its id joins the webhook's short queue in this process
(``JOMRES_INFLIGHT_QUEUE``, default 500) and the request answers at once; a thread holding one of the
webhook's slots runs the queued tasks, one after the other, before it lets the slot go. Webhooks marked slow
(:mod:`.marks`) get one slot each out of ``JOMRES_INFLIGHT_TOTAL`` (default 3) shared by all of them, and no
queue: their extra tasks answer "busy" and wait for the sweeper. So a receiver that never answers holds a few
threads, never every thread, and never the slots of healthy webhooks.

A queue lives in memory only: the task files stay on disk and unclaimed, so a task whose queue is lost (the
process ends, the queue is dropped) is still run by the sweeper.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app

from . import marks

GRANTED, QUEUED, BUSY = "granted", "queued", "busy"

_lock = threading.Lock()
_in_flight: dict[int, int] = {}
_slow_in_flight: dict[int, int] = {}
_started: dict[int, list[float]] = {}
_queues: dict[int, deque[str]] = {}


@dataclass
class Slot:
    """One delivery slot of a webhook, held by the thread that was granted it."""

    webhook_id: int
    slow: bool
    started: float = field(default_factory=time.monotonic)
    held: bool = True


def _setting(name: str) -> int:
    """A bound from the configuration (its default is in ``config.DEFAULTS``)."""
    return max(0, int(current_app.config[name]))


def _stuck(webhook_id: int) -> bool:
    """Whether a delivery of ``webhook_id`` in this process has been running longer than SLOW_AFTER."""
    starts = _started.get(webhook_id)
    return bool(starts) and time.monotonic() - min(starts) > marks.SLOW_AFTER


def acquire(webhook_id: int, task_id: str | None = None) -> tuple[str, Slot | None]:
    """Ask for a slot of ``webhook_id``: ``(GRANTED, slot)``, ``(QUEUED, None)`` or ``(BUSY, None)``.

    ``task_id`` (when given) is queued behind the webhook's slots if they are all taken, the webhook is
    healthy and its queue has room; without it, or otherwise, a full webhook answers BUSY.
    """
    slow = marks.is_marked("slow", webhook_id)
    per_webhook = _setting("JOMRES_INFLIGHT_PER_WEBHOOK")
    slow_total = _setting("JOMRES_INFLIGHT_TOTAL")
    queue_limit = _setting("JOMRES_INFLIGHT_QUEUE")
    now_stuck = False
    with _lock:
        running = _in_flight.get(webhook_id, 0)
        if slow:
            free = running < 1 and sum(_slow_in_flight.values()) < slow_total
        else:
            free = running < per_webhook
        if free:
            slot = Slot(webhook_id, slow)
            _in_flight[webhook_id] = running + 1
            _started.setdefault(webhook_id, []).append(slot.started)
            if slow:
                _slow_in_flight[webhook_id] = _slow_in_flight.get(webhook_id, 0) + 1
            return GRANTED, slot
        if not slow and _stuck(webhook_id):
            now_stuck = True
        elif not slow and task_id is not None:
            queue = _queues.setdefault(webhook_id, deque())
            if task_id in queue:  # fired again (by the sweeper) while it waits
                return QUEUED, None
            if len(queue) < queue_limit:
                queue.append(task_id)
                return QUEUED, None
            if not queue:
                del _queues[webhook_id]
    if now_stuck:  # a delivery is stuck: nobody waits behind it
        marks.mark_slow(webhook_id)
    return BUSY, None


def _forget_start(webhook_id: int, started: float) -> None:
    starts = _started.get(webhook_id, [])
    if started in starts:
        starts.remove(started)
    if not starts:
        _started.pop(webhook_id, None)


def _release_locked(slot: Slot) -> None:
    slot.held = False
    webhook_id = slot.webhook_id
    _forget_start(webhook_id, slot.started)
    for counts in (_in_flight, _slow_in_flight) if slot.slow else (_in_flight,):
        if counts.get(webhook_id, 0) <= 1:
            counts.pop(webhook_id, None)
        else:
            counts[webhook_id] -= 1


def _pop_locked(webhook_id: int) -> str | None:
    queue = _queues.get(webhook_id)
    if not queue:
        return None
    task_id = queue.popleft()
    if not queue:
        del _queues[webhook_id]
    return task_id


def release(slot: Slot) -> None:
    """Give the slot back (idempotent)."""
    with _lock:
        if slot.held:
            _release_locked(slot)


def next_or_release(slot: Slot) -> str | None:
    """The next queued task of the slot's webhook (the slot is kept for it), or release the slot.

    Both happen under one lock with :func:`acquire`, so a task is never queued behind a slot that has just
    been let go.
    """
    with _lock:
        task_id = _pop_locked(slot.webhook_id)
        if task_id is not None:
            _forget_start(slot.webhook_id, slot.started)
            slot.started = time.monotonic()  # the next delivery's start, for stuck detection
            _started.setdefault(slot.webhook_id, []).append(slot.started)
            return task_id
        if slot.held:
            _release_locked(slot)
        return None


def drop_queue(webhook_id: int) -> int:
    """Forget the webhook's queued tasks (they stay on disk for the sweeper); return how many."""
    with _lock:
        queue = _queues.pop(webhook_id, None)
    return len(queue or ())


def pop_queued(webhook_id: int) -> str | None:
    """Take the first queued task of ``webhook_id`` out of its queue, or ``None``."""
    with _lock:
        return _pop_locked(webhook_id)


def queued(webhook_id: int) -> int:
    """How many tasks of ``webhook_id`` wait in this process's queue."""
    with _lock:
        return len(_queues.get(webhook_id, ()))


@contextmanager
def delivery_slot(webhook_id: int) -> Iterator[bool]:
    """Hold a slot of ``webhook_id`` for the block, without queueing; yields whether one was free."""
    state, slot = acquire(webhook_id)
    try:
        yield state == GRANTED
    finally:
        if slot is not None:
            release(slot)
