"""Webhook pages: list, new, edit, delete, enable toggle, test event, secret rotation, deliveries, catalogue.

The same views serve the manager's own webhooks (``manager.webhooks``...) and the administrator's site-wide
ones (``admin.site_webhooks``...): :func:`register_webhook_pages` adds them to a blueprint under a prefix.
Which webhooks a user sees is the service's business; super managers get its 403, other managers' webhooks
its 404.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import once, signals
from ..event_schemas import event_json_schema
from ..extensions import db
from ..models import WebhookDelivery
from ..services import ValidationError
from ..webhooks import catalogue, service
from ..webhooks.forms import webhook_form
from .blueprint import bp

#: blueprint name -> endpoint prefix of its webhook pages
PREFIXES: dict[str, str] = {}


def ep(name: str) -> str:
    """The full endpoint of webhook page ``name`` (``webhooks``, ``webhook_edit``...) on this blueprint."""
    return f"{request.blueprint}.{PREFIXES.get(request.blueprint, '')}{name}"


def _render(template: str, status: int = 200, **context):
    site_wide = current_user.is_authenticated and current_user.is_admin
    response = current_app.make_response((
        render_template(f"manager/webhooks/{template}", ep=ep, site_wide=site_wide, **context), status))
    response.headers["Cache-Control"] = "no-store"  # pages may carry a secret shown once
    return response


def webhook_list():
    """The user's webhooks with their health and an enable toggle."""
    return _render("list.html", webhooks=service.visible_webhooks(current_user))


def webhook_new():
    """Create a webhook; its signing secret is shown once, on the page the POST redirects to."""
    service.check_can_manage(current_user)
    form = webhook_form()
    if form.validate_on_submit():
        try:
            webhook, secret = service.create_webhook(current_user, form.to_values())
        except ValidationError as error:
            db.session.rollback()
            form.attach_errors(error)
        else:
            db.session.commit()
            flash("Webhook created.", "success")
            return _show_secret(webhook, secret, created=True)
    return _render("form.html", status=422 if form.errors or form.form_errors else 200, form=form,
                   webhook=None)


def webhook_edit(webhook_id: int):
    """Change a webhook; blank secret settings keep their stored value."""
    webhook = service.get_webhook(current_user, webhook_id)
    form = webhook_form(webhook, service.stored_auth_settings(webhook))
    if form.validate_on_submit():
        try:
            changes = service.update_webhook(webhook, form.to_values())
        except ValidationError as error:
            db.session.rollback()
            form.attach_errors(error)
        else:
            db.session.commit()
            flash("Webhook saved." if changes else "Nothing changed.", "success")
            return redirect(url_for(ep("webhooks")))
    return _render("form.html", status=422 if form.errors or form.form_errors else 200, form=form,
                   webhook=webhook)


def webhook_delete(webhook_id: int):
    """Ask, then delete a webhook and its delivery history (the GET shows what will go)."""
    webhook = service.get_webhook(current_user, webhook_id)
    if request.method == "GET":
        return _render("delete.html", webhook=webhook, deliveries=service.delivery_count(webhook))
    service.delete_webhook(webhook)
    db.session.commit()
    flash("Webhook deleted.", "success")
    return redirect(url_for(ep("webhooks")))


def webhook_toggle(webhook_id: int):
    """Enable or disable a webhook (``enabled`` = 1 or 0; without it, flip)."""
    webhook = service.get_webhook(current_user, webhook_id)
    wanted = request.form.get("enabled")
    enabled = (not webhook.enabled) if wanted not in ("0", "1") else wanted == "1"
    service.set_enabled(webhook, enabled)
    db.session.commit()
    flash(f"Webhook {'enabled' if enabled else 'disabled'}.", "success")
    return redirect(url_for(ep("webhooks")))


def webhook_test(webhook_id: int):
    """Send a ``webhook_test`` event to this webhook alone."""
    webhook = service.get_webhook(current_user, webhook_id)
    delivery = service.send_test(webhook)
    db.session.commit()
    flash(f"Test event queued as {delivery.message_id}.", "success")
    return redirect(url_for(ep("webhook_deliveries"), webhook_id=webhook.id))


