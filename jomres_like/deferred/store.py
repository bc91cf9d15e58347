"""The task store: JSON task files in ``temp/deferred_tasks/`` (exhausted ones in ``failed/``).

Every file is written atomically (temporary name, fsync, rename; an event's several files are made durable
together, :func:`sync_files`) and named by a task id of exactly 50 ASCII letters, so that an id that passed
:func:`valid_task_id` can never escape the folder. A task is claimed with an exclusive ``flock`` on its
file (:func:`claim`), which a process that dies lets go of at once. A pending file whose content is no
task (:mod:`.tasks`) is set aside in ``bad/`` (:func:`set_aside`).
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import math
import os
import re
import secrets
import stat
import string
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import current_app

from ..files import private_folder
from .tasks import MAX_TASK_BYTES, TaskError, parse_task
from .tasks import BadTaskFile as BadTaskFile  # the task store's errors are all named here

TASK_ID_LENGTH = 50
_TASK_ID = re.compile(rf"[A-Za-z]{{{TASK_ID_LENGTH}}}")
_LETTERS = string.ascii_letters
FAILED = "failed"
#: subfolder of the pending files that are no task (:func:`set_aside`), out of every listing of tasks
BAD = "bad"
#: subfolder of the webhooks' slow/down/draining marks (:mod:`.marks`), out of the task files' listings
MARKS = "marks"
_OLD_MARK = re.compile(r"\.(slow|down|draining)-\d+")
#: the claim files of earlier versions (``<task id>.lock``), removed once old (:func:`remove_leftovers`)
LOCK_SUFFIX = ".lock"


#: JOMRES_TEMP_DIR -> (its deferred_tasks folder, when it was last seen to exist); every task operation
#: asks for it, so the folder is checked at most once a second (and created again if it went away)
_made: dict[str, tuple[Path, float]] = {}
RECHECK = 1.0


class TaskMissing(TaskError):
    """There is no file for the task (pending or failed)."""


class TaskBusy(RuntimeError):
    """Another worker holds the task's claim."""


def tasks_dir() -> Path:
    """The folder of pending (and, in development mode, done) task files (created on first use)."""
    root = current_app.config["JOMRES_TEMP_DIR"]
    now = time.monotonic()
    path, seen = _made.get(root, (None, 0.0))
    if path is None or now - seen > RECHECK:
        if path is None or not (path / FAILED).is_dir() or not (path / MARKS).is_dir():
            path = Path(root) / "deferred_tasks"
            for folder in (path, path / FAILED, path / MARKS):
                private_folder(folder)  # 0700
        _made[root] = (path, now)
    return path


def failed_dir() -> Path:
    """The folder of exhausted task files."""
    return tasks_dir() / FAILED


def new_task_id() -> str:
    """A fresh task id: 50 random ASCII letters, each equally likely.

    Random bytes below 208 (4 x 52) map evenly onto the 52 letters; the others are dropped. This takes one
    call to the system's generator instead of one per letter.
    """
    letters: list[str] = []
    while len(letters) < TASK_ID_LENGTH:
        letters += [_LETTERS[byte % 52] for byte in secrets.token_bytes(80) if byte < 208]
    return "".join(letters[:TASK_ID_LENGTH])


def valid_task_id(task_id: Any) -> bool:
    """Whether ``task_id`` is exactly 50 ASCII letters (checked before touching the filesystem)."""
    return isinstance(task_id, str) and _TASK_ID.fullmatch(task_id) is not None


def _path(task_id: str, failed: bool = False) -> Path:
    if not valid_task_id(task_id):
        raise TaskError("Malformed task id.")
    return (failed_dir() if failed else tasks_dir()) / task_id


def write_task(task: dict[str, Any], failed: bool = False) -> Path:
    """Write ``task`` (which carries its ``task_id``) atomically: temporary name, fsync, rename."""
    return write_tasks([task], failed)[0]


def write_tasks(tasks: list[dict[str, Any]], failed: bool = False) -> list[Path]:
    """Write several tasks atomically, each under a temporary name, synced, then renamed.

    All are written, then synced together (:func:`sync_files`), then renamed into place: a crash leaves whole
    task files or temporary ones (removed as orphans), never a partial file.
    """
    written: list[tuple[Path, Path, int]] = []
    try:
        for task in tasks:
            path = _path(task["task_id"], failed)
            body = json.dumps(task, sort_keys=True).encode()
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            written.append((path, tmp, fd))
            os.write(fd, body)
        sync_files([fd for *_names, fd in written])
    except BaseException:
        for _target, tmp, fd in written:
            os.close(fd)
            tmp.unlink(missing_ok=True)
        raise
    for *_names, fd in written:
        os.close(fd)
    for path, tmp, _fd in written:
        os.replace(tmp, path)
    return [path for path, _tmp, _fd in written]


