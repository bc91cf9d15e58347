"""gunicorn.conf.py, as ``make run`` and the end-to-end tests start gunicorn with it."""

from __future__ import annotations

import gc
import os
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"

GUNICORN_VARIABLES = ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_KEEPALIVE",
                      "GUNICORN_ACCESSLOG", "GUNICORN_GC_THRESHOLD", "PORT")


@pytest.fixture
def conf(monkeypatch):
    """``conf(**env)``: the settings gunicorn.conf.py gives under exactly these variables."""

    def load(**env):
        for name in GUNICORN_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONF))

    return load


def test_defaults_are_a_gthread_worker_per_core_plus_one_of_eight_threads_without_keep_alive(conf):
    settings = conf()
    assert settings["worker_class"] == "jomres_like.serving.ThreadWorker"
    assert (settings["workers"], settings["threads"]) == (len(os.sched_getaffinity(0)) + 1, 8)
    assert settings["keepalive"] == 0
    assert settings["bind"] == "127.0.0.1:5000"
    assert "accesslog" not in settings


def test_environment_overrides(conf):
    settings = conf(PORT="8123", GUNICORN_WORKERS="3", GUNICORN_THREADS="4", GUNICORN_KEEPALIVE="5",
                    GUNICORN_ACCESSLOG="1")
    assert settings["bind"] == "127.0.0.1:8123"
    assert (settings["workers"], settings["threads"], settings["keepalive"]) == (3, 4, 5)
    assert settings["accesslog"] == "-"
    assert conf(GUNICORN_BIND="0.0.0.0:9000", PORT="8123")["bind"] == "0.0.0.0:9000"


def test_default_workers_are_capped(conf, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(64)))
    assert conf()["workers"] == 8
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    assert conf()["workers"] == 2


@pytest.fixture
def restore_gc():
    """The test process's collector as it was, whatever the test did to it."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_worker_freezes_the_loaded_app_and_collects_young_objects_less_often(conf, restore_gc):
    """post_worker_init sets the thresholds and moves what exists now out of the collector's passes."""
    settings = conf()
    assert settings["gc_threshold"] == (10_000, 20, 20)
    gc.unfreeze()
    loaded = [[] for _ in range(3)]  # lists are tracked by the collector
    settings["post_worker_init"](SimpleNamespace(wsgi=None))
    assert gc.get_threshold() == (10_000, 20, 20)
    assert gc.get_freeze_count() > 0
    in_passes = {id(obj) for generation in range(3) for obj in gc.get_objects(generation)}
    assert not any(id(item) in in_passes for item in loaded)


@pytest.mark.parametrize(("value", "threshold"), [("700,10,10", (700, 10, 10)), ("50000", (50000,)),
                                                  (" 2000, 5 ", (2000, 5)), ("1,0,0", (1, 0, 0))])
def test_the_thresholds_can_be_set(conf, restore_gc, value, threshold):
    """GUNICORN_GC_THRESHOLD: one to three whole numbers, as gc.set_threshold takes them."""
    settings = conf(GUNICORN_GC_THRESHOLD=value)
    assert settings["gc_threshold"] == threshold
    settings["post_worker_init"](SimpleNamespace(wsgi=None))
    assert gc.get_threshold()[: len(threshold)] == threshold


@pytest.mark.parametrize("value", ["many", "1,2,3,4", "-1", "10000,,20", "1.5", "0", "0,10,10", "10,-1"])
def test_bad_thresholds_stop_gunicorn_with_the_reason(conf, value):
    with pytest.raises(ValueError, match="GUNICORN_GC_THRESHOLD takes one to three whole numbers"):
        conf(GUNICORN_GC_THRESHOLD=value)
