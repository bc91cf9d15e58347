"""SQLite writers of this node take turns through a lock of ours instead of SQLite's busy handler.

SQLite lets one connection write at a time. Another writer gets SQLITE_BUSY, and Python's ``sqlite3``
retries on a schedule that sleeps longer and longer (up to 100 ms a try): with a few threads writing short
transactions, a writer can sleep for hundreds of milliseconds while the database is free most of that time.
So, before the first statement of a transaction that writes, a connection to a SQLite file takes this node's
writer lock, an ``flock`` on a file beside the database, tried every 0.2 to 0.5 ms. It is let go once SQLite
has committed or rolled back, and whenever the connection goes back to the pool or is closed.

SQLite's own locking stays in force underneath: the lock only decides who asks SQLite first, and a writer
that waited :data:`WAIT` seconds goes ahead and lets SQLite arbitrate, as it would without the lock.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")
#: seconds a writer waits for the lock before it goes ahead and lets SQLite arbitrate
WAIT = 30.0
#: the head waiter's first pause between tries, doubled up to MAX_POLL: every transaction on the path from a
#: booking change to its webhook's arrival waits here, so a pause is time lost after the lock went free
#: (with 0.5 to 2 ms, the benchmark's lag p95 at 50 events/s was higher in 5 of 6 alternating runs, up to
#: 4 times; the faster polling cost no measurable throughput)
POLL = 0.0002
MAX_POLL = 0.0005


class WriterLock:
    """The writer lock of one SQLite file: an ``flock`` on ``<file>-writer.lock``, one descriptor per thread.

    The threads of a process first queue on a lock of the process (they sleep, nothing polls); the one at
    the head tries the ``flock`` every 0.2 to 0.5 ms through a descriptor of its own. So a process has one
    thread trying at a time, and no process can keep the file lock among its own threads while another
    process waits: a thread that lets it go hands it to the next thread of its process only through the
    ``flock``, which the other process's head thread is trying too.
    """

    def __init__(self, database: str):
        self.path = f"{database}-writer.lock"
        self.local = threading.local()
        self.guard = threading.Lock()
        self.queue = threading.Lock()  # this process's threads waiting for the file lock
        self.owner: int | None = None
        self.depth = 0
        self.fd: int | None = None  # the holder's descriptor

    def _fd(self) -> int:
        fd = getattr(self.local, "fd", None)
        if fd is None:  # a forked child gets new locks (_after_fork): no descriptor is shared with the parent
            fd = self.local.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        return fd

    def acquire(self, wait: float = WAIT) -> bool:
        """Take the lock; ``False`` (nothing held) if it stayed taken for ``wait`` seconds or is unusable.

        Tried every 0.2 to 0.5 ms. A thread already holding it (through another
        connection) takes it again at once; SQLite arbitrates between its two connections, as it always did.
        """
        me = threading.get_ident()
        with self.guard:
            if self.owner == me:
                self.depth += 1
                return True
        deadline = time.monotonic() + wait
        if not self.queue.acquire(timeout=wait):
            return False  # SQLite arbitrates, as without the lock
        try:
            fd = self._fd()
            pause = POLL
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        return False
                    time.sleep(pause)
                    pause = min(pause * 2, MAX_POLL)
        except OSError:
            return False
        finally:
            self.queue.release()
        with self.guard:
            self.owner, self.depth, self.fd = me, 1, fd
        return True

    def release(self) -> None:
        """Let the lock go (from any thread; a nested hold only counts down)."""
        with self.guard:
            if self.depth <= 0:  # not held: nothing to let go
                return
            self.depth -= 1
            if self.depth > 0:
                return
            fd, self.owner, self.depth, self.fd = self.fd, None, 0, None
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError:
            pass  # a descriptor closed under us has let the lock go already


_locks: dict[str, WriterLock] = {}
_locks_guard = threading.Lock()


def _after_fork() -> None:
    """A forked child starts with fresh locks: a parent's thread may have held one at the fork."""
    global _locks_guard
    _locks_guard = threading.Lock()
    for path in list(_locks):
        _locks[path] = WriterLock(path)
    _held.clear()


#: id of a DBAPI connection -> the lock it holds (sqlite3 connections take no weak references)
_held: dict[int, WriterLock] = {}
os.register_at_fork(after_in_child=_after_fork)


def _lock_for(engine: Engine) -> WriterLock | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = os.path.abspath(database)
    lock = _locks.get(path)
    if lock is None:
        with _locks_guard:
            lock = _locks.setdefault(path, WriterLock(path))
    return lock


def _release(connection) -> None:
    """Let go of what ``connection`` (a DBAPI connection, or the pool's proxy of one) holds."""
    lock = _held.pop(id(getattr(connection, "dbapi_connection", connection)), None)
    if lock is not None:
        lock.release()


def _releasing(method):
    """Wrap a dialect's ``do_commit``/``do_rollback``: the lock goes once SQLite has finished."""

    def wrapper(dbapi_connection, *args, **kwargs):
        try:
            return method(dbapi_connection, *args, **kwargs)
        finally:
            _release(dbapi_connection)

    wrapper.jomres_releasing = True
    return wrapper


def _patch(dialect) -> None:
    if not getattr(dialect.do_commit, "jomres_releasing", False):
        dialect.do_commit = _releasing(dialect.do_commit)
        dialect.do_rollback = _releasing(dialect.do_rollback)


@event.listens_for(Engine, "before_cursor_execute")
def _before_write(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    if statement.lstrip()[:6].upper() not in _WRITES:
        return
    dbapi_connection = conn.connection.dbapi_connection
    if id(dbapi_connection) in _held:
        return
    lock = _lock_for(conn.engine)
    if lock is None:
        return
    _patch(conn.dialect)
    if lock.acquire():
        _held[id(dbapi_connection)] = lock


@event.listens_for(Pool, "checkin")
def _on_checkin(dbapi_connection, _record) -> None:
    if dbapi_connection is not None:
        _release(dbapi_connection)


@event.listens_for(Pool, "close")
def _on_close(dbapi_connection, _record) -> None:
    _release(dbapi_connection)


@event.listens_for(Pool, "invalidate")
def _on_invalidate(dbapi_connection, _record, _exception) -> None:
    if dbapi_connection is not None:
        _release(dbapi_connection)
