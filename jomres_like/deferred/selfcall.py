"""The self-call: a fire-and-forget ``GET /background_process`` written on a raw socket, never read back.

As in Jomres, the request that raised an event does not wait for the webhook: it writes the GET request to
``JOMRES_SELF_URL`` and closes the socket; the app's own ``/background_process`` (another worker thread or
process) picks the task up. The URL carries an HMAC-SHA256 of the task id under the app's secret key.

The same call, with ``dispatch=<event ids>`` instead of a task id, hands the dispatch of committed events
(resolving webhooks, writing task files, firing their self-calls) to whichever worker takes the connection:
the worker that served the page does not have to do it as well (see :mod:`..webhooks.outbox`).
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import ssl
from urllib.parse import urlencode, urlsplit

from flask import current_app

from ..logs import get_logger

PATH = "/background_process"
CONNECT_TIMEOUT = 2.0
_SIG_CONTEXT = b"jomres_like background_process v1:"
_DISPATCH_CONTEXT = b"jomres_like dispatch v1:"
#: event ids one dispatch self-call may carry
MAX_DISPATCH_EVENTS = 100

log = get_logger("Core")


def _sign(context: bytes, text: str) -> str:
    """The hex HMAC-SHA256 of ``text`` in ``context`` (tasks and dispatch calls never share a signature)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, context + text.encode(), hashlib.sha256).hexdigest()


def _matches(expected: str, sig: str) -> bool:
    if not isinstance(sig, str) or len(sig) != 64:
        return False
    return hmac.compare_digest(expected.encode(), sig.encode("ascii", "replace"))


def signature(task_id: str) -> str:
    """The hex HMAC-SHA256 of ``task_id`` under the app's secret key."""
    return _sign(_SIG_CONTEXT, task_id)


def verify(task_id: str, sig: str) -> bool:
    """Whether ``sig`` is the signature of ``task_id``, compared in constant time."""
    return _matches(signature(task_id), sig)


def dispatch_signature(ids: str) -> str:
    """The hex HMAC-SHA256 of a dispatch call's comma-separated event ids."""
    return _sign(_DISPATCH_CONTEXT, ids)


def verify_dispatch(ids: str, sig: str) -> bool:
    """Whether ``sig`` is the signature of the dispatch call for ``ids``, compared in constant time."""
    return _matches(dispatch_signature(ids), sig)


def task_url(task_id: str) -> str:
    """The full ``/background_process`` URL of a task, as logged and as a developer pastes it."""
    query = urlencode({"payload_source": task_id, "sig": signature(task_id)})
    return f"{current_app.config['JOMRES_SELF_URL']}{PATH}?{query}"


def fire_dispatch(event_ids: list[int]) -> bool:
    """Ask the app (any worker) to dispatch these committed events (at most MAX_DISPATCH_EVENTS).

    Returns ``False`` (logged) when the call was not sent; the caller then dispatches them itself.
    """
    if not 0 < len(event_ids) <= MAX_DISPATCH_EVENTS:
        raise ValueError(f"a dispatch call carries 1 to {MAX_DISPATCH_EVENTS} event ids")
    ids = ",".join(str(int(event_id)) for event_id in event_ids)
    query = urlencode({"dispatch": ids, "sig": dispatch_signature(ids)})
    url = f"{current_app.config['JOMRES_SELF_URL']}{PATH}?{query}"
    if not _send(url, f"dispatch of event(s) {ids}"):
        return False
    log.info("Sent async dispatch of event(s) %s to %s", ids, url)
    return True


def fire(task_id: str) -> bool:
    """Write the self-call for ``task_id`` and return at once; ``False`` (logged) when it was not sent."""
    url = task_url(task_id)
    if not _send(url, f"deferred message {task_id}"):
        return False
    log.info("Sent async deferred message %s to %s", task_id, url)
    return True


def _send(url: str, what: str) -> bool:
    """Write a GET of ``url`` on a fresh connection to the app and close it without reading the answer."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host_header = parts.netloc.rsplit("@", 1)[-1]
    request = (
        f"GET {parts.path}?{parts.query} HTTP/1.1\r\n"
        f"Host: {host_header}\r\n"
        "User-Agent: jomres_like-self-call\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT) as sock:
            if parts.scheme == "https":
                with ssl.create_default_context().wrap_socket(sock, server_hostname=host) as secure:
                    secure.sendall(request)
            else:
                sock.sendall(request)
    except OSError as exc:
        log.warning("Could not send async %s to %s: %s", what, url, exc)
        return False
    return True
