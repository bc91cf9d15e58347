"""timeutil: the dates and times the rules, the stored rows and the tests agree on."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from jomres_like.timeutil import iso_utc, utc_today, utcnow


@pytest.fixture
def far_from_utc(monkeypatch):
    """A local time zone whose date differs from UTC's right now (UTC-12 before noon UTC, UTC+14 after)."""
    hour = datetime.now(UTC).hour
    monkeypatch.setenv("TZ", "Etc/GMT+12" if hour < 12 else "Etc/GMT-14")  # POSIX names: signs inverted
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()  # back to the zone the run started in


def test_utc_today_is_the_utc_date_whatever_the_local_zone(far_from_utc):
    utc_date = datetime.now(UTC).date()
    assert date.today() != utc_date  # the zone really is another day here
    assert utc_today() == utc_date
    assert utcnow().date() == utc_date


def test_utcnow_is_naive_utc_and_iso_utc_writes_milliseconds():
    now = utcnow()
    assert now.tzinfo is None
    assert abs(now - datetime.now(UTC).replace(tzinfo=None)) < timedelta(seconds=5)
    assert iso_utc(datetime(2026, 11, 30, 4, 5, 6, 789_999)) == "2026-11-30T04:05:06.789Z"
    assert iso_utc(None) is None
