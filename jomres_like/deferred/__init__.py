"""Jomres' deferred tasks: task files in temp/deferred_tasks, the self-call, /background_process, the sweeper.

Nothing here knows what a task does: a task file names its processor, which the packages using the mechanism
register (:mod:`.registry`), and the sweeper asks their sweep hooks what is due (:mod:`.sweeper`).
"""

from __future__ import annotations

from flask import Flask

from .registry import Answer, Claimed, Pending, SweepFound, SweepPass, UnknownProcessor, register

__all__ = [
    "Answer", "Claimed", "Pending", "SweepFound", "SweepPass", "UnknownProcessor", "init_app", "register",
]


def init_app(app: Flask) -> None:
    """Give the app its processor registry, the ``/background_process`` endpoint and the sweeper's start."""
    from . import endpoint, registry, sweeper

    registry.init_app(app)
    endpoint.init_app(app)

    @app.before_request
    def _start_sweeper():
        sweeper.ensure_started(app)
