"""Site settings: development or production mode, and other administrator choices."""

from __future__ import annotations

import time

from flask import current_app, g

from ..extensions import db
from ..models import SiteSetting

DEVELOPMENT_KEY = "development_mode"
#: seconds a process trusts a reading of the setting that said production (see :func:`development_mode`)
PRODUCTION_TRUSTED_FOR = 1.0
_PRODUCTION_UNTIL = "jomres_production_until"  # in ``app.extensions``: until when production was read


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
    if key == DEVELOPMENT_KEY:
        current_app.extensions.pop(_PRODUCTION_UNTIL, None)  # this process reads the mode afresh


def development_mode() -> bool:
    """Whether the site runs in development mode (``JOMRES_DEVELOPMENT`` forces it either way)."""
    forced = current_app.config.get("JOMRES_DEVELOPMENT")
    if forced is not None:
        return bool(forced)
    if "jomres_development" not in g:  # read once per request (a delivery asks several times)
        g.jomres_development = _read_development_mode()
    return g.jomres_development


def _read_development_mode() -> bool:
    """The stored mode; a production reading is trusted for :data:`PRODUCTION_TRUSTED_FOR` seconds.

    Every delivery is a request, so reading the setting each time cost a query per delivery in production.
    Only that answer is kept: switching to production still applies to every process at its next request
    (development mode allows loopback receivers, and must not linger), while switching to development
    reaches the other processes and nodes within a second.
    """
    extensions = current_app.extensions
    if extensions.get(_PRODUCTION_UNTIL, 0.0) > time.monotonic():
        return False
    development = get_setting(DEVELOPMENT_KEY, "0") == "1"
    if development:
        extensions.pop(_PRODUCTION_UNTIL, None)
    else:
        extensions[_PRODUCTION_UNTIL] = time.monotonic() + PRODUCTION_TRUSTED_FOR
    return development


def development_forced() -> bool:
    """Whether the environment decides the mode, so the setting page cannot change it."""
    return current_app.config.get("JOMRES_DEVELOPMENT") is not None


def set_development_mode(enabled: bool) -> None:
    """Switch development mode on or off."""
    set_setting(DEVELOPMENT_KEY, "1" if enabled else "0")
    g.jomres_development = enabled
