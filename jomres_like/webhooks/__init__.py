"""Webhooks: the event catalogue's consumers, payloads, delivery, signing, SSRF checks, auth methods."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the auth methods' processors and the sweep hook with the deferred tasks, wire the outbox."""
    from ..deferred import registry
    from . import attempt, dispatch, outbox, outcomes, sweep

    outcomes.init_app(app)
    attempt.init_app(app)
    sweep.init_app(app)
    tasks = registry.registry(app)
    tasks.finished_checks.append(sweep.finished)
    tasks.dispatch = dispatch.dispatch_events
    outbox.init_app(app)
