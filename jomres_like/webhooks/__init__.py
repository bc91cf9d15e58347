"""Webhooks: the event catalogue's consumers, payloads, delivery, signing, SSRF checks, auth methods."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Subscribe to the domain events, wire the after-commit watcher and the in-app sweeper."""
    from .outbox import init_app as init_receivers

    init_receivers(app)
