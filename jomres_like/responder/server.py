"""The responder's tiny WSGI app and its threaded server (werkzeug), in the foreground or in a thread."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable

from werkzeug.serving import BaseWSGIServer, make_server

from .core import Responder

MAX_BODY = 1024 * 1024


def make_wsgi_app(responder: Responder) -> Callable:
    """Return a WSGI app that hands every POST to ``responder`` and always answers 200 with a JSON summary."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        if method != "POST":
            summary = {"responder": "running", "hint": "POST a webhook here"}
        else:
            try:
                summary = responder.handle(_read_body(environ, responder), _headers(environ), path)
            except Exception:  # a simulated receiver answers 200 whatever happens; the log tells why
                responder.logger.exception("The responder failed on a webhook")
                summary = {"received": True, "error": "internal error, see the log"}
        body = json.dumps(summary).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return application


def _read_body(environ: dict, responder: Responder) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ["wsgi.input"]
    if length > MAX_BODY:
        responder.logger.warning("Ignored a webhook of %s bytes (more than %s)", length, MAX_BODY)
        return b""
    if length <= 0:
        # chunked uploads carry no length: werkzeug then marks the stream as terminated
        return stream.read(MAX_BODY) if environ.get("wsgi.input_terminated") else b""
    return stream.read(length)


def _headers(environ: dict) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return headers


def create_server(responder: Responder, host: str = "127.0.0.1", port: int = 5055) -> BaseWSGIServer:
    """A threaded werkzeug server for ``responder`` (``port=0`` picks a free one: see ``server.port``)."""
    return make_server(host, port, make_wsgi_app(responder), threaded=True)


def serve_in_thread(responder: Responder, host: str = "127.0.0.1", port: int = 0) -> tuple[BaseWSGIServer,
                                                                                              threading.Thread]:
    """Start a server in a daemon thread; stop it with ``server.shutdown()``."""
    server = create_server(responder, host, port)
    thread = threading.Thread(target=server.serve_forever, name="responder", daemon=True)
    thread.start()
    return server, thread
