"""Failed logins are limited per account and per client address, counted in the database (or a shared
``limits`` storage), with a clear message and ``Retry-After``; only failures count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jomres_like.extensions import db
from jomres_like.models import LoginFailure
from jomres_like.services import login_limits
from jomres_like.timeutil import utcnow


@pytest.fixture
def app_config(app_config):
    """Rate limiting on, as in production."""
    return {**app_config, "RATELIMIT_ENABLED": True}


@pytest.fixture
def alice(make_user):
    return make_user("alice", role="manager")


def attempt(client, username: str, password: str, address: str = "192.0.2.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def failures(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LoginFailure))


def test_the_eleventh_attempt_on_an_account_after_ten_failures_is_429_from_anywhere(app, client, alice):
    for number in range(10):
        assert attempt(client, "alice", "wrong", f"192.0.2.{number}").status_code == 400, number
    refused = attempt(client, "Alice", "alice-pass", "198.51.100.7")  # right password, other address
    assert refused.status_code == 429
    assert 55 <= int(refused.headers["Retry-After"]) <= 60
    assert "Too many failed logins" in refused.get_data(as_text=True)
    assert attempt(client, "bob", "wrong", "198.51.100.7").status_code == 400  # other accounts may try


def test_ten_failures_from_one_address_stop_it_for_every_account(app, client, alice):
    for number in range(10):
        assert attempt(client, f"nobody{number}", "wrong").status_code == 400, number
    refused = attempt(client, "alice", "alice-pass")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert attempt(client, "alice", "alice-pass", "192.0.2.99").status_code == 302  # other addresses may


def test_a_successful_login_clears_its_accounts_count(app, client, alice):
    for number in range(9):
        attempt(client, "alice", "wrong", f"192.0.2.{number}")
    assert attempt(client, "alice", "alice-pass", "192.0.2.50").status_code == 302
    client.post("/logout")
    for number in range(9):
        assert attempt(client, "alice", "wrong", f"198.51.100.{number}").status_code == 400, number
    assert attempt(client, "alice", "alice-pass", "198.51.100.50").status_code == 302


def test_failures_leave_the_window_and_are_pruned(app, client, alice, monkeypatch):
    for _ in range(10):
        attempt(client, "alice", "wrong")
    assert attempt(client, "alice", "alice-pass").status_code == 429
    later = utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(login_limits, "utcnow", lambda: later)
    assert attempt(client, "bob", "wrong").status_code == 400
    assert failures(app) == 2  # the ten old ones went; bob's account and address rows came
    assert attempt(client, "alice", "alice-pass").status_code == 302


def test_the_limit_and_window_are_knobs(app_config, make_user):
    from jomres_like import create_app

    app = create_app({**app_config, "JOMRES_LOGIN_FAILURES": 2, "JOMRES_LOGIN_WINDOW": 5})
    client = app.test_client()
    assert [attempt(client, "carol", "wrong").status_code for _ in range(3)] == [400, 400, 429]
    assert int(attempt(client, "carol", "wrong").headers["Retry-After"]) <= 5


def test_with_rate_limiting_off_nothing_is_counted(app_config, alice):
    from jomres_like import create_app

    app = create_app({**app_config, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    assert {attempt(client, "alice", "wrong").status_code for _ in range(12)} == {400}
    assert failures(app) == 0


def test_a_shared_limits_storage_is_used_when_configured(app_config, alice):
    """``RATELIMIT_STORAGE_URI`` naming a ``limits`` storage (``redis://...``) counts there, not in the
    database (a storage class of this test's own scheme stands in for Redis)."""
    from limits.storage import MemoryStorage

    from jomres_like import create_app

    class SharedStandIn(MemoryStorage):
        """Registered with ``limits`` under the scheme ``jomres-test-shared://``."""

        STORAGE_SCHEME = ["jomres-test-shared"]

    app = create_app({**app_config, "RATELIMIT_STORAGE_URI": "jomres-test-shared://"})
    client = app.test_client()
    for number in range(10):
        assert attempt(client, "alice", "wrong", f"192.0.2.{number}").status_code == 400, number
    refused = attempt(client, "alice", "alice-pass", "198.51.100.1")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert failures(app) == 0
    with app.app_context():
        assert isinstance(app.extensions[login_limits.EXTENSION].strategy.storage, SharedStandIn)
