"""Route protection, declared when a blueprint is registered.

Every blueprint goes through :func:`protect` with one of the kinds below; the test suite walks the URL map
and fails for any endpoint that is neither under a protected blueprint nor listed in ``PUBLIC_ENDPOINTS``.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

PUBLIC_ENDPOINTS = {
    "static", "auth.login", "auth.logout", "auth.index",
    "api-docs.openapi_json", "api-docs.openapi_redoc",  # the published API description
}

#: blueprint name -> protection kind
PROTECTION: dict[str, str] = {}


def _login_then(check: Callable[[object], bool]):
    def guard():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not current_user.is_active or not check(current_user):
            abort(403)
        return None

    return guard


KINDS: dict[str, Callable[[], object] | None] = {
    "manager": _login_then(lambda user: user.is_manager),
    "administrator": _login_then(lambda user: user.is_admin),
    "authenticated": _login_then(lambda user: True),
    # The views check an HMAC signature themselves (``/background_process``).
    "signed": None,
    # The views check an OAuth2 bearer token themselves (the REST API).
    "token": None,
}


def protect(bp: Blueprint, kind: str) -> Blueprint:
    """Declare how ``bp`` is protected and install the matching guard; returns ``bp``."""
    if kind not in KINDS:
        raise ValueError(f"Unknown protection kind {kind!r}")
    if bp.name in PROTECTION:  # blueprints are module singletons: guard them once, for every app
        if PROTECTION[bp.name] != kind:
            raise ValueError(f"Blueprint {bp.name!r} is already protected as {PROTECTION[bp.name]!r}")
        return bp
    guard = KINDS[kind]
    if guard is not None:
        bp.before_request(guard)
    PROTECTION[bp.name] = kind
    return bp
