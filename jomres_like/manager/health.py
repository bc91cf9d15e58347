"""Webhook health on the dashboard: deliveries of the last 24 hours, failing and disabled webhooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Webhook, WebhookDelivery
from ..timeutil import utcnow
from .blueprint import bp

HOURS = 24
CHART_WIDTH = 480
CHART_HEIGHT = 120


@dataclass
class HourBar:
    """One hour of the chart: how many deliveries succeeded, failed or are still pending."""

    label: str
    succeeded: int = 0
    failed: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.succeeded + self.failed + self.pending


@dataclass
class WebhookHealth:
    """What the dashboard shows about a user's webhooks."""

    bars: list[HourBar] = field(default_factory=list)
    webhooks: list[Webhook] = field(default_factory=list)
    troubled: list[Webhook] = field(default_factory=list)
    peak: int = 0
    totals: dict = field(default_factory=dict)

    def bar_geometry(self):
        """Yield ``(x, width, parts, bar)`` for the SVG, parts being ``(y, height, kind, count)``."""
        slot = CHART_WIDTH / max(len(self.bars), 1)
        scale = (CHART_HEIGHT - 16) / self.peak if self.peak else 0
        for index, bar in enumerate(self.bars):
            y = CHART_HEIGHT - 14
            parts = []
            for kind in ("succeeded", "failed", "pending"):
                count = getattr(bar, kind)
                height = count * scale
                if count:
                    y -= height
                    parts.append((round(y, 1), round(max(height, 1), 1), kind, count))
            yield round(index * slot + 1, 1), round(slot - 2, 1), parts, bar


def webhook_health(user) -> WebhookHealth | None:
    """Deliveries per hour over the last 24 hours for ``user``'s webhooks, and the ones in trouble."""
    if user.is_super_manager or not user.is_manager:
        return None
    webhooks = list(
        db.session.scalars(select(Webhook).where(Webhook.owner_id == user.id).order_by(Webhook.id))
    )
    health = WebhookHealth(webhooks=webhooks)
    health.troubled = [w for w in webhooks if not w.enabled or w.disabled_reason or w.consecutive_failures]
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(hours=HOURS - 1)
    health.bars = [HourBar(label=(start + timedelta(hours=h)).strftime("%H:00")) for h in range(HOURS)]
    if not webhooks:
        return health
    rows = db.session.execute(
        select(WebhookDelivery.created_at, WebhookDelivery.status)
        .where(WebhookDelivery.webhook_id.in_([w.id for w in webhooks]), WebhookDelivery.created_at >= start)
        .limit(200_000)
    )
    for created_at, status in rows:
        index = int((created_at - start).total_seconds() // 3600)
        if not 0 <= index < HOURS:
            continue
        bar = health.bars[index]
        if status == "succeeded":
            bar.succeeded += 1
        elif status == "failed":
            bar.failed += 1
        else:
            bar.pending += 1
    health.peak = max((bar.total for bar in health.bars), default=0)
    health.totals = {
        kind: sum(getattr(bar, kind) for bar in health.bars) for kind in ("succeeded", "failed", "pending")
    }
    return health


def recent_delivery_count(user) -> int:
    """How many deliveries ``user``'s webhooks had in the last 24 hours."""
    since = utcnow() - timedelta(hours=HOURS)
    return (
        db.session.scalar(
            select(func.count(WebhookDelivery.id))
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(Webhook.owner_id == user.id, WebhookDelivery.created_at >= since)
        )
        or 0
    )


@bp.context_processor
def inject_webhook_health():
    """Offer ``webhook_health()`` to the manager templates; it queries only when a template calls it."""
    return {"webhook_health": lambda: webhook_health(current_user), "chart_size": (CHART_WIDTH, CHART_HEIGHT)}
