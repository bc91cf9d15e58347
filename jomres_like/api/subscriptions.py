"""Webhook subscriptions through the API (scope ``webhooks_manage``) and the event catalogue.

The rules live in :mod:`jomres_like.webhooks.service`, the same as for the Webhooks pages.
"""

from __future__ import annotations

from marshmallow import fields, validate
from sqlalchemy import func, select

from .. import signals
from ..event_schemas import event_json_schema
from ..extensions import db
from ..webhooks import service
from . import schemas
from .common import check_id, commit, current_user, envelope, errors_doc, make_blueprint, require

bp = make_blueprint("webhook_subscriptions", "The key owner's webhook subscriptions and their deliveries.")

PageQuery = type("PageQuery", (schemas._In,), {
    "page": fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000)),
    "per_page": fields.Integer(load_default=20, validate=validate.Range(min=1, max=100)),
})


def _webhook(webhook_id: int):
    return service.get_webhook(current_user(), check_id(webhook_id, "webhook"))


@bp.route("/webhook_subscriptions", methods=["GET"])
@require("webhooks_manage")
@bp.response(200, schemas.enveloped("webhook_subscriptions", schemas.Subscription, many=True))
@errors_doc(bp, 401, 403)
def list_subscriptions():
    """The key owner's webhook subscriptions."""
    return envelope("webhook_subscriptions",
                    [service.webhook_to_json(w) for w in service.visible_webhooks(current_user())])


@bp.route("/webhook_subscriptions", methods=["POST"])
@require("webhooks_manage")
@bp.arguments(schemas.SubscriptionCreate)
@bp.response(201, schemas.enveloped("webhook_subscription", schemas.Subscription))
@errors_doc(bp, 400, 401, 403, 413, 422)
def create_subscription(body: dict):
    """Create a subscription; the answer alone carries its signing ``secret`` (``whsec_...``)."""
    webhook, secret = service.create_webhook(current_user(), body)
    commit()
    answer = {**service.webhook_to_json(webhook), "secret": secret}
    return envelope("webhook_subscription", answer, status=201)


@bp.route("/webhook_subscriptions/<int:webhook_id>", methods=["GET"])
@require("webhooks_manage")
@bp.response(200, schemas.enveloped("webhook_subscription", schemas.Subscription))
@errors_doc(bp, 401, 403, 404)
def read_subscription(webhook_id: int):
    """One subscription."""
    return envelope("webhook_subscription", service.webhook_to_json(_webhook(webhook_id)))


@bp.route("/webhook_subscriptions/<int:webhook_id>", methods=["PATCH"])
@require("webhooks_manage")
@bp.arguments(schemas.SubscriptionPatch)
@bp.response(200, schemas.enveloped("webhook_subscription", schemas.Subscription))
@errors_doc(bp, 400, 401, 403, 404, 413, 422)
def update_subscription(body: dict, webhook_id: int):
    """Change the fields the body names, no other; auth_settings keys merge over the stored settings."""
    webhook = _webhook(webhook_id)
    service.update_webhook(webhook, body)
    commit()
    return envelope("webhook_subscription", service.webhook_to_json(webhook))


@bp.route("/webhook_subscriptions/<int:webhook_id>", methods=["DELETE"])
@require("webhooks_manage")
@bp.response(200, schemas.enveloped("deleted"))
@errors_doc(bp, 401, 403, 404)
def delete_subscription(webhook_id: int):
    """Delete a subscription and its delivery history."""
    service.delete_webhook(_webhook(webhook_id))
    commit()
    return envelope("deleted", {"id": webhook_id})


@bp.route("/webhook_subscriptions/<int:webhook_id>/test", methods=["POST"])
@require("webhooks_manage")
@bp.response(202, schemas.enveloped("delivery", schemas.Delivery))
@errors_doc(bp, 401, 403, 404, 409, 422)
def test_subscription(webhook_id: int):
    """Send a ``webhook_test`` event to this subscription alone."""
    delivery = service.send_test(_webhook(webhook_id))
    commit()
    return envelope("delivery", service.delivery_to_json(delivery), status=202)


@bp.route("/webhook_subscriptions/<int:webhook_id>/deliveries", methods=["GET"])
@require("webhooks_manage")
@bp.arguments(PageQuery, location="query")
@bp.response(200, schemas.enveloped("deliveries", schemas.Delivery, many=True))
@errors_doc(bp, 401, 403, 404, 422)
def list_deliveries(args: dict, webhook_id: int):
    """The subscription's deliveries with their attempts, newest first."""
    query = service.deliveries_query(_webhook(webhook_id))
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    page, per_page = args["page"], args["per_page"]
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page))
    return envelope("deliveries", [service.delivery_to_json(d) for d in rows], page=page, per_page=per_page,
                    total=total, headers={"X-Total-Count": total})


@bp.route("/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@require("webhooks_manage")
@bp.response(202, schemas.enveloped("delivery", schemas.Delivery))
@errors_doc(bp, 401, 403, 404, 409, 422)
def redeliver(delivery_id: int):
    """Send a delivery again, with the same ``webhook-id``."""
    delivery = service.redeliver(current_user(), check_id(delivery_id, "delivery"))
    commit()
    return envelope("delivery", service.delivery_to_json(delivery), status=202)


@bp.route("/webhook_events", methods=["GET"])
@require(None)
@bp.response(200, schemas.enveloped("webhook_events"))
@errors_doc(bp, 401)
def webhook_events():
    """The event catalogue: names, the ids their data carries, descriptions, each body's JSON Schema;
    legacy names apart."""
    def describe(event, schema: bool = True):
        described = {"event": event.name, "keys": list(event.keys), "description": event.description,
                     "context": event.context}
        if schema:
            described["legacy_name"] = signals.legacy_name(event.name)
            described["schema"] = event_json_schema(event.name)
        return described

    return envelope("webhook_events", {
        "events": [describe(e) for e in signals.CATALOGUE.values()],
        "legacy_events": [describe(e, schema=False) for e in signals.LEGACY_EVENTS.values()],
    })
