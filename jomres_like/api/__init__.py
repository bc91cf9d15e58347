"""The REST API under ``/jomres/api/``."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the API blueprint(s), each through ``access.protect(bp, "token")``."""
