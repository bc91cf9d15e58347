"""The bench's stand-ins for remote services: receivers on 127.0.0.1.

Used by :mod:`pipeline` and :mod:`peers`: :class:`Receiver` records each delivery's arrival (optionally
answering slowly), and :class:`Silent` accepts connections and never answers.

The receivers share the bench's two cores with the app, so they cost as little CPU as they can: a real
receiver runs on another machine. :class:`Receiver` is one thread serving every connection from a
``selectors`` loop, where ``http.server`` spent a thread per connection and parsed each header block with
the email package.
"""

from __future__ import annotations

import heapq
import json
import selectors
import socket
import threading
import time

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
#: bytes a request's head may take before the receiver gives up on its connection
MAX_HEAD = 64 * 1024


class _Connection:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""
        self.close_after = False


class Receiver:
    """An HTTP/1.1 receiver on 127.0.0.1 (keep-alive) recording (arrival time, body); ``delay`` s per answer.

    Requests on one connection are answered in order; a delayed answer waits in a heap, not in a thread.
    With ``path_key``, each recorded body (a JSON object) also gets the request's path under that key, so
    that systems sharing the receiver, each with a URL of its own below :attr:`url`, can be told apart.
    """

    def __init__(self, delay: float = 0.0, path_key: str | None = None):
        self.arrivals: list[tuple[float, dict]] = []
        self.delay = delay
        self.path_key = path_key
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1024)
        self.listener.setblocking(False)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.due: list[tuple[float, int, _Connection]] = []  # (when, order, connection) answers to send
        self.order = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            timeout = max(0.0, self.due[0][0] - time.monotonic()) if self.due else 0.5
            for key, _events in self.selector.select(min(timeout, 0.5)):
                if key.fileobj is self.listener:
                    self._accept()
                else:
                    self._read(key.data)
            now = time.monotonic()
            while self.due and self.due[0][0] <= now:
                _when, _order, conn = heapq.heappop(self.due)
                self._answer(conn)

    def _accept(self) -> None:
        while True:
            try:
                sock, _address = self.listener.accept()
            except (BlockingIOError, OSError):
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.selector.register(sock, selectors.EVENT_READ, _Connection(sock))

    def _read(self, conn: _Connection) -> None:
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        conn.buffer += data
        while True:
            head_end = conn.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                if len(conn.buffer) > MAX_HEAD:
                    self._drop(conn)
                return
            head = conn.buffer[:head_end]
            length, close = _length_and_close(head)
            end = head_end + 4 + length
            if len(conn.buffer) < end:
                return
            body, conn.buffer = conn.buffer[head_end + 4 : end], conn.buffer[end:]
            document = json.loads(body)
            if self.path_key and isinstance(document, dict):
                document[self.path_key] = head.split(b" ", 2)[1].decode("latin-1")
            self.arrivals.append((time.time(), document))
            conn.close_after = conn.close_after or close
            if self.delay:
                self.order += 1
                heapq.heappush(self.due, (time.monotonic() + self.delay, self.order, conn))
            else:
                self._answer(conn)

    def _answer(self, conn: _Connection) -> None:
        try:
            conn.sock.sendall(ANSWER)  # a few bytes: the socket's buffer always takes them
        except OSError:
            self._drop(conn)
            return
        if conn.close_after:
            self._drop(conn)

    def _drop(self, conn: _Connection) -> None:
        try:
            self.selector.unregister(conn.sock)
        except (KeyError, ValueError):
            pass
        conn.sock.close()

    def close(self):
        self.running = False
        self.thread.join(timeout=5)
        self.listener.close()


def _length_and_close(head: bytes) -> tuple[int, bool]:
    """The Content-Length of a request head, and whether it asked to close the connection."""
    length, close = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    return length, close


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
