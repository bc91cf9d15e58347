"""``GET /background_process?payload_source=<id>&sig=<hmac>``: run one deferred task, answer a JSON summary.

The id's form and the signature are checked before anything touches the filesystem; a bad call gets a 4xx
and changes nothing. The answer is short JSON, readable when a developer pastes a logged URL in a browser.
``?dispatch=<event ids>&sig=<hmac>`` hands committed events to the app's registered dispatch handler.

The self-call is the busiest request the app serves: one per (event, webhook). It carries no session, user
or form, has no CSRF token or rate limit (its HMAC is its guard), and is never rendered, so a WSGI
middleware (:class:`SelfCallMiddleware`) answers its ``GET`` in front of Flask's request handling, with
:func:`handle` inside an app context: the database session, ``g``, the sweeper and the log lines' request id
and URL are as in a request, and events raised while it runs are dispatched when they commit (SPEC section
7, step 7). Any other path or method goes to Flask unchanged; the registered view still serves ``HEAD``
and builds URLs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Flask, Response, g, request
from werkzeug.datastructures import MultiDict

from ..extensions import csrf, db, limiter
from ..logs import get_logger, request_id
from . import registry, selfcall, store, sweeper
from .runner import run_task

log = get_logger("message_handling")

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

bp = Blueprint("background", __name__)


@bp.route("/background_process", methods=["GET"])
@csrf.exempt
def background_process():
    """Run the task named by ``payload_source`` if ``sig`` is its signature (or dispatch events, below).

    A GET is answered by :class:`SelfCallMiddleware` before it reaches Flask; this view serves HEAD.
    """
    return _reply(*handle(request.args))


def handle(args: Mapping[str, str]) -> tuple[int, dict]:
    """``(status, JSON body)`` of a ``/background_process`` call with the query ``args``."""
    if "dispatch" in args and "payload_source" not in args:
        return _dispatch(args.get("dispatch", ""), args.get("sig", ""))
    task_id = args.get("payload_source", "")
    sig = args.get("sig", "")
    if not store.valid_task_id(task_id):
        return 400, {"status": "error", "message": "payload_source must be exactly 50 ASCII letters."}
    if not selfcall.verify(task_id, sig):
        log.warning("Refused a deferred message notification with a bad signature")
        return 403, {"status": "error", "message": "Bad or missing signature."}
    log.info("Received deferred message notification %s", task_id)
    try:
        return run_task(task_id)
    except Exception:  # noqa: BLE001 - a database hiccup: the task is kept and the sweeper retries it
        db.session.rollback()
        log.exception("Deferred task %s failed; it is kept for the sweeper", task_id)
        return 503, {"status": "error", "message": "The task could not run now; it is kept.", "task": task_id}


_EVENT_IDS = re.compile(rf"[0-9]{{1,18}}(,[0-9]{{1,18}}){{0,{selfcall.MAX_DISPATCH_EVENTS - 1}}}")


def _dispatch(ids: str, sig: str) -> tuple[int, dict]:
    """``?dispatch=<ids>&sig=<hmac>``: dispatch these committed events here (the page's worker asked)."""
    if not _EVENT_IDS.fullmatch(ids):
        message = f"dispatch must be up to {selfcall.MAX_DISPATCH_EVENTS} comma-separated event ids."
        return 400, {"status": "error", "message": message}
    if not selfcall.verify_dispatch(ids, sig):
        log.warning("Refused a dispatch notification with a bad signature")
        return 403, {"status": "error", "message": "Bad or missing signature."}
    log.info("Received deferred dispatch notification for event(s) %s", ids)
    dispatch = registry.registry().dispatch
    if dispatch is None:
        return 404, {"status": "error", "message": "Nothing here dispatches events."}
    event_ids = list(dict.fromkeys(int(event_id) for event_id in ids.split(",")))
    dispatch(event_ids)  # logs failures; the sweeper catches up
    return 200, {"status": "dispatched", "events": event_ids}


def _self_call() -> bool:
    """The self-call has no rate limit (its HMAC is its guard): the limiter need not look into it."""
    return request.endpoint == "background.background_process"


def _reply(status: int, body: dict) -> Response:
    data, headers = encode(body)
    return Response(data, status=status, headers=headers)


def encode(body: dict) -> tuple[bytes, list[tuple[str, str]]]:
    """The JSON answer's bytes and headers, never cached (it runs a task: a cache must not answer for it)."""
    data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode() + b"\n"
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    return data, headers


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
                status, body = handle(args)
            except Exception:  # noqa: BLE001 - as Flask would: a 500, logged, and never a traceback sent
                log.exception("/background_process failed")
                status, body = 500, {"status": "error", "message": "Internal error; the task is kept."}
        data, headers = encode(body)
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [data]


def _url(environ: dict[str, Any]) -> str:
    """The URL of the call, for the log lines (what ``request.url`` gives, without its cost)."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    url = f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('SCRIPT_NAME', '')}{selfcall.PATH}"
    query = environ.get("QUERY_STRING", "")
    return f"{url}?{query}" if query else url


def init_app(app: Flask) -> None:
    """Register the view, exempt it from the rate limit, and put the middleware in front of the app."""
    from ..access import protect

    app.register_blueprint(protect(bp, "signed"))
    limiter.request_filter(_self_call)
    app.wsgi_app = SelfCallMiddleware(app, app.wsgi_app)  # the test client goes through it too
