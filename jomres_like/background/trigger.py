"""The self-call: a fire-and-forget ``GET /background_process`` written on a raw socket, never read back.

As in Jomres, the request that raised an event does not wait for the webhook: it writes the GET request to
``JOMRES_SELF_URL`` and closes the socket; the app's own ``/background_process`` (another worker thread or
process) picks the task up. The URL carries an HMAC-SHA256 of the task id under the app's secret key.
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

log = get_logger("Core")


def signature(task_id: str) -> str:
    """The hex HMAC-SHA256 of ``task_id`` under the app's secret key."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, _SIG_CONTEXT + task_id.encode(), hashlib.sha256).hexdigest()


def verify(task_id: str, sig: str) -> bool:
    """Whether ``sig`` is the signature of ``task_id``, compared in constant time."""
    if not isinstance(sig, str) or len(sig) != 64:
        return False
    return hmac.compare_digest(signature(task_id).encode(), sig.encode("ascii", "replace"))


def task_url(task_id: str) -> str:
    """The full ``/background_process`` URL of a task, as logged and as a developer pastes it."""
    query = urlencode({"payload_source": task_id, "sig": signature(task_id)})
    return f"{current_app.config['JOMRES_SELF_URL']}{PATH}?{query}"


def fire(task_id: str) -> bool:
    """Write the self-call for ``task_id`` and return at once; ``False`` (logged) when it was not sent."""
    url = task_url(task_id)
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
        log.warning("Could not send async deferred message %s to %s: %s", task_id, url, exc)
        return False
    log.info("Sent async deferred message %s to %s", task_id, url)
    return True
