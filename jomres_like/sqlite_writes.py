"""SQLite writers of this node take turns through a lock of ours instead of SQLite's busy handler.

SQLite lets one connection write at a time. Another writer gets SQLITE_BUSY, and Python's ``sqlite3``
retries on a schedule that sleeps longer and longer (up to 100 ms a try): with a few threads writing short
transactions, a writer can sleep for hundreds of milliseconds while the database is free most of that time.
So, before the first statement of a transaction that writes, a connection to a SQLite file takes this node's
writer lock, an ``flock`` on a file beside the database, tried every 0.2 to 0.5 ms. It is let go once SQLite
has committed or rolled back, and whenever the connection goes back to the pool or is closed.

SQLite's own locking stays in force underneath: the lock only decides who asks SQLite first, and a writer
that waited :data:`WAIT` seconds goes ahead and lets SQLite arbitrate, as it would without the lock.

:func:`init_app` sets it up on the app's own engine (nothing happens at import): its listeners, its
dialect's commit and rollback, and the WAL pragmas of its connections.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from functools import cache

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLAC")
#: seconds a writer waits for the lock before it goes ahead and lets SQLite arbitrate
WAIT = 30.0
#: the head waiter's first pause between tries, doubled up to MAX_POLL: every transaction on the path from a
#: booking change to its webhook's arrival waits here, so a pause is time lost after the lock went free
#: (BENCHMARKS.md compares slower polling)
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
        self.fds: dict[int, int] = {}  # thread id -> that thread's descriptor of the lock file
        self.guard = threading.Lock()
        self.queue = threading.Lock()  # this process's threads waiting for the file lock
        self.owner: int | None = None
        self.depth = 0
        self.fd: int | None = None  # the holder's descriptor
        self.held: dict[int, WriterLock] = {}  # id of a DBAPI connection -> this lock, which it holds

    def _fd(self) -> int:
        me = threading.get_ident()
        fd = self.fds.get(me)
        if fd is None:  # a forked child gets new locks (_after_fork): no descriptor is shared with the parent
            fd = self.fds[me] = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
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


#: database file -> its writer lock (one per file in a process, whichever engines write to it)
_locks: dict[str, WriterLock] = {}


def _after_fork() -> None:
    """A forked child starts with fresh locks: a parent's thread may have held one at the fork."""
    for path in list(_locks):
        _locks[path] = WriterLock(path)


@cache
def _register_fork_hook() -> None:
    """Register :func:`_after_fork` once per process (the first app set up asks)."""
    os.register_at_fork(after_in_child=_after_fork)


def _database_file(engine: Engine) -> str | None:
    """The engine's SQLite database file, or ``None`` (not SQLite, or not a file)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database)


def lock_of(engine: Engine) -> WriterLock | None:
    """This process's writer lock of the database file :func:`setup_engine` set ``engine`` up for."""
    path = getattr(engine, "jomres_database_file", None)
    return _locks.get(path) if path else None


def _releasing(path: str, method):
    """Wrap a dialect's ``do_commit``/``do_rollback``: the lock goes once SQLite has finished."""

    def wrapper(dbapi_connection, *args, **kwargs):
        try:
            return method(dbapi_connection, *args, **kwargs)
        finally:
            _release(_locks[path], dbapi_connection)

    wrapper.jomres_releasing = True
    return wrapper


def _release(lock: WriterLock, connection) -> None:
    """Let go of what ``connection`` (a DBAPI connection, or the pool's proxy of one) holds."""
    if lock.held.pop(id(getattr(connection, "dbapi_connection", connection)), None) is not None:
        lock.release()


def _pragmas(dbapi_connection, _record) -> None:
    """SQLite in WAL mode: readers never wait for the writer, and a commit costs no fsync (durable across
    process crashes; PostgreSQL or MariaDB are for production)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def setup_engine(engine: Engine) -> WriterLock | None:
    """Give a SQLite ``engine`` its WAL pragmas and, for a database file, its writer lock; return the lock."""
    if engine.dialect.name != "sqlite":
        return None
    if not event.contains(engine, "connect", _pragmas):
        event.listen(engine, "connect", _pragmas)
    path = _database_file(engine)
    if path is None or getattr(engine.dialect.do_commit, "jomres_releasing", False):
        return lock_of(engine)
    _register_fork_hook()
    _locks.setdefault(path, WriterLock(path))
    engine.jomres_database_file = path
    dialect = engine.dialect
    dialect.do_commit = _releasing(path, dialect.do_commit)
    dialect.do_rollback = _releasing(path, dialect.do_rollback)

    def before_write(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if statement.lstrip()[:6].upper() not in _WRITES:
            return
        lock = _locks[path]
        key = id(conn.connection.dbapi_connection)
        if key not in lock.held and lock.acquire():
            lock.held[key] = lock

    def on_checkin(dbapi_connection, _record) -> None:
        if dbapi_connection is not None:
            _release(_locks[path], dbapi_connection)

    def on_invalidate(dbapi_connection, _record, _exception) -> None:
        if dbapi_connection is not None:
            _release(_locks[path], dbapi_connection)

    event.listen(engine, "before_cursor_execute", before_write)
    event.listen(engine, "checkin", on_checkin)  # pool events, kept when the pool is recreated
    event.listen(engine, "close", on_checkin)
    event.listen(engine, "invalidate", on_invalidate)
    return _locks[path]


def init_app(app: Flask) -> None:
    """Set up the app's engine (in its app context): WAL pragmas, and the writer lock on a database file."""
    from .extensions import db

    with app.app_context():
        setup_engine(db.engine)
