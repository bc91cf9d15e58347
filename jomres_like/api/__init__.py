"""The REST API under ``/jomres/api/`` (SPEC section 9): flask-smorest blueprints, one module per resource.

The schemas that validate requests also describe them in ``/jomres/api/openapi.json``; ``/jomres/api/docs``
shows that document with the vendored ReDoc.
"""

from __future__ import annotations

import threading

from flask import Flask
from flask_smorest import Api

from ..access import protect
from ..extensions import csrf
from ..version import __version__
from . import openapi
from .schemas import Error

API_CONFIG = {
    "API_TITLE": "jomres_like REST API",
    "API_VERSION": __version__,
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/jomres/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_REDOC_PATH": "docs",
    "OPENAPI_REDOC_URL": "/static/vendor/redoc/redoc.standalone.js",
}

SPEC_KWARGS = {
    "info": {
        "description": (
            "OAuth2 client-credentials API of jomres_like. Get a token at `/jomres/api/oauth/token` (or, as "
            "Jomres clients do, POST `grant_type=client_credentials` to `/jomres/api/`), then send "
            "`Authorization: Bearer <token>`. Answers are wrapped as "
            "`{\"data\": {\"<name>\": ...}, \"meta\": {\"code\": 200}}`; send `X-JOMRES-NO-ENVELOPE: 1` "
            "for the bare payload. Errors carry the real status and "
            "`{\"code\", \"error_message\", \"meta\"}`. A token acts for its key's owner: the "
            "scope is checked first (403), then the property (404 unknown or deleted, 403 not managed); "
            "another property's booking, guest, room or invoice is 404."
        )
    },
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer"},
            "basicAuth": {"type": "http", "scheme": "basic"},
        }
    },
    "security": [{"bearerAuth": []}],
}


class JomresApi(Api):
    """flask-smorest's Api, documenting errors with Jomres' error envelope, and building the OpenAPI
    document on first request rather than in the app factory (it costs a third of a second per app)."""

    ERROR_SCHEMA = Error

    def __init__(self, *args, **kwargs):
        self._undocumented: list = []
        self._doc_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """Register ``blp`` with the app now; describe it in the OpenAPI document later."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def document(self) -> dict:
        """The OpenAPI document, built once."""
        with self._doc_lock:
            if self._undocumented:
                openapi.declare(self.spec)
                while self._undocumented:
                    blp, name, parameters = self._undocumented.pop(0)
                    blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
                    self.spec.tag({"name": name, "description": blp.description})
                openapi.complete(self.spec, self._app)
        return self.spec.to_dict()

    def _openapi_json(self):
        self.document()
        return super()._openapi_json()


def init_app(app: Flask) -> None:
    """Register the API blueprint(s), each through ``access.protect(bp, "token")``."""
    from ..oauth.server import init_app as init_oauth
    from . import bookings, callbacks, coupons, extras, guest_types, properties, search, subscriptions, tokens

    for key, value in API_CONFIG.items():
        app.config.setdefault(key, value)
    init_oauth(app)
    api = JomresApi(app, spec_kwargs=SPEC_KWARGS)
    modules = (tokens, callbacks, properties, bookings, extras, coupons, guest_types, subscriptions, search)
    for module in modules:
        bp = protect(module.bp, "token")
        csrf.exempt(bp)
        api.register_blueprint(bp)
    app.extensions["jomres_api"] = api
