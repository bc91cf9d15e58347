"""SQLite writers of a node take turns through our lock instead of SQLite's sleeping busy handler."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text

from jomres_like import sqlite_writes


@pytest.fixture
def engine(tmp_path):
    """A SQLite file in WAL mode with one table, as the app configures it."""
    engine = create_engine(f"sqlite:///{tmp_path / 'writes.db'}", connect_args={"timeout": 30})
    sqlite_writes.setup_engine(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    yield engine
    engine.dispose()


def test_a_writer_holds_the_lock_until_sqlite_has_committed(engine):
    lock = sqlite_writes.lock_of(engine)
    with engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM t"))
        assert lock.owner is None  # reading takes nothing
        connection.execute(text("INSERT INTO t VALUES (1)"))
        assert lock.owner == threading.get_ident()
        connection.commit()
        assert lock.owner is None
    with engine.connect() as connection:
        connection.execute(text("INSERT INTO t VALUES (2)"))
        connection.rollback()
        assert lock.owner is None


def test_concurrent_writers_wait_their_turn_instead_of_sleeping_in_sqlite(engine):
    """Three threads keep short write transactions going; a fourth writer never waits long."""
    stop = threading.Event()

    def hog():
        for _ in range(2000):
            if stop.is_set():
                return
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (1)"))
                time.sleep(0.003)
            time.sleep(0.001)

    hogs = [threading.Thread(target=hog, daemon=True) for _ in range(3)]
    for thread in hogs:
        thread.start()
    waits = []
    try:
        for _ in range(40):
            started = time.perf_counter()
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (2)"))
            waits.append(time.perf_counter() - started)
            time.sleep(0.002)
    finally:
        stop.set()
        for thread in hogs:
            thread.join(timeout=10)
    # SQLite's own handler makes such a writer sleep for hundreds of milliseconds, even seconds
    assert max(waits) < 0.5
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t WHERE x = 2")).scalar() == 40


def test_a_thread_already_holding_the_lock_takes_it_again_at_once(engine):
    """A second connection of the same thread is not made to wait for the first (SQLite arbitrates)."""
    lock = sqlite_writes.lock_of(engine)
    with engine.connect() as first:
        first.execute(text("INSERT INTO t VALUES (1)"))  # uncommitted: the lock is held
        started = time.perf_counter()
        assert lock.acquire(wait=5)
        assert time.perf_counter() - started < 0.5 and lock.depth == 2
        lock.release()
        first.commit()
    assert lock.owner is None and lock.depth == 0


def test_a_forked_child_waits_for_the_parent_and_then_writes(engine, tmp_path):
    """The child gets locks of its own (no descriptor shared with the parent), so the parent's hold counts."""
    import os

    lock = sqlite_writes.lock_of(engine)
    assert lock.acquire()  # the parent holds the file lock, through this thread's descriptor
    result = tmp_path / "child.txt"
    pid = os.fork()
    if pid == 0:  # the child: fresh locks; it must not get in while the parent holds it
        try:
            child_lock = sqlite_writes.lock_of(engine)
            held_by_parent = not child_lock.acquire(wait=0.2)
            result.write_text(f"{child_lock is not lock} {held_by_parent}")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    lock.release()
    assert result.read_text() == "True True"


def test_an_engine_the_app_did_not_set_up_is_left_alone(tmp_path):
    """Importing the package changes no engine: only ``setup_engine`` (the app's init_app) adds the lock."""
    import jomres_like.extensions  # noqa: F401 - what importing the app's modules used to do to every engine

    other = create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        with other.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert sqlite_writes.lock_of(other) is None
        assert not getattr(other.dialect.do_commit, "jomres_releasing", False)
        with other.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() != "wal"
    finally:
        other.dispose()
