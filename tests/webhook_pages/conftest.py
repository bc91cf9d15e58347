"""Fixtures for the webhook pages and service: people of every role, webhooks and deliveries.

The site runs in development mode so loopback URLs are accepted: nothing here ever leaves 127.0.0.1.
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import has_app_context

from jomres_like.extensions import db
from jomres_like.models import ROLE_ADMIN, ROLE_REGISTERED, ROLE_SUPER, DeliveryAttempt, User, WebhookDelivery
from jomres_like.timeutil import utcnow

#: A receiver nobody listens on: port 9 (discard) on loopback refuses connections.
URL = "http://127.0.0.1:9/hooks/jomres"


@pytest.fixture
def app_config(app_config):
    """Development mode (loopback URLs allowed) unless a test says otherwise."""
    app_config["JOMRES_DEVELOPMENT"] = True
    return app_config


@pytest.fixture
def people(make_user, make_property):
    """Two managers with a property each, a super manager, an administrator and a registered user."""
    users = {
        "mgr": make_user("mgr"),
        "mgr2": make_user("mgr2"),
        "boss": make_user("boss", ROLE_SUPER),
        "root": make_user("root", ROLE_ADMIN),
        "reg": make_user("reg", ROLE_REGISTERED),
    }
    make_property("Fawlty Towers", managers=[users["mgr"]])
    make_property("Grand Budapest", managers=[users["mgr2"]])
    return users


def user(username: str) -> User:
    """The user named ``username`` in the current session."""
    return db.session.query(User).filter_by(username=username).one()


@contextmanager
def _in_context(app):
    """The current app context (a service test's, so its session sees the rows), or a new one."""
    if has_app_context():
        yield
    else:
        with app.app_context():
            yield


@pytest.fixture
def make_webhook(app, people):
    """``make_webhook("mgr", **values)`` -> ``(webhook_id, secret)``, created through the service."""

    def factory(owner: str = "mgr", **values):
        from jomres_like.webhooks import service

        with _in_context(app):
            webhook, secret = service.create_webhook(user(owner), {"url": URL, **values})
            db.session.commit()
            return webhook.id, secret

    return factory


@pytest.fixture
def make_delivery(app):
    """``make_delivery(webhook_id, status="failed", codes=(500, 503))`` -> delivery id; an attempt a code."""

    def factory(webhook_id: int, status: str = "failed", codes=(500,), event: str = "booking_added",
                excerpt: str = "upstream broke"):
        with _in_context(app):
            started = utcnow() - timedelta(minutes=10)
            delivery = WebhookDelivery(
                message_id="msg_" + secrets.token_hex(13), webhook_id=webhook_id, event=event,
                payload={"event": event, "data": {"property_uid": 1, "contract_uid": 2}}, status=status,
                attempts=len(codes), last_status_code=codes[-1] if codes else None,
                next_attempt_at=started + timedelta(hours=2) if status == "pending" else None,
            )
            db.session.add(delivery)
            db.session.flush()
            for number, code in enumerate(codes, start=1):
                db.session.add(DeliveryAttempt(
                    delivery_id=delivery.id, number=number, status_code=code, duration_ms=40 + number,
                    started_at=started + timedelta(seconds=number), response_excerpt=f"{excerpt} #{number}"))
            db.session.commit()
            return delivery.id

    return factory
