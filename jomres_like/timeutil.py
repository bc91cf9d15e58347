"""Time helpers: the database keeps naive UTC datetimes (portable across SQLite, PostgreSQL, MariaDB)."""

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime, to microseconds."""
    return datetime.now(UTC).replace(tzinfo=None)


def utc_today() -> date:
    """Today in UTC: the "today" of every rule on dates (current bookings, the dashboard, demo data)."""
    return datetime.now(UTC).date()


def iso_utc(value: datetime | None) -> str | None:
    """Format a naive UTC datetime as ISO 8601 with milliseconds and a ``Z``."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
