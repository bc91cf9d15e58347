"""Webhooks: the event catalogue's consumers, payloads, delivery, signing, SSRF checks, auth methods."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Subscribe to the domain events (filled in by the webhook pipeline)."""
