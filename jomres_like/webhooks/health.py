"""A webhook's health: last status, consecutive failures, and disabling (410 Gone, 5 days of failure)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update

from ..extensions import db
from ..logs import get_logger
from ..models import Webhook
from ..timeutil import utcnow

FAILING_LIMIT = timedelta(days=5)
#: a healthy webhook's last delivery time is rewritten at most this often (see :func:`success_row`)
REFRESH = timedelta(seconds=1)
#: from this many failures in a row a receiver is treated as down: new events do not call it at once and
#: the sweeper sends only a few probes per pass (a circuit breaker)
FAILING_STREAK = 3
GONE_REASON = "The receiver answered 410 Gone: it no longer wants these notifications."
FAILING_REASON = "Every delivery failed for 5 days; fix the receiver, then enable the webhook again."

log = get_logger("Webhooks")

_table = Webhook.__table__


#: Built once: a delivery that succeeded marks its webhook healthy (see :func:`success_row`).
HEALTHY = (
    update(_table)
    .where(_table.c.id == bindparam("webhook"))
    .values(
        last_status=bindparam("new_status"),
        last_delivery_at=bindparam("new_delivery_at"),
        consecutive_failures=0,
        failing_since=None,
    )
)


def success_row(webhook: Webhook, status_code: int | None, now: datetime | None = None) -> dict | None:
    """The parameters of :data:`HEALTHY` after a successful delivery, or ``None`` when nothing changes.

    A healthy webhook whose row already says so (same status, last delivery under :data:`REFRESH` ago) is not
    written again: under a burst, every delivery of one webhook would otherwise update the same row.
    """
    now = now or utcnow()
    if (
        not webhook.consecutive_failures
        and webhook.failing_since is None
        and webhook.last_status == status_code
        and webhook.last_delivery_at is not None
        and timedelta(0) <= now - webhook.last_delivery_at < REFRESH
    ):
        return None
    return {"webhook": webhook.id, "new_status": status_code, "new_delivery_at": now}


def record_failure(
    webhook_id: int, status_code: int | None, *, gone: bool = False, now: datetime | None = None
) -> str:
    """A delivery attempt failed: count it; disable the webhook on 410 or after 5 days; return the reason."""
    now = now or utcnow()
    db.session.execute(
        update(_table)
        .where(_table.c.id == webhook_id)
        .values(
            last_status=status_code,
            last_delivery_at=now,
            consecutive_failures=_table.c.consecutive_failures + 1,
            failing_since=func.coalesce(_table.c.failing_since, now),
        )
    )
    reason = ""
    if gone:
        reason = GONE_REASON
    else:
        since = db.session.scalar(select(_table.c.failing_since).where(_table.c.id == webhook_id))
        if since is not None and now - since >= FAILING_LIMIT:
            reason = FAILING_REASON
    if reason:
        disable(webhook_id, reason)
    return reason


def disable(webhook_id: int, reason: str) -> None:
    """Disable a webhook and keep the reason for its manager."""
    db.session.execute(
        update(Webhook)
        .where(Webhook.id == webhook_id, Webhook.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason[:255])
        .execution_options(synchronize_session=False)
    )
    log.warning("Webhook %s disabled: %s", webhook_id, reason)
