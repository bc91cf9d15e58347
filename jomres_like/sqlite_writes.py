"""SQLite writers of this node take turns through a lock of ours instead of SQLite's busy handler.

SQLite lets one connection write at a time. Another writer gets SQLITE_BUSY, and Python's ``sqlite3``
retries on a schedule that sleeps longer and longer (up to 100 ms a try): with a few threads writing short
transactions, a writer can sleep for hundreds of milliseconds while the database is free most of that time.
So, before the first statement of a transaction that writes, a connection to a SQLite file takes this node's
writer lock: a thread lock of the process (a waiting thread is woken as soon as it is released), then an
``flock`` on a file beside the database, shared with the node's other processes (tried every half
millisecond). The lock is let go at commit or rollback, and when the connection goes back to the pool.

Nothing depends on it for correctness: SQLite's own locking stays in force, and a writer that cannot get the
lock within :data:`WAIT` seconds goes ahead and lets SQLite arbitrate, as before.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

#: seconds a writer waits for the lock before it goes ahead without it
WAIT = 30.0
POLL = 0.0005
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")


class WriterLock:
    """The writer lock of one SQLite file: a thread lock, then an ``flock`` on ``<file>-writer.lock``."""

    def __init__(self, database: str):
        self.path = f"{database}-writer.lock"
        self.threads = threading.Lock()
        self.fd: int | None = None
        self.pid: int | None = None
        self.guard = threading.Lock()
        self.owner: int | None = None
        self.depth = 0

    def _fd(self) -> int:
        if self.fd is None or self.pid != os.getpid():  # an inherited descriptor shares the parent's lock
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self.pid = os.getpid()
        return self.fd

    def acquire(self, wait: float = WAIT) -> bool:
        """Take the lock; ``False`` (nothing held) when it stayed busy for ``wait`` seconds.

        A thread already holding it (through another connection, e.g. a hook running between a commit and
        the connection's return to the pool) takes it again at once; SQLite arbitrates between the two.
        """
        me = threading.get_ident()
        with self.guard:
            if self.owner == me:
                self.depth += 1
                return True
        deadline = time.monotonic() + wait
        if not self.threads.acquire(timeout=wait):
            return False
        try:
            fd = self._fd()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    with self.guard:
                        self.owner, self.depth = me, 1
                    return True
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(POLL)
        except OSError:
            pass
        self.threads.release()
        return False

    def release(self) -> None:
        """Let the lock go (from any thread; a nested hold only counts down)."""
        with self.guard:
            if self.depth <= 0:  # not held: nothing to let go
                return
            self.depth -= 1
            if self.depth > 0:
                return
            self.owner, self.depth = None, 0
        try:
            if self.fd is not None and self.pid == os.getpid():
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()


_locks: dict[str, WriterLock] = {}
_locks_guard = threading.Lock()
#: id of a DBAPI connection -> the lock it holds (sqlite3 connections take no weak references)
_held: dict[int, WriterLock] = {}


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
