"""Failed logins, counted per account and per client address in a store every worker and node shares.

``JOMRES_LOGIN_FAILURES`` failures of one account, or from one address, within ``JOMRES_LOGIN_WINDOW``
seconds (a moving window) stop further attempts of that account or from that address until the oldest of
them leaves the window. The store is the database (``login_failures``, pruned as failures come), unless
``RATELIMIT_STORAGE_URI`` names a shared storage of the ``limits`` package (``redis://...``), which is then
used instead. Only failures count; a successful login clears its account's count. ``RATELIMIT_ENABLED``
false turns the limit off.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import LoginFailure
from ..timeutil import utcnow

ACCOUNT, ADDRESS = "account", "address"
EXTENSION = "jomres_login_limits"


def _subjects(account: str, address: str | None) -> list[tuple[str, str]]:
    return [(ACCOUNT, (account or "").strip().lower()[:80]), (ADDRESS, (address or "unknown")[:64])]


def _limits() -> tuple[int, int]:
    config = current_app.config
    return int(config["JOMRES_LOGIN_FAILURES"]), int(config["JOMRES_LOGIN_WINDOW"])


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def retry_after(account: str, address: str | None) -> int | None:
    """Seconds before ``account`` may try to log in from ``address`` again, or ``None`` if it may now."""
    if not _enabled():
        return None
    waits = [_store().wait(scope, subject) for scope, subject in _subjects(account, address)]
    waits = [wait for wait in waits if wait is not None]
    return max(waits) if waits else None


def record_failure(account: str, address: str | None) -> None:
    """Count one failed login of ``account`` from ``address`` (the caller commits)."""
    if _enabled():
        _store().hit(_subjects(account, address))


def clear_account(account: str) -> None:
    """Forget the failed logins of ``account`` (after it logged in; the caller commits)."""
    if _enabled():
        _store().clear(ACCOUNT, _subjects(account, None)[0][1])


def _store() -> DatabaseStore | LimitsStore:
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://"
    if uri.startswith("memory://"):  # one process's memory is no shared count: the database is
        return DatabaseStore(*_limits())
    cached = current_app.extensions.get(EXTENSION)
    if cached is None or cached.key != (uri, *_limits()):
        cached = current_app.extensions[EXTENSION] = LimitsStore(uri, *_limits())
    return cached


class DatabaseStore:
    """Failed logins as ``login_failures`` rows in the site's database."""

    def __init__(self, limit: int, window: int):
        self.limit, self.window = limit, window

    def wait(self, scope: str, subject: str) -> int | None:
        """Seconds until ``subject`` has fewer than ``limit`` failures in the window; ``None``: it has."""
        now = utcnow()
        query = (
            select(LoginFailure.at)
            .where(LoginFailure.scope == scope, LoginFailure.subject == subject,
                   LoginFailure.at > now - timedelta(seconds=self.window))
            .order_by(LoginFailure.at.desc())
            .offset(self.limit - 1)
            .limit(1)
        )
        oldest_counted: datetime | None = db.session.scalar(query)
        if oldest_counted is None:
            return None
        left = (oldest_counted + timedelta(seconds=self.window) - now).total_seconds()
        return max(1, math.ceil(left))

    def hit(self, subjects: list[tuple[str, str]]) -> None:
        """Record one failure for each ``(scope, subject)``, dropping those that left the window."""
        now = utcnow()
        db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - timedelta(seconds=self.window)))
        db.session.add_all(LoginFailure(scope=scope, subject=subject, at=now) for scope, subject in subjects)
        db.session.flush()

    def clear(self, scope: str, subject: str) -> None:
        """Forget ``subject``'s failures."""
        db.session.execute(
            delete(LoginFailure).where(LoginFailure.scope == scope, LoginFailure.subject == subject)
        )


class LimitsStore:
    """Failed logins counted by the ``limits`` package in ``RATELIMIT_STORAGE_URI``'s storage."""

    def __init__(self, uri: str, limit: int, window: int):
        from limits import RateLimitItemPerSecond, storage, strategies

        self.key = (uri, limit, window)
        self.item = RateLimitItemPerSecond(limit, window)
        backend = storage.storage_from_string(uri)
        moving = isinstance(backend, storage.MovingWindowSupport)
        self.strategy: Any = (strategies.MovingWindowRateLimiter if moving
                              else strategies.FixedWindowRateLimiter)(backend)

    def wait(self, scope: str, subject: str) -> int | None:
        """Seconds until ``subject`` may fail again, or ``None`` if it may now."""
        if self.strategy.test(self.item, "login", scope, subject):
            return None
        reset_at = self.strategy.get_window_stats(self.item, "login", scope, subject).reset_time
        return max(1, math.ceil(reset_at - time.time()))

    def hit(self, subjects: list[tuple[str, str]]) -> None:
        """Count one failure for each ``(scope, subject)``."""
        for scope, subject in subjects:
            self.strategy.hit(self.item, "login", scope, subject)

    def clear(self, scope: str, subject: str) -> None:
        """Forget ``subject``'s failures."""
        self.strategy.clear(self.item, "login", scope, subject)
