"""Site settings: development or production mode, and other administrator choices."""

from __future__ import annotations

from flask import current_app, g

from ..extensions import db
from ..models import SiteSetting

DEVELOPMENT_KEY = "development_mode"


def get_setting(key: str, default: str = "") -> str:
    """Return a site setting's value, or ``default``."""
    row = db.session.get(SiteSetting, key)
    return row.value if row is not None else default


def set_setting(key: str, value: str) -> None:
    """Store a site setting."""
    row = db.session.get(SiteSetting, key)
    if row is None:
        db.session.add(SiteSetting(key=key, value=value))
    else:
        row.value = value
    db.session.flush()


def development_mode() -> bool:
    """Whether the site runs in development mode (``JOMRES_DEVELOPMENT`` forces it either way)."""
    forced = current_app.config.get("JOMRES_DEVELOPMENT")
    if forced is not None:
        return bool(forced)
    if "jomres_development" not in g:  # read once per request (a delivery asks several times)
        g.jomres_development = get_setting(DEVELOPMENT_KEY, "0") == "1"
    return g.jomres_development


def development_forced() -> bool:
    """Whether the environment decides the mode, so the setting page cannot change it."""
    return current_app.config.get("JOMRES_DEVELOPMENT") is not None


def set_development_mode(enabled: bool) -> None:
    """Switch development mode on or off."""
    set_setting(DEVELOPMENT_KEY, "1" if enabled else "0")
    g.jomres_development = enabled
