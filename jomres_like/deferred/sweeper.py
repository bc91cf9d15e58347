"""The sweeper (SPEC section 7, step 5): due retries, task files whose self-call was lost, lost events.

It runs inside the app's own processes: a daemon thread per process, started by the first request, wakes
every ``JOMRES_SWEEP_SECONDS`` (0 disables it) and sweeps when it gets this node's sweep lock (an ``flock``,
so one process per node sweeps at a time) and no process of the node has begun a pass within that time (the
lock file's mtime says when the last one began): the node sweeps at most every ``JOMRES_SWEEP_SECONDS``,
however many workers it runs. ``flask deferred-tasks sweep`` runs one pass for cron. Across
nodes it is safe: events are claimed by a conditional update, tasks by a lock on their file.
"""

from __future__ import annotations

import fcntl
import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from ..extensions import db
from ..logs import get_logger
from ..models import Webhook, WebhookDelivery, WebhookEvent
from ..services.site import development_mode
from ..timeutil import iso_utc, utcnow
from ..webhooks.health import FAILING_STREAK
from . import marks, store

log = get_logger("DeferredTasks")

#: an event younger than this is left to the request that raised it
OUTBOX_GRACE = timedelta(seconds=3)
#: a file younger than this whose delivery is unknown may belong to a transaction still committing
ORPHAN_GRACE = 30.0
#: a never-attempted task younger than this has its self-call in flight
FRESH_TASK = 1.0
#: a never-attempted task of a webhook whose queue is being run on this node is left alone this long
QUEUED_TASK = 60.0
BATCH = 200
#: a webhook failing FAILING_STREAK times in a row gets only this many due tasks per pass, so a receiver
#: that is down costs a few requests per pass, not one per waiting event
PROBES = 2
#: due tasks per pass of a webhook marked slow (its deliveries share a few slots: more would answer "busy")
SLOW_PROBES = 6

#: task id -> ((mtime, inode), task) of the files read by an earlier pass, so that a pass reads only new or
#: rewritten files: a receiver that is down leaves hundreds of tasks waiting, and development mode keeps
#: done ones (held as :data:`_DONE`), and each pass would read them all again only to probe two
_seen: dict[str, tuple[tuple[float, int], dict]] = {}
_DONE = {"done": True}
MAX_SEEN = 100_000
#: task id -> the trouble last logged for its file, so that a file failing every pass is logged once
_troubled: dict[str, str] = {}
_thread_lock = threading.Lock()
_thread: threading.Thread | None = None
_thread_pid: int | None = None


def _lock_path() -> Path:
    """This node's sweep lock file; its mtime says when the node's last pass began."""
    return store.tasks_dir() / ".sweep.lock"


