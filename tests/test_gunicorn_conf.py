"""gunicorn.conf.py, as ``make run`` and the end-to-end tests start gunicorn with it."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"

GUNICORN_VARIABLES = ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_KEEPALIVE",
                      "GUNICORN_ACCESSLOG", "PORT")


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
