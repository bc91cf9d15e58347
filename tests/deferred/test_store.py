"""The task store's files: ids, writing several at once, reading only regular files, tidying temporaries."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter

import pytest

from jomres_like.deferred import store


def _task(task_id: str) -> dict:
    return {"task_id": task_id, "delivery_id": None, "webhook_id": 1, "processor": "p", "message_id": "m"}


def test_task_ids_are_50_letters_drawn_evenly(app):
    with app.app_context():
        ids = [store.new_task_id() for _ in range(400)]
    assert all(store.valid_task_id(task_id) for task_id in ids)
    assert len(set(ids)) == len(ids)
    counts = Counter("".join(ids))  # 20,000 letters, about 385 of each of the 52
    assert set(counts) == set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert min(counts.values()) > 250 and max(counts.values()) < 520


@pytest.mark.parametrize("mode", ["file", "filesystem"])
def test_several_tasks_are_written_whole_and_nothing_is_left_when_one_fails(app, tasks_dir, monkeypatch,
                                                                           mode):
    app.config["JOMRES_TASK_SYNC"] = mode
    with app.app_context():
        first, second = _task(store.new_task_id()), _task(store.new_task_id())
        store.write_tasks([first, second])
        assert store.read_task(first["task_id"])[0] == first
        assert store.read_task(second["task_id"])[0] == second

        third, fourth = _task(store.new_task_id()), _task(store.new_task_id())
        synced = []

        def failing_fsync(fd):
            synced.append(fd)
            if len(synced) == 2:
                raise OSError(28, "No space left on device")

        monkeypatch.setattr(store.os, "fsync", failing_fsync)
        monkeypatch.setattr(store, "_syncfs", lambda fd: -1)  # failed: each file's fsync tells which
        with pytest.raises(OSError):
            store.write_tasks([third, fourth])
    names = sorted(path.name for path in tasks_dir.iterdir() if path.is_file())
    assert names == sorted([first["task_id"], second["task_id"]])  # no temporaries, neither new task


class _Syncs:
    """Records the store's fsync and syncfs calls (each succeeding) as ``("fsync"|"syncfs", fd)``."""

    def __init__(self, monkeypatch, syncfs_available: bool = True):
        self.calls: list[tuple[str, int]] = []
        real_fsync = os.fsync

        def fsync(fd):
            self.calls.append(("fsync", fd))
            real_fsync(fd)

        monkeypatch.setattr(store.os, "fsync", fsync)
        monkeypatch.setattr(store, "_syncfs", (lambda fd: self.calls.append(("syncfs", fd)) or 0)
                            if syncfs_available else None)

    def kinds(self) -> list[str]:
        return [kind for kind, _fd in self.calls]


@pytest.mark.mechanism
def test_an_events_task_files_are_made_durable_by_one_syncfs(app, tasks_dir, monkeypatch):
    """Mechanism (syncfs: one flush of the disk for an event's task files)."""
    syncs = _Syncs(monkeypatch)
    with app.app_context():
        tasks = [_task(store.new_task_id()) for _ in range(3)]
        store.write_tasks(tasks)
        assert syncs.kinds() == ["syncfs"]
        store.write_task(_task(store.new_task_id()))  # one file: its own fsync, nothing else flushed
        assert syncs.kinds() == ["syncfs", "fsync"]
        assert all(store.read_task(task["task_id"])[0] == task for task in tasks)


@pytest.mark.mechanism
@pytest.mark.parametrize("mode, available", [("file", True), ("filesystem", False)])
def test_each_task_file_is_fsynced_when_asked_or_without_syncfs(app, tasks_dir, monkeypatch, mode, available):
    """Mechanism (syncfs: the per-file fallback (JOMRES_TASK_SYNC=file, or no syncfs))."""
    app.config["JOMRES_TASK_SYNC"] = mode
    syncs = _Syncs(monkeypatch, syncfs_available=available)
    with app.app_context():
        store.write_tasks([_task(store.new_task_id()) for _ in range(3)])
    assert syncs.kinds() == ["fsync"] * 3
    assert len({fd for _kind, fd in syncs.calls}) == 3


@pytest.mark.mechanism
def test_a_failed_syncfs_falls_back_to_an_fsync_of_each_file(app, tasks_dir, monkeypatch):
    """Mechanism (syncfs: a failed syncfs still makes each file durable)."""
    syncs = _Syncs(monkeypatch)
    monkeypatch.setattr(store, "_syncfs", lambda fd: syncs.calls.append(("syncfs", fd)) or -1)
    with app.app_context():
        tasks = [_task(store.new_task_id()) for _ in range(2)]
        store.write_tasks(tasks)
        assert syncs.kinds() == ["syncfs", "fsync", "fsync"]
        assert [store.read_task(task["task_id"])[0] for task in tasks] == tasks


@pytest.mark.mechanism
def test_the_systems_own_syncfs_is_used_here(app, tasks_dir):
    """Mechanism (syncfs: the C library's syncfs is found on this system).

    On Linux the C library has syncfs; a real batch goes through it and the files are whole."""
    if not sys.platform.startswith("linux"):
        pytest.skip("syncfs(2) is Linux's")
    assert store._syncfs is not None
    with app.app_context():
        tasks = [_task(store.new_task_id()) for _ in range(2)]
        store.write_tasks(tasks)
        assert [store.read_task(task["task_id"])[0] for task in tasks] == tasks


