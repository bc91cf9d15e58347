"""The dashboard's webhook health: an SVG chart of the last 24 hours and the webhooks in trouble."""

from datetime import timedelta

from flask import render_template
from flask_login import login_user

from jomres_like import crypto
from jomres_like.extensions import db
from jomres_like.manager.health import webhook_health
from jomres_like.models import User, Webhook, WebhookDelivery
from jomres_like.timeutil import utcnow


def _webhook(owner, **values):
    webhook = Webhook(
        owner_id=owner.id,
        url="https://example.com/hook",
        secret_encrypted=crypto.encrypt("whsec_x"),
        **values,
    )
    db.session.add(webhook)
    db.session.flush()
    return webhook


def _delivery(webhook, status, hours_ago=0, number=[0]):  # noqa: B006 - a counter for unique ids
    number[0] += 1
    delivery = WebhookDelivery(
        message_id=f"msg_{number[0]:026d}",
        webhook_id=webhook.id,
        event="booking_added",
        status=status,
        created_at=utcnow() - timedelta(hours=hours_ago),
    )
    db.session.add(delivery)
    return delivery


def test_counts_deliveries_per_hour_by_status(ctx, make_user):
    manager = db.session.get(User, make_user("alice").id)
    webhook = _webhook(manager)
    for status in ("succeeded", "succeeded", "failed"):
        _delivery(webhook, status)
    _delivery(webhook, "pending", hours_ago=3)
    _delivery(webhook, "succeeded", hours_ago=30)  # older than the chart
    db.session.commit()

    health = webhook_health(manager)

    assert len(health.bars) == 24
    assert (health.bars[-1].succeeded, health.bars[-1].failed) == (2, 1)
    assert health.bars[-4].pending == 1
    assert health.totals == {"succeeded": 2, "failed": 1, "pending": 1}
    assert health.peak == 3


def test_other_managers_deliveries_are_not_counted(ctx, make_user):
    alice = db.session.get(User, make_user("alice").id)
    bob = db.session.get(User, make_user("bob").id)
    _delivery(_webhook(bob), "failed")
    db.session.commit()

    assert webhook_health(alice).totals == {}
    assert webhook_health(alice).webhooks == []


def test_super_managers_have_no_webhook_health(ctx, make_user):
    boss = db.session.get(User, make_user("boss", role="super_manager").id)
    assert webhook_health(boss) is None


def test_chart_and_troubled_webhooks_render_without_javascript(app, make_user):
    with app.test_request_context("/manager/"):
        manager = db.session.get(User, make_user("alice").id)
        healthy = _webhook(manager, description="Channel manager")
        _webhook(manager, description="Old PMS", enabled=False, disabled_reason="Failing for 5 days")
        _webhook(manager, description="Slack", consecutive_failures=3, last_status=500)
        _delivery(healthy, "succeeded")
        _delivery(healthy, "failed")
        db.session.commit()
        login_user(manager)
        app.preprocess_request()
        html = render_template("manager/_webhook_health.html")

    assert "<svg" in html and "<script" not in html
    assert html.count('class="bar-succeeded"') == 1 and html.count('class="bar-failed"') == 1
    assert "Old PMS" in html and "is disabled: Failing for 5 days" in html
    assert "Slack" in html and "3 failed attempts in a row, last status 500" in html
    assert "Channel manager" not in html  # healthy webhooks are not highlighted
