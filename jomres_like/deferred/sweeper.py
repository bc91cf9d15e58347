"""The sweeper (SPEC section 7, step 5): each pass asks the registered sweep hooks what is due, and starts it.

A pass lists the pending task files (sets aside those that are no task, skips those claimed or queued),
gives them to every hook registered with :func:`register_sweep_hook` (the webhook package's finds due
retries, lost self-calls and events without task files), and fires a self-call for each task id they
return (or runs it, ``inline``). A hook that fails is logged and the pass goes on.

It runs inside the app's own processes: a daemon thread per process, started by the first request, wakes
every ``JOMRES_SWEEP_SECONDS`` (0 disables it) and sweeps when it gets this node's sweep lock (an ``flock``,
so one process per node sweeps at a time) and no process of the node has begun a pass within that time (the
lock file's mtime says when the last one began): the node sweeps at most every ``JOMRES_SWEEP_SECONDS``,
however many workers it runs. ``flask deferred-tasks sweep`` runs one pass for cron. Across nodes it is
safe: events are claimed by a conditional update, tasks by a lock on their file.
"""

from __future__ import annotations

import fcntl
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from ..extensions import db
from ..logs import get_logger
from . import marks, registry, selfcall, store, threads
from .registry import Pending, SweepFound, SweepHook, SweepPass

log = get_logger("DeferredTasks")

#: a never-attempted task of a webhook whose queue is being run on this node is left alone this long
QUEUED_TASK = 60.0
#: tasks started per pass at most (the hooks see five times as many pending files)
BATCH = 200

#: task id -> ((mtime, inode), task) of the files read by an earlier pass, so that a pass reads only new or
#: rewritten files: a receiver that is down leaves hundreds of tasks waiting, and development mode keeps
#: done ones (held as :data:`_DONE`), and each pass would read them all again only to probe two
_seen: dict[str, tuple[tuple[float, int], dict]] = {}
_DONE = {"done": True}
MAX_SEEN = 100_000
#: task id -> the trouble last logged for its file, so that a file failing every pass is logged once
_troubled: dict[str, str] = {}


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


def pending_tasks(most: int) -> list[Pending]:
    """The pending files worth a look (not claimed, not queued here), oldest first, at most ``most``."""
    draining = marks.draining()
    found: list[Pending] = []
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
            trouble(task_id, exc)
            continue
        if candidate is not None:
            found.append(Pending(*candidate))
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


def trouble(task_id: str, exc: Exception) -> None:
    """Log that the file of ``task_id`` was skipped by this pass: a WARNING once, DEBUG while it lasts."""
    db.session.rollback()
    what = f"{type(exc).__name__}: {exc}"
    if _troubled.get(task_id) == what:
        log.debug("Sweeper skipped task file %s again: %s", task_id, what)
        return
    if len(_troubled) >= MAX_SEEN:
        _troubled.clear()
    _troubled[task_id] = what
    log.warning("Sweeper skipped task file %s: %s", task_id, what, exc_info=exc)


def register_sweep_hook(hook: SweepHook, app: Flask | None = None) -> None:
    """Ask ``hook`` on every pass which tasks are due (see :class:`.registry.SweepPass`)."""
    hooks = registry.registry(app).sweep_hooks
    if hook not in hooks:
        hooks.append(hook)


def sweep_once(inline: bool = False, limit: int = BATCH) -> dict[str, int]:
    """One pass: ask the sweep hooks what is due, fire (or, ``inline``, run) those tasks; return counts."""
    from .runner import run_task, stale_after

    store.remove_leftovers(stale_after())
    pending = pending_tasks(limit * 5)
    sweep = SweepPass(pending=pending, limit=limit, inline=inline, trouble=trouble)
    counts: dict[str, int] = {"events": 0}
    due: list[str] = []
    for hook in list(registry.registry().sweep_hooks):
        try:
            found = hook(sweep)
        except Exception:  # noqa: BLE001 - one hook's failure never stops the pass
            db.session.rollback()
            log.exception("Sweep hook %s failed", getattr(hook, "__name__", hook))
            found = SweepFound()
        due += [task_id for task_id in found.task_ids if task_id not in due]
        for key, value in found.counts.items():
            counts[key] = counts.get(key, 0) + value
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
            trouble(task_id, exc)
    if due:
        log.info("Sweeper %s %s due task(s)", "ran" if inline else "fired", ran)
    return {**counts, "tasks": ran}


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
    interval = float(app.config.get("JOMRES_SWEEP_SECONDS") or 0)
    if interval > 0 and threads.start_once("jomres-sweeper", _loop, (app, interval)):
        log.debug("Sweeper started every %ss", interval)
