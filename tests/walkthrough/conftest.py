"""Fixtures of the Walkthrough test: the site (tests/live.py, demo data) and bounded waiting."""

from __future__ import annotations

import time

import pytest


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy or ``timeout`` seconds pass; return its value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


@pytest.fixture
def live_database(app, database_url, tmp_path) -> str:
    """The site's database: a fresh SQLite file, or ``DATABASE_URL`` (``app`` empties it afterwards)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'walkthrough.db'}"
    return database_url


@pytest.fixture
def site(live_database, tmp_path):
    """The site as ``make run`` serves it (demo data, the demo's development mode), not started yet."""
    from live import LiveServer

    server = LiveServer(tmp_path / "site", live_database, env={"JOMRES_DEMO": "1"})
    server.env.pop("JOMRES_DEVELOPMENT", None)  # as on a fresh clone: the demo data decides
    yield server
    server.stop()
