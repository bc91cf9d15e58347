"""The bench's stand-ins around the app: receivers on 127.0.0.1 and the booking form's fields.

Used by :mod:`pipeline`: :class:`Receiver` records each delivery's arrival (optionally answering slowly),
:class:`Silent` accepts connections and never answers, and :func:`form_fields` reads the fields of a page's
main form so that the bench posts the booking form as a browser would.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    """A threaded HTTP receiver on 127.0.0.1 recording (arrival time, body); ``delay`` seconds per answer."""

    def __init__(self, delay: float = 0.0):
        self.arrivals: list[tuple[float, dict]] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps connections alive, as most real receivers do
            timeout = 30
            # headers and body leave in two writes: without TCP_NODELAY the body waits for a delayed ACK
            disable_nagle_algorithm = True

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.time()
                with lock:
                    outer.arrivals.append((arrived, json.loads(body)))
                if delay:
                    time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


class Silent:
    """A receiver that accepts connections and never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(512)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while len(self.held) < 10_000:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


class _Form(HTMLParser):
    """The fields of the largest POST form of a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[list[tuple[str, str]]] = []
        self.current: list | None = None
        self.select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.current = []
            self.forms.append(self.current)
        if self.current is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs or kind in ("submit", "button"):
                return
            self.current.append((name, attrs.get("value") or ""))
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.current.append((self.select, attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.current = None


def form_fields(html: str) -> list[tuple[str, str]]:
    """The fields of the page's main form."""
    parser = _Form()
    parser.feed(html)
    return max(parser.forms, key=len)
