"""gunicorn's gthread worker, closing finished connections without holding up its accept loop for long.

Since keep-alive is off (``gunicorn.conf.py``), every connection ends with a close. gunicorn closes it
"gracefully" (RFC 9112, section 9.6): it sends its FIN, then reads until the client closes too, for up to
2 seconds, so that request bytes left unread do not make the kernel reset the connection and cut the
answer short. But it does that reading on the worker's main thread, the one that accepts connections: a
client that reads its answer and keeps the socket open stopped that worker from taking any other request
for 2 seconds, and three such clients stopped it for 6 (measured with gunicorn 27.0.1).

:class:`ThreadWorker` does the same lingering close without the long wait: it sends the FIN and reads what
the client sends for at most :data:`QUICK_LINGER` seconds, enough for a client that closes at once (a
browser, the app's own self-call), so the common case goes as gunicorn had it and the poller is spared a
socket per request. A client that has not closed by then is left to the worker's poller, which reads and
closes its socket when it closes or after :data:`LINGER` seconds. At most :data:`MAX_LINGERING` sockets of
a worker linger; beyond that the oldest is closed at once.

It also spares a request that is there already gunicorn's wait for it (:meth:`ThreadWorker.handle`), and
:func:`tune_gc` sets the garbage collector of a worker that has loaded the app.
"""

from __future__ import annotations

import gc
import selectors
import socket
import ssl
import time
from collections import OrderedDict
from functools import partial

from gunicorn import util
from gunicorn.workers import gthread

#: seconds a closed connection waits for the client to close its side (as gunicorn's own graceful close)
LINGER = 2.0
#: seconds the worker's main thread itself waits for the client to close before leaving it to the poller
QUICK_LINGER = 0.01
#: sockets of one worker left lingering at once; the oldest goes first beyond that
MAX_LINGERING = 512
#: bytes read from a lingering client before the socket is closed regardless
MAX_DRAIN = 65536
#: a worker's garbage-collector thresholds (Python's own are 700, 10, 10); GUNICORN_GC_THRESHOLD overrides
GC_THRESHOLD = (10_000, 20, 20)


def _drained(sock: socket.socket, wait: float = 0.0) -> bool:
    """Read what the client sends for up to ``wait`` seconds; ``True`` once it has closed (or failed)."""
    deadline = time.monotonic() + wait
    total = 0
    while total < MAX_DRAIN:
        try:
            sock.settimeout(max(0.0, deadline - time.monotonic()))  # 0: non-blocking
            data = sock.recv(4096)
        except (BlockingIOError, InterruptedError, ssl.SSLWantReadError, TimeoutError):  # nothing yet
            return False
        except OSError:
            return True
        if not data:
            return True
        total += len(data)
    return True  # a client still sending this much is not waiting for a clean close


def _request_waiting(sock: socket.socket) -> bool:
    """Whether the client has sent something (or closed) already: a peek that never waits."""
    try:
        sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True  # a failed socket: gunicorn's handling reports it as before
    return True


def parse_gc_threshold(text: str | None) -> tuple[int, ...]:
    """``"10000,20,20"`` as a tuple for :func:`gc.set_threshold` (:data:`GC_THRESHOLD` when empty).

    One to three whole numbers, none negative, the first at least 1: 0 would turn the collector off, and a
    long-running worker would then keep every reference cycle it ever made.
    """
    if not text:
        return GC_THRESHOLD
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        values = ()
    if not 1 <= len(values) <= 3 or min(values) < 0 or values[0] < 1:
        raise ValueError(
            "GUNICORN_GC_THRESHOLD takes one to three whole numbers, the first at least 1, like 10000,20,20; "
            f"not {text!r}"
        )
    return values


def tune_gc(threshold: tuple[int, ...] = GC_THRESHOLD) -> None:
    """Freeze the objects of the loaded app, and collect young objects less often.

    A worker's requests make and drop many short-lived objects (SQLAlchemy's rows, states and statements,
    the request's own), so the collector's youngest generation filled up every 700 allocations, and its full
    passes walked the loaded app's 150,000 objects each time, pausing every thread of the worker. Frozen, they
    are left out of every pass (they live as long as the process anyway); with ``threshold`` the young
    objects are looked at every 10,000 allocations (gain: see BENCHMARKS.md).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*threshold)


class ThreadWorker(gthread.ThreadWorker):
    """The gthread worker with a lingering close that holds up its main thread for 10 ms at most."""

    def init_process(self) -> None:
        # socket -> when to give up waiting for the client; oldest first (LINGER is one constant)
        self.lingering: OrderedDict[socket.socket, float] = OrderedDict()
        super().init_process()

    def handle(self, conn):
        # gunicorn waits for a new connection's first bytes with a selector made for it (four system calls on
        # a table every thread of the worker shares). Mostly they are there already (the app's self-call
        # writes its request whole as it connects): a peek then says so, and the selector is skipped. A client
        # yet to send still gets gunicorn's wait, bounded as before.
        if not getattr(conn, "initialized", True) and not getattr(conn, "data_ready", True):
            if _request_waiting(conn.sock):
                conn.data_ready = True
        return super().handle(conn)

    def finish_request(self, conn, fs) -> None:
        # gunicorn's own condition for closing the connection gracefully: the request ended it
        if fs.cancelled() or (fs.exception() is None and not fs.result()):
            self.nr_conns -= 1
            self.linger(conn.sock)
            return
        super().finish_request(conn, fs)

    def linger(self, sock: socket.socket) -> None:
        """Send the FIN now; close the socket once the client has closed, or LINGER seconds from now."""
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            util.close(sock)
            return
        if _drained(sock, QUICK_LINGER):
            util.close(sock)
            return
        sock.setblocking(False)
        while len(self.lingering) >= MAX_LINGERING:
            self._close_lingering(next(iter(self.lingering)))
        try:
            self.poller.register(sock, selectors.EVENT_READ, partial(self._on_readable, sock))
        except (OSError, ValueError, KeyError):
            util.close(sock)
            return
        self.lingering[sock] = time.monotonic() + LINGER

    def _on_readable(self, sock: socket.socket, _fileobj) -> None:
        if _drained(sock):
            self._close_lingering(sock)

    def _close_lingering(self, sock: socket.socket) -> None:
        self.lingering.pop(sock, None)
        try:
            self.poller.unregister(sock)
        except (OSError, ValueError, KeyError):
            pass  # not registered (any more)
        util.close(sock)

    def murder_keepalived(self, force: bool = False) -> None:
        """gunicorn's sweep of expired kept-alive connections, and of lingering ones past LINGER."""
        super().murder_keepalived(force)
        now = time.monotonic()
        while self.lingering:
            sock, deadline = next(iter(self.lingering.items()))
            if deadline > now and not force:
                break
            self._close_lingering(sock)
