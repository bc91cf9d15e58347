"""Every route is protected: it belongs to a blueprint declared through ``access.protect`` or is public."""

from __future__ import annotations

import tempfile

from flask import Blueprint, Flask

from jomres_like import access, create_app


def unprotected_endpoints(app: Flask) -> list[str]:
    """Endpoints that are neither public nor under a blueprint registered with a protection kind."""
    missing = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if endpoint in access.PUBLIC_ENDPOINTS:
            continue
        blueprint = endpoint.rpartition(".")[0]
        names = blueprint.split(".") if blueprint else []
        # a nested blueprint is covered by its own declaration or by its parent's
        if not any(name in access.PROTECTION for name in names):
            missing.append(endpoint)
    return sorted(missing)


def _app() -> Flask:
    folder = tempfile.mkdtemp(prefix="jomres-routes-")
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "SECRET_KEY": "routes",
            "TESTING": True,
            "JOMRES_TEMP_DIR": folder + "/temp",
            "JOMRES_LOG_DIR": folder + "/logs",
            "JOMRES_SWEEP_SECONDS": 0,
        }
    )


def test_every_route_is_protected_or_public():
    """No endpoint of the real app is left outside a protected blueprint."""
    app = _app()
    assert len(list(app.url_map.iter_rules())) > 20  # the map really holds the app's routes
    assert unprotected_endpoints(app) == []


def test_guarded_kinds_install_their_guard():
    """Blueprints protected by login kinds really run the guard before their views."""
    app = _app()
    for name, blueprint in app.blueprints.items():
        kind = access.PROTECTION.get(name)
        if kind in ("manager", "administrator", "authenticated"):
            assert blueprint.before_request_funcs.get(None), f"{name} ({kind}) has no guard"


def test_a_new_unprotected_route_is_caught():
    """The check fails for a route added outside any protected blueprint, and for a plain app route."""
    app = _app()
    loose = Blueprint("loose_test_pages", __name__)

    @loose.route("/loose")
    def loose_page():
        return "open"

    app.register_blueprint(loose)

    @app.route("/naked")
    def naked():
        return "open"

    assert unprotected_endpoints(app) == ["loose_test_pages.loose_page", "naked"]
