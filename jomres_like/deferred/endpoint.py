"""``GET /background_process`` answered in front of Flask's request handling, inside an app context.

The self-call is the busiest request the app serves: one per (event, webhook), ten for a booking change
seen by ten webhooks. It carries no session, user or form, has no CSRF token or rate limit (its HMAC is its
guard), and is never rendered. Flask's request machinery around it (the session, Flask-Login, CSRF, the
limiter, URL matching, the response hooks) cost about a fifth of a delivery's CPU and did nothing for it.
This middleware answers it with the view's own handler (:func:`.views.handle`) inside an app context: the
database session, ``g``, the sweeper and the log lines' request id and URL are as in a request, and events
raised while it runs are dispatched when they commit (SPEC section 7, step 7). Any other path or method
goes to Flask unchanged; the registered view still serves ``HEAD`` and builds URLs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, g
from werkzeug.datastructures import MultiDict

from ..logs import get_logger, request_id
from . import selfcall, sweeper, views

log = get_logger("message_handling")

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class SelfCallMiddleware:
    """Serve ``GET`` :data:`.selfcall.PATH` directly; pass every other request to ``wsgi_app``."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != selfcall.PATH or environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        app = self.app
        with app.app_context():
            g.request_id = request_id(environ.get("HTTP_X_REQUEST_ID", ""))
            g.jomres_url = _url(environ)
            sweeper.ensure_started(app)
            args = MultiDict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
            try:
                status, body = views.handle(args)
            except Exception:  # noqa: BLE001 - as Flask would: a 500, logged, and never a traceback sent
                log.exception("/background_process failed")
                status, body = 500, {"status": "error", "message": "Internal error; the task is kept."}
        data, headers = views.encode(body)
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [data]


def _url(environ: dict[str, Any]) -> str:
    """The URL of the call, for the log lines (what ``request.url`` gives, without its cost)."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    url = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('SCRIPT_NAME', '')}{selfcall.PATH}"
    query = environ.get("QUERY_STRING", "")
    return f"{url}?{query}" if query else url


def install(app: Flask) -> None:
    """Put the middleware in front of the app's WSGI callable (the test client goes through it too)."""
    app.wsgi_app = SelfCallMiddleware(app, app.wsgi_app)
