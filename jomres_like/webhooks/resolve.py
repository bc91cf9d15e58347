"""Who is notified of an event (SPEC section 5): the property's managers' webhooks and the site-wide ones."""

from __future__ import annotations

from sqlalchemy import Connection, or_

from ..models import Webhook
from ..models.webhooks import wants
from ..services.access import manager_ids
from .rows import EventRow, WebhookRow, webhooks


def webhooks_for(event: EventRow, connection: Connection) -> list[WebhookRow]:
    """The enabled webhooks that want ``event``: its property's managers' and every site-wide one.

    A ``webhook_test`` event goes only to the webhook it names. Super managers are never assigned to a
    property, so their changes notify the property's managers, never themselves. Read on ``connection``, as
    plain records (:mod:`.rows`).
    """
    data = event.data or {}
    if event.event == "webhook_test":
        webhook_id = data.get("webhook_id")
        return webhooks(connection, Webhook.id == webhook_id) if isinstance(webhook_id, int) else []
    property_uid = data.get("property_uid", event.property_id)
    condition = Webhook.owner_id.is_(None)
    if isinstance(property_uid, int):  # one statement: it runs for every event, before its first delivery
        condition = or_(condition, Webhook.owner_id.in_(manager_ids(property_uid)))
    found = webhooks(connection, Webhook.enabled.is_(True) & condition)
    return [webhook for webhook in found if wants(webhook.events, event.event)]
