"""Who is notified of an event (SPEC section 5): the property's managers' webhooks and the site-wide ones."""

from __future__ import annotations

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Webhook, WebhookEvent
from ..services.access import manager_ids


def webhooks_for(event: WebhookEvent) -> list[Webhook]:
    """The enabled webhooks that want ``event``: its property's managers' and every site-wide one.

    A ``webhook_test`` event goes only to the webhook it names. Super managers are never assigned to a
    property, so their changes notify the property's managers, never themselves.
    """
    data = event.data or {}
    if event.event == "webhook_test":
        webhook = (
            db.session.get(Webhook, data.get("webhook_id"))
            if isinstance(data.get("webhook_id"), int)
            else None
        )
        return [webhook] if webhook is not None else []
    property_uid = data.get("property_uid", event.property_id)
    condition = Webhook.owner_id.is_(None)
    if isinstance(property_uid, int):  # one statement: it runs for every event, before its first delivery
        condition = or_(condition, Webhook.owner_id.in_(manager_ids(property_uid)))
    query = select(Webhook).where(Webhook.enabled.is_(True), condition).order_by(Webhook.id)
    return [webhook for webhook in db.session.scalars(query) if webhook.wants(event.event)]
