"""The retry schedule (SPEC section 7, step 4): delays with jitter, ``Retry-After`` within bounds."""

from __future__ import annotations

import random

from flask import current_app

from ..config import DEFAULT_RETRY_SCHEDULE

#: each delay is lengthened or shortened at random by up to this fraction, so retries do not come in waves
JITTER = 0.2
MAX_RETRY_AFTER = 24 * 3600.0


def schedule() -> tuple[float, ...]:
    """The configured delays before each attempt (``JOMRES_RETRY_SCHEDULE``); the first is usually 0."""
    configured = current_app.config.get("JOMRES_RETRY_SCHEDULE") or DEFAULT_RETRY_SCHEDULE
    return tuple(max(0.0, float(delay)) for delay in configured) or (0.0,)


def max_attempts() -> int:
    """How many attempts a delivery gets before it is exhausted."""
    return len(schedule())


def next_delay(attempts_made: int, retry_after: float | None = None) -> float | None:
    """Seconds to wait before the next attempt after ``attempts_made`` attempts, or ``None`` when exhausted.

    The scheduled delay gets +/-20 % jitter; a receiver's ``Retry-After`` can lengthen it, up to a day.
    """
    delays = schedule()
    if attempts_made >= len(delays):
        return None
    delay = delays[attempts_made] * random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER))
    return delay