def webhook_rotate(webhook_id: int):
    """Give the webhook a new signing secret, shown once; the old one keeps signing for 24 hours."""
    webhook = service.get_webhook(current_user, webhook_id)
    secret = service.rotate_secret(webhook)
    db.session.commit()
    flash("New signing secret generated; the previous one keeps signing for 24 hours.", "success")
    return _show_secret(webhook, secret, created=False)


def _show_secret(webhook, secret: str, created: bool):
    once.keep("webhook", webhook.id, secret, created=created)
    return redirect(url_for(ep("webhook_secret"), webhook_id=webhook.id), code=303)


def webhook_secret(webhook_id: int):
    """The signing secret just created or rotated, once; a reload finds it gone and says how to get one."""
    webhook = service.get_webhook(current_user, webhook_id)
    return once.page(
        "webhook", webhook.id,
        lambda held: _render("secret.html", webhook=webhook, secret=held["secret"],
                             created=held.get("created")),
        gone="The signing secret was shown only once. Use \"Rotate signing secret\" on the webhook's page to "
             "get a new one.",
        back=url_for(ep("webhook_edit"), webhook_id=webhook.id),
    )


def webhook_deliveries(webhook_id: int):
    """The webhook's deliveries, newest first, with their attempts."""
    webhook = service.get_webhook(current_user, webhook_id)
    query = service.deliveries_query(webhook).options(selectinload(WebhookDelivery.attempt_log))
    page = request.args.get("page", 1, type=int) or 1
    pagination = db.paginate(query, page=max(1, min(page, 100000)), error_out=False,
                             per_page=int(current_app.config.get("JOMRES_PAGE_SIZE", 20)))
    return _render("deliveries.html", webhook=webhook, pagination=pagination)


def delivery_redeliver(delivery_id: int):
    """Send a delivery again, with the same message id."""
    delivery = service.redeliver(current_user, delivery_id)
    db.session.commit()
    flash(f"Redelivery of {delivery.message_id} queued.", "success")
    return redirect(url_for(ep("webhook_deliveries"), webhook_id=delivery.webhook_id))


def webhook_catalogue():
    """The event catalogue with a sample payload per event and how to verify a signature."""
    events = [(event, json.dumps(catalogue.sample_payload(event.name), indent=2),
               json.dumps(event_json_schema(event.name), indent=2)) for event in signals.CATALOGUE.values()]
    return _render("catalogue.html", events=events, legacy=signals.LEGACY_EVENTS.values(),
                   python_example=catalogue.PYTHON_EXAMPLE, sample_headers=catalogue.SAMPLE_HEADERS,
                   manual_steps=catalogue.MANUAL_STEPS)


ROUTES = (
    ("webhooks", "/webhooks", webhook_list, ("GET",)),
    ("webhook_new", "/webhooks/new", webhook_new, ("GET", "POST")),
    ("webhook_edit", "/webhooks/<int:webhook_id>/edit", webhook_edit, ("GET", "POST")),
    ("webhook_delete", "/webhooks/<int:webhook_id>/delete", webhook_delete, ("GET", "POST")),
    ("webhook_toggle", "/webhooks/<int:webhook_id>/toggle", webhook_toggle, ("POST",)),
    ("webhook_test", "/webhooks/<int:webhook_id>/test", webhook_test, ("POST",)),
    ("webhook_rotate", "/webhooks/<int:webhook_id>/rotate", webhook_rotate, ("POST",)),
    ("webhook_secret", "/webhooks/<int:webhook_id>/secret", webhook_secret, ("GET",)),
    ("webhook_deliveries", "/webhooks/<int:webhook_id>/deliveries", webhook_deliveries, ("GET",)),
    ("delivery_redeliver", "/webhooks/deliveries/<int:delivery_id>/redeliver", delivery_redeliver, ("POST",)),
    ("webhook_catalogue", "/webhooks/events", webhook_catalogue, ("GET",)),
)


def register_webhook_pages(blueprint: Blueprint, prefix: str = "") -> None:
    """Add the webhook pages to ``blueprint``, their endpoints named ``<prefix><name>``."""
    PREFIXES[blueprint.name] = prefix
    for name, rule, view, methods in ROUTES:
        blueprint.add_url_rule(rule, endpoint=prefix + name, view_func=view, methods=list(methods))


register_webhook_pages(bp)
