"""Fixtures for the log viewer: sample ``<Channel>.application.log`` files and people of every role."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from jomres_like.models import ROLE_ADMIN, ROLE_MANAGER, ROLE_REGISTERED

TASK_ID = string.ascii_letters[:50]
SIG = "ab" * 32


def line(stamp: str, message: str, level: str = "INFO", user: str = "-", request_id: str = "req1",
         url: str = "-") -> str:
    """One log line in the format of SPEC section 14."""
    return f"[{stamp}] {level} {user} ~~ {message} ~~ {request_id} ~~ {url}"


def stamp(n: int) -> str:
    """A timestamp far in the future (newer than anything the app logs during the test), ``n`` seconds on."""
    return f"2030-01-01 10:{n // 60:02d}:{n % 60:02d}.000000"


@pytest.fixture
def log_dir(app) -> Path:
    """The app's log folder (the temporary one the ``app_config`` fixture chose)."""
    return Path(app.config["JOMRES_LOG_DIR"])


@pytest.fixture
def write_log(log_dir):
    """``write_log("Core", [lines], suffix="")`` writes (replaces) a channel's file, e.g. suffix ``.1``."""

    def write(channel: str, lines: list[str], suffix: str = "") -> Path:
        path = log_dir / f"{channel}.application.log{suffix}"
        path.write_text("".join(text + "\n" for text in lines), encoding="utf-8")
        return path

    return write


@pytest.fixture
def people(make_user):
    """An administrator, a manager and a registered user."""
    return {
        "root": make_user("root", ROLE_ADMIN),
        "mgr": make_user("mgr", ROLE_MANAGER),
        "reg": make_user("reg", ROLE_REGISTERED),
    }


@pytest.fixture
def admin(people, login):
    """The test client, logged in as the administrator."""
    return login("root")


@pytest.fixture
def development(app):
    """Switch the site to development mode (the site setting)."""
    from jomres_like.extensions import db
    from jomres_like.services.site import set_development_mode

    with app.app_context():
        set_development_mode(True)
        db.session.commit()