def test_only_regular_files_are_read_as_tasks(app, tasks_dir):
    with app.app_context():
        folder_id, fifo_id = store.new_task_id(), store.new_task_id()
        (tasks_dir / folder_id).mkdir()
        os.mkfifo(tasks_dir / fifo_id)  # opening it for reading would block without O_NONBLOCK
        for task_id in (folder_id, fifo_id):
            with pytest.raises(store.TaskMissing):
                store.read_task(task_id)


def test_temporaries_left_by_a_crash_are_removed_once_old(app, tasks_dir):
    old = tasks_dir / ".AbC.123.deadbeef.tmp"
    fresh = tasks_dir / "failed" / ".XyZ.123.cafebabe.tmp"
    for path in (old, fresh):
        path.write_text("{half")
    os.utime(old, (time.time() - 120, time.time() - 120))
    keep = tasks_dir / "notes.tmp"  # not one of ours: no leading dot
    keep.write_text("x")
    os.utime(keep, (time.time() - 120, time.time() - 120))
    with app.app_context():
        assert store.remove_leftovers(stale_after=60, temporaries_after=60) == 1
    assert not old.exists() and fresh.exists() and keep.exists()


def test_claim_files_of_earlier_versions_are_removed_once_old(app, tasks_dir):
    with app.app_context():
        old, fresh = store.new_task_id(), store.new_task_id()
        store.write_task(_task(old))
    for task_id, age in ((old, 120), (fresh, 5)):
        lock = tasks_dir / f"{task_id}.lock"
        lock.write_text("999999999")
        os.utime(lock, (time.time() - age, time.time() - age))
    sweep_lock = tasks_dir / ".sweep.lock"  # the node's sweep lock is no claim
    sweep_lock.write_text("")
    os.utime(sweep_lock, (time.time() - 120, time.time() - 120))
    with app.app_context():
        assert store.remove_leftovers(stale_after=60) == 1
    assert sorted(path.name for path in tasks_dir.glob("*.lock")) == [".sweep.lock", f"{fresh}.lock"]
    assert (tasks_dir / old).is_file()


def _in_thread(function):
    """Run ``function`` in another thread (another open file, as another worker thread has); its result."""
    result = {}

    def run():
        try:
            result["value"] = function()
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_a_claim_yields_the_task_and_keeps_every_other_claimant_out(app, tasks_dir):
    with app.app_context():
        task_id = store.new_task_id()
        store.write_task(_task(task_id))

        def claim_it():
            with app.app_context(), store.claim(task_id) as (task, failed):
                return task, failed

        def is_claimed():
            with app.app_context():
                return store.claimed(task_id)

        assert not store.claimed(task_id)
        with store.claim(task_id) as (task, failed):
            assert (task, failed) == (_task(task_id), False)
            assert _in_thread(is_claimed) is True
            with pytest.raises(store.TaskBusy):
                _in_thread(claim_it)
        assert _in_thread(is_claimed) is False
        assert _in_thread(claim_it) == (_task(task_id), False)


def test_a_claim_follows_the_task_file_a_rewrite_put_in_its_place(app, tasks_dir, monkeypatch):
    with app.app_context():
        task_id = store.new_task_id()
        store.write_task(_task(task_id))
        real_flock = store.fcntl.flock
        rewrites = []

        def flock_after_a_rewrite(fd, operation):
            if not rewrites:  # between this claimant's open and its lock, the holder rewrote the task
                rewrites.append(1)
                store.write_task({**_task(task_id), "attempts": 1})
            return real_flock(fd, operation)

        monkeypatch.setattr(store.fcntl, "flock", flock_after_a_rewrite)
        with store.claim(task_id) as (task, _failed):
            assert task["attempts"] == 1  # the file now under the name, not the one first opened


def test_a_task_processed_while_its_claimant_waited_is_missing(app, tasks_dir, monkeypatch):
    with app.app_context():
        task_id = store.new_task_id()
        store.write_task(_task(task_id))
        real_flock = store.fcntl.flock

        def flock_after_a_delete(fd, operation):
            store.delete_task(task_id)  # the holder succeeded and removed it
            return real_flock(fd, operation)

        monkeypatch.setattr(store.fcntl, "flock", flock_after_a_delete)
        with pytest.raises(store.TaskMissing), store.claim(task_id):
            pytest.fail("a deleted task must not be claimed")


def test_a_failed_task_is_claimed_in_its_folder(app, tasks_dir):
    with app.app_context():
        task_id = store.new_task_id()
        store.move_to_failed(_task(task_id))
        with store.claim(task_id) as (task, failed):
            assert (task, failed) == (_task(task_id), True)


def test_marks_live_apart_from_the_task_files_and_old_ones_are_tidied(app, tasks_dir):
    from jomres_like.deferred import marks

    with app.app_context():
        marks.mark_slow(7)
        assert (tasks_dir / "marks" / ".slow-7").is_file() and marks.marked("slow") == {7}
        task_id = store.new_task_id()
        store.write_task(_task(task_id))
        assert store.task_ids() == [task_id]  # a mark is not a task, nor listed with them
    for name in (".slow-3", ".down-3", ".draining-3"):  # where earlier versions kept marks
        (tasks_dir / name).write_text("")
    (tasks_dir / ".slow-x").write_text("")  # not a mark: left alone
    with app.app_context():
        assert store.remove_leftovers(stale_after=60) == 3
        assert marks.marked("slow") == {7} and marks.marked("down") == set()
    assert sorted(path.name for path in tasks_dir.iterdir() if path.is_file()) == [".slow-x", task_id]