@contextmanager
def node_lock() -> Iterator[bool]:
    """This node's sweep lock (non-blocking); yields whether it was acquired."""
    fd = os.open(_lock_path(), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def sweep_outbox(limit: int = BATCH, start: bool = True) -> tuple[int, list[str]]:
    """Dispatch committed events that never got their deliveries (a crash between commit and file).

    Returns how many events were found and, when ``start`` is off, the task ids written for them (the
    caller runs them); otherwise the tasks are started the usual way (self-call or immediate delivery).
    """
    from ..webhooks.dispatch import dispatch_event, run_entries

    cutoff = utcnow() - OUTBOX_GRACE
    ids = list(
        db.session.scalars(
            select(WebhookEvent.id)
            .where(WebhookEvent.dispatched.is_(False), WebhookEvent.created_at <= cutoff)
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
    )
    db.session.rollback()
    if not ids:
        return 0, []
    log.info("Sweeper dispatching %s undispatched event(s)", len(ids))
    if start:
        run_entries([("event", event_id) for event_id in ids])
        return len(ids), []
    written: list[str] = []
    for event_id in ids:
        try:
            written += [entry[1] for entry in dispatch_event(event_id)]
        except Exception:  # noqa: BLE001 - one bad event must not stop the others
            db.session.rollback()
            log.exception("Sweeper could not dispatch event %s", event_id)
    return len(ids), written


def due_tasks(limit: int = BATCH) -> list[str]:
    """Task files of this node that should run now; tidies files whose delivery was finished or lost.

    The files are read first, their deliveries then loaded in a few statements (not one per file), so
    that a pass over hundreds of waiting tasks stays cheap.
    """
    candidates = _candidates(limit * 5)
    deliveries = _deliveries([task_id for task_id, _task, _age in candidates])
    now = utcnow()
    dev = development_mode()
    failing = dict(
        db.session.execute(
            select(Webhook.id, Webhook.consecutive_failures)
            .where(Webhook.consecutive_failures >= FAILING_STREAK)
        ).all()
    )
    db.session.rollback()
    # webhooks marked down after a timeout are probed like failing ones; slow ones get a few tasks per pass
    failing.update(dict.fromkeys(marks.marked("down"), FAILING_STREAK))
    slow = marks.marked("slow")
    due: list[str] = []
    probes: dict[int, int] = {}
    for task_id, task, age in candidates:
        if len(due) >= limit:
            break
        delivery = deliveries.get(task_id)
        try:
            if _is_due(task_id, task, age, delivery, now, dev):
                webhook_id = delivery.webhook_id
                if webhook_id in failing or webhook_id in slow:
                    probes[webhook_id] = probes.get(webhook_id, 0) + 1
                    if probes[webhook_id] > (PROBES if webhook_id in failing else SLOW_PROBES):
                        continue
                due.append(task_id)
        except Exception as exc:  # noqa: BLE001 - one file's trouble never stops the pass
            _trouble(task_id, exc)
    return due


def _is_due(task_id: str, task: dict, age: float, delivery, now, dev: bool) -> bool:
    """Whether the pending ``task`` should run now; tidies its file when its delivery is finished or lost."""
    if delivery is None or delivery.message_id != task["message_id"]:
        if age > ORPHAN_GRACE:
            log.info("Removing orphaned task file %s", task_id)
            store.delete_task(task_id)
        return False
    if delivery.status == "succeeded":  # crashed after the commit, before the file was tidied
        if dev:
            store.write_task({**task, "done": True, "completed_at": iso_utc(delivery.completed_at)})
        else:
            store.delete_task(task_id)
        return False
    if delivery.status == "failed":
        store.move_to_failed({**task, "done": True})
        return False
    if delivery.attempts == (task.get("attempts_base") or 0) and age < FRESH_TASK:
        return False
    return delivery.next_attempt_at is None or delivery.next_attempt_at <= now


def _candidates(most: int) -> list[tuple[str, dict, float]]:
    """``(task_id, task, age)`` of the pending files worth a look, oldest first, at most ``most``."""
    draining = marks.draining()
    found: list[tuple[str, dict, float]] = []
    files = store.listing()
    if len(_seen) > len(files) or _troubled:  # some files went: forget them
        present = {task_id for task_id, _mtime, _inode in files}
        for known in (_seen, _troubled):
            for task_id in [task_id for task_id in known if task_id not in present]:
                del known[task_id]
    for task_id, mtime, inode in files:
        if len(found) >= most:
            break
        try:
            candidate = _candidate(task_id, (mtime, inode), draining)
        except Exception as exc:  # noqa: BLE001 - one file's trouble (unreadable, unmovable) never stops the pass
            _trouble(task_id, exc)
            continue
        if candidate is not None:
            found.append(candidate)
    return found


def _candidate(task_id: str, version: tuple[float, int], draining: set) -> tuple[str, dict, float] | None:
    """``(task_id, task, age)`` if the listed file is a pending task worth a look; sets a bad file aside."""
    cached = _seen.get(task_id)
    if cached is not None and cached[0] == version:
        task = cached[1]
    else:
        try:
            task, _failed = store.read_task(task_id)
        except store.TaskMissing:
            return None  # gone since the listing (run and removed meanwhile)
        except store.BadTaskFile:
            _set_aside(task_id)
            return None
        if len(_seen) >= MAX_SEEN:
            _seen.clear()
        _seen[task_id] = (version, _DONE if task.get("done") else task)
    if task.get("done"):
        return None
    age = max(0.0, time.time() - version[0])
    if "attempts" not in task and task.get("webhook_id") in draining and age < QUEUED_TASK:
        return None  # waiting in a queue that a thread of this node is running
    if store.claimed(task_id):
        return None  # running right now
    return task_id, task, age


def _set_aside(task_id: str) -> None:
    """Move a pending file that is no task to ``bad/``, with one WARNING naming it and saying why."""
    moved = store.set_aside(task_id)  # None: claimed, replaced or gone meanwhile; the next pass looks again
    if moved is not None:
        target, reason = moved
        log.warning("Task file %s is no task (%s); moved aside to %s/%s", task_id, reason, store.BAD,
                    target.name)
    _seen.pop(task_id, None)


def _trouble(task_id: str, exc: Exception) -> None:
    """Log that the file of ``task_id`` was skipped by this pass: a WARNING once, DEBUG while it lasts."""
    db.session.rollback()
    trouble = f"{type(exc).__name__}: {exc}"
    if _troubled.get(task_id) == trouble:
        log.debug("Sweeper skipped task file %s again: %s", task_id, trouble)
        return
    if len(_troubled) >= MAX_SEEN:
        _troubled.clear()
    _troubled[task_id] = trouble
    log.warning("Sweeper skipped task file %s: %s", task_id, trouble, exc_info=exc)


def _deliveries(task_ids: list[str]) -> dict:
    """The deliveries of ``task_ids`` (the columns the sweeper reads), by task id."""
    columns = (
        WebhookDelivery.task_id,
        WebhookDelivery.message_id,
        WebhookDelivery.webhook_id,
        WebhookDelivery.status,
        WebhookDelivery.attempts,
        WebhookDelivery.next_attempt_at,
        WebhookDelivery.completed_at,
    )
    found = {}
    for start in range(0, len(task_ids), 500):
        chunk = task_ids[start : start + 500]
        for row in db.session.execute(select(*columns).where(WebhookDelivery.task_id.in_(chunk))):
            found[row.task_id] = row
    return found


def _stale_after() -> float:
    from .runner import stale_after

    return stale_after()


def sweep_once(inline: bool = False, limit: int = BATCH) -> dict[str, int]:
    """One pass: dispatch lost events, then fire (or, ``inline``, run) the due tasks; return counts."""
    from . import selfcall
    from .runner import run_task

    store.remove_leftovers(_stale_after())
    events, written = sweep_outbox(limit, start=not inline)
    due = written + [task_id for task_id in due_tasks(limit) if task_id not in written]
    ran = 0
    for task_id in due:
        try:
            if inline:
                run_task(task_id)
                db.session.rollback()
                ran += 1
            elif selfcall.fire(task_id):
                ran += 1
        except Exception as exc:  # noqa: BLE001 - one task's trouble never stops the others
            _trouble(task_id, exc)
    if due:
        log.info("Sweeper %s %s due task(s)", "ran" if inline else "fired", ran)
    return {"events": events, "tasks": ran}


def sweep_if_due(interval: float) -> bool:
    """Run a pass unless another process of this node is sweeping or began a pass within ``interval`` s.

    Returns whether this call swept. The time of the node's last pass is the sweep lock file's mtime, read
    and set under the lock, so that the node's workers, each waking on its own timer, take turns. The file
    gets a byte at the first pass: an empty one was only just created by the lock (or by an older version)
    and says nothing about when the node last swept.
    """
    with node_lock() as mine:
        if not mine:
            return False
        stat = _lock_path().stat()
        if stat.st_size and 0 <= time.time() - stat.st_mtime < interval:
            return False
        note_pass()
        sweep_once()
        return True


def note_pass() -> None:
    """Record that a pass of this node begins now (its caller holds :func:`node_lock`): the lock file's mtime.

    ``flask deferred-tasks sweep`` records its passes too, so that the workers do not sweep again right after.
    """
    path = _lock_path()
    if not path.stat().st_size:
        path.write_bytes(b"\n")
    now = time.time()
    os.utime(path, (now, now))


def _loop(app: Flask, interval: float) -> None:
    while True:
        time.sleep(interval * random.uniform(0.8, 1.2))
        try:
            with app.app_context():
                sweep_if_due(interval)
        except Exception:  # noqa: BLE001 - the sweeper must outlive a bad pass
            log.exception("Sweeper pass failed")


def ensure_started(app: Flask) -> None:
    """Start this process's sweeper thread once (after a fork, again); no-op when disabled."""
    global _thread, _thread_pid
    interval = float(app.config.get("JOMRES_SWEEP_SECONDS") or 0)
    if interval <= 0:
        return
    pid = os.getpid()
    if _thread is not None and _thread_pid == pid and _thread.is_alive():
        return
    with _thread_lock:
        if _thread is not None and _thread_pid == pid and _thread.is_alive():
            return
        _thread = threading.Thread(target=_loop, args=(app, interval), name="jomres-sweeper", daemon=True)
        _thread_pid = pid
        _thread.start()
    log.debug("Sweeper started every %ss", interval)
