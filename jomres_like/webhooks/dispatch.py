"""The watcher's dispatch: events to deliveries, task files and self-calls (SPEC section 7, steps 2 and 5)."""

from __future__ import annotations

from ..models import Webhook, WebhookDelivery


def send_test_event(webhook: Webhook) -> WebhookDelivery:
    """Raise a ``webhook_test`` event for ``webhook`` only; it is delivered through the normal path after the commit."""
    raise NotImplementedError


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send ``delivery`` again (same message id) through the normal path after the commit."""
    raise NotImplementedError
