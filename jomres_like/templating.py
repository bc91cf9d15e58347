"""Template globals and filters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask, session
from flask_login import current_user

#: flash messages kept in the session until a page shows them; older ones are dropped, so that a client
#: posting forms without following the redirects cannot grow the session cookie past what browsers keep
MAX_FLASHES = 5


def money(value) -> str:
    """Format an amount with two decimals and thousands separators."""
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


def when(value) -> str:
    """Format a date or a UTC datetime for people."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def plural(count, singular: str, plural_form: str | None = None) -> str:
    """``count`` with the noun it counts: "1 night", "3 nights", "1 child", "2 children"."""
    noun = singular if count == 1 else (plural_form or f"{singular}s")
    return f"{count} {noun}"


def init_app(app: Flask) -> None:
    """Register filters and the navigation context."""
    from .version import PRODUCT, __version__

    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["plural"] = plural

    def has_endpoint(endpoint: str) -> bool:
        return endpoint in app.view_functions

    app.jinja_env.globals["has_endpoint"] = has_endpoint

    @app.after_request
    def _cap_flashes(response):
        flashes = session.get("_flashes")
        if flashes and len(flashes) > MAX_FLASHES:
            session["_flashes"] = flashes[-MAX_FLASHES:]
        return response

    @app.context_processor
    def navigation():
        nav_properties = []
        development = False
        if current_user.is_authenticated:
            from .logs import debug_enabled
            from .services.access import visible_properties

            if current_user.is_manager:
                nav_properties = visible_properties(current_user)
            development = debug_enabled()
        return {
            "product_name": PRODUCT,
            "product_version": __version__,
            "nav_properties": nav_properties,
            "development_mode": development,
        }