def _syncfs_function():
    """The C library's ``syncfs(2)`` (Linux), or ``None`` where it has none."""
    try:
        function = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return function


_syncfs = _syncfs_function()


def sync_files(fds: list[int]) -> None:
    """Make the files open on ``fds`` durable (their data and metadata on disk); raise ``OSError`` if not.

    One file is synced with ``fsync``. Several, with ``JOMRES_TASK_SYNC`` at ``filesystem`` (the default),
    with one ``syncfs`` of their file system where the system has it: one flush of the disk for an event's
    tasks instead of one per task file (gain: see BENCHMARKS.md). It also writes out whatever else on that
    file system is waiting to be written: where the task folder shares a disk with heavy writers,
    ``JOMRES_TASK_SYNC=file`` syncs each file instead. A failed ``syncfs`` falls back to an ``fsync`` of each
    file, which then says whether these files are safe.
    """
    batch = len(fds) > 1 and current_app.config.get("JOMRES_TASK_SYNC", "filesystem") == "filesystem"
    if batch and _syncfs is not None and _syncfs(fds[0]) == 0:
        return
    for fd in fds:
        os.fsync(fd)


def _open_task(task_id: str) -> tuple[int, bool]:
    """A descriptor open for reading on the task's file (pending first, then failed), and whether it failed.

    Only a regular file counts: a folder, or a FIFO planted under a task's name (opened without blocking),
    is no task. Raises :class:`TaskMissing` when there is none, :class:`TaskError` when it cannot be opened.
    """
    for failed in (False, True):
        try:
            fd = os.open(_path(task_id, failed), os.O_RDONLY | os.O_NONBLOCK)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            continue
        except OSError as exc:
            raise TaskError("Task file is unreadable.") from exc
        try:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
        except OSError as exc:
            os.close(fd)
            raise TaskError("Task file is unreadable.") from exc
        if regular:
            return fd, failed
        os.close(fd)
    raise TaskMissing("No such task.")


def _load(fd: int, task_id: str) -> dict[str, Any]:
    """The task in the file open on ``fd``, checked (:func:`.tasks.parse_task`); else :class:`TaskError`.

    :class:`BadTaskFile` when the content is no task, a plain :class:`TaskError` when it cannot be read.
    """
    try:
        raw = os.read(fd, MAX_TASK_BYTES + 1)
    except OSError as exc:
        raise TaskError("Task file is unreadable.") from exc
    return parse_task(raw, task_id)


def read_task(task_id: str) -> tuple[dict[str, Any], bool]:
    """Load a task file (JSON only, never pickle); return ``(task, failed)``; :class:`TaskError` otherwise."""
    fd, failed = _open_task(task_id)
    try:
        return _load(fd, task_id), failed
    finally:
        os.close(fd)


def delete_task(task_id: str) -> None:
    """Remove a task's file wherever it is (pending or failed)."""
    _path(task_id).unlink(missing_ok=True)
    remove_failed(task_id)


def remove_failed(task_id: str) -> None:
    """Remove the task's copy in ``failed/`` (after a successful re-run or a redelivery).

    There mostly is none: the name is looked up first, since ``unlink`` locks the folder even for a name
    that is not there, and every delivery asks.
    """
    path = _path(task_id, True)
    if path.exists():
        path.unlink(missing_ok=True)


def move_to_failed(task: dict[str, Any]) -> None:
    """Move an exhausted task to ``failed/`` (written there first, then removed from the pending folder)."""
    write_task(task, failed=True)
    _path(task["task_id"]).unlink(missing_ok=True)


def set_aside(task_id: str) -> tuple[Path, str] | None:
    """Move the pending file of ``task_id`` to ``bad/`` if it is no task; return where it went and why.

    Done under the file's claim, after reading it again there: a file claimed by another, gone, replaced or
    now a task is left as it is (``None``). A file already in ``bad/`` under the name is kept; the newcomer
    gets a suffix. Raises :class:`TaskError` (or ``OSError``) when the file cannot be read or moved.
    """
    path = _path(task_id)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        if not _still_named(fd, path):
            return None
        try:
            _load(fd, task_id)
        except BadTaskFile as exc:
            reason = str(exc)
        else:
            return None
        folder = tasks_dir() / BAD
        folder.mkdir(exist_ok=True)
        target = folder / task_id
        if target.exists():
            target = folder / f"{task_id}.{time.time_ns()}"
        os.rename(path, target)  # under the claim: nobody rewrites it meanwhile
        return target, reason
    finally:
        os.close(fd)


def listing(failed: bool = False) -> list[tuple[str, float, int]]:
    """One listing of the pending (or failed) folder: ``(task_id, mtime, inode)`` of its task files.

    Oldest first. A rewritten task file is a new inode, so the pair tells a file read before from a new one.
    """
    folder = failed_dir() if failed else tasks_dir()
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if valid_task_id(name) and entry.is_file():
                try:
                    found.append((entry.stat().st_mtime, name, entry.inode()))
                except FileNotFoundError:
                    continue
    return [(name, mtime, inode) for mtime, name, inode in sorted(found)]


def task_ids(failed: bool = False) -> list[str]:
    """The ids of the task files in the pending (or failed) folder, oldest first."""
    return [task_id for task_id, _mtime, _inode in listing(failed)]


def remove_leftovers(stale_after: float, temporaries_after: float = 60.0) -> int:
    """Remove what dead processes and earlier versions left; return how many files went.

    That is the claim files of earlier versions (``<id>.lock``, older than ``stale_after`` seconds: a worker
    of such a version still finishing its delivery while the node restarts has let go by then), temporaries
    of writes that never reached their rename (older than ``temporaries_after`` seconds, so no write in
    progress loses its file), and marks left beside the task files by versions that kept them there. One
    listing of each folder serves all three.
    """
    removed = 0
    now = time.time()
    for folder, claims in ((tasks_dir(), True), (failed_dir(), False)):  # claims live beside pending tasks
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if claims and name.endswith(LOCK_SUFFIX) and valid_task_id(name[: -len(LOCK_SUFFIX)]):
                    older_than = now - stale_after
                elif claims and _OLD_MARK.fullmatch(name):
                    older_than = math.inf  # whatever its age
                elif name.startswith(".") and name.endswith(".tmp"):
                    older_than = now - temporaries_after
                else:
                    continue
                try:
                    if entry.stat().st_mtime < older_than:
                        os.unlink(entry.path)
                        removed += 1
                except OSError:  # gone meanwhile, or not ours to remove: the others are tidied still
                    continue
    return removed


@contextmanager
def claim(task_id: str) -> Iterator[tuple[dict[str, Any], bool]]:
    """Hold the task's claim for the block; yield ``(task, failed)``, read under it.

    The claim is an exclusive ``flock`` on the task's file, kept open for the block: no other thread or
    process of the node claims the task meanwhile, and one that dies (a crash, a ``SIGKILL``) lets go at
    once. A file deleted or replaced (a retry rewrites it) while this one waited for it is let go, and the
    task's current file claimed instead. Raises :class:`TaskBusy` when another holds the claim,
    :class:`TaskMissing` when the task has no file (any more) and :class:`TaskError` when it is unreadable.
    """
    for _ in range(3):
        fd, failed = _open_task(task_id)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise TaskBusy(task_id) from None
            if _still_named(fd, _path(task_id, failed)):
                yield _load(fd, task_id), failed
                return
        finally:
            os.close(fd)  # lets the claim go
    raise TaskBusy(task_id)  # replaced again and again meanwhile: someone else is at it


def _still_named(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open on ``fd`` (not deleted, not replaced by a rewrite)."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def claimed(task_id: str) -> bool:
    """Whether a thread of this node holds the pending task's claim right now (the sweeper asks)."""
    try:
        fd = os.open(_path(task_id), os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def purge(done: bool = True, failed: bool = True) -> int:
    """Delete done task files (development mode keeps them) and/or failed ones; return how many."""
    removed = 0
    if done:
        for task_id in task_ids():
            try:
                task, _ = read_task(task_id)
            except TaskError:
                continue
            if task.get("done"):
                delete_task(task_id)
                removed += 1
    if failed:
        for task_id in task_ids(failed=True):
            _path(task_id, True).unlink(missing_ok=True)
            removed += 1
    return removed
