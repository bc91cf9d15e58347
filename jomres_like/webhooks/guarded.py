"""The connections of webhook requests: SSRF-checked at connect time, and held to the exchange's deadline.

A connection resolves the host name itself, checks every address with :mod:`.ssrf` and connects to exactly an
address that passed (the Host header, TLS SNI and certificate checks keep the host name). Its socket (plain
or TLS) gives every read and write only the time left until the deadline of the exchange under way on its
thread (:func:`deadline`), so a receiver sending a byte now and then cannot hold a request past it.
:class:`GuardedSession` keeps a webhook's connections for reuse; :func:`webhook_session` gives each thread
one per webhook and address policy.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.ssl_ import create_urllib3_context

from .ssrf import AddressPolicy, BlockedAddress, current_policy, resolve_checked

#: guarded sessions kept per thread (one per webhook and address policy) before they are all closed
MAX_SESSIONS = 64

_local = threading.local()


@contextmanager
def deadline(when: float) -> Iterator[None]:
    """Hold the guarded sockets this thread uses to ``when`` (a ``time.monotonic()`` value) meanwhile."""
    previous = getattr(_local, "deadline", None)
    _local.deadline = when
    try:
        yield
    finally:
        _local.deadline = previous


def time_left() -> float | None:
    """Seconds left until this thread's deadline (None without one); raises TimeoutError once it passed."""
    when = getattr(_local, "deadline", None)
    if when is None:
        return None
    left = when - time.monotonic()
    if left <= 0:
        raise TimeoutError("the total deadline of the request passed")
    return left


class _DeadlineMixin:
    """Socket methods that set the timeout to the time left before each read and write."""

    def _hold(self) -> None:
        left = time_left()
        if left is not None:
            self.settimeout(left)

    def recv(self, *args, **kwargs):
        self._hold()
        return super().recv(*args, **kwargs)

    def recv_into(self, *args, **kwargs):
        self._hold()
        return super().recv_into(*args, **kwargs)

    def send(self, *args, **kwargs):
        self._hold()
        return super().send(*args, **kwargs)

    def sendall(self, *args, **kwargs):
        self._hold()  # one timeout for the whole sendall (the plain socket's) or for each send (TLS's)
        return super().sendall(*args, **kwargs)


class DeadlineSocket(_DeadlineMixin, socket.socket):
    """A TCP socket whose reads and writes end at the thread's deadline."""

    __slots__ = ()


class DeadlineSSLSocket(_DeadlineMixin, ssl.SSLSocket):
    """A TLS socket whose handshake, reads and writes end at the thread's deadline."""

    def do_handshake(self, *args, **kwargs):
        left = time_left()
        if left is not None and (self.gettimeout() is None or self.gettimeout() > left):
            self.settimeout(left)  # the handshake as a whole is bounded by the socket's timeout
        return super().do_handshake(*args, **kwargs)


@lru_cache(maxsize=4)
def tls_context(cafile: str | None = None) -> ssl.SSLContext:
    """Certificates and host names checked against ``cafile`` (certifi's bundle); deadline-keeping sockets."""
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    context.load_verify_locations(cafile=cafile or certifi.where())
    context.sslsocket_class = DeadlineSSLSocket
    return context


class BlockedConnection(NewConnectionError):
    """The connection was refused by the SSRF policy before any packet was sent."""

    def __init__(self, conn, why: str):
        super().__init__(conn, why)
        self.why = why


class _GuardedConnectionMixin:
    """Resolve, check every address, connect to a checked one (``policy`` is set per pool class)."""

    policy: AddressPolicy = AddressPolicy()

    def _new_conn(self) -> socket.socket:
        try:
            addresses = resolve_checked(self._dns_host, self.port, self.policy)
        except BlockedAddress as exc:
            raise BlockedConnection(self, f"Refused by the SSRF policy: {exc}") from exc
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        last_error: OSError | None = None
        for family, address in addresses:
            try:
                return self._connect_to(family, address)
            except TimeoutError as exc:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from exc
            except OSError as exc:
                last_error = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}") from last_error

    def _connect_to(self, family: int, address: str) -> socket.socket:
        """A connected socket to ``address``, within the connect timeout and the time left."""
        timeout = self.timeout if isinstance(self.timeout, (int, float)) else None
        left = time_left()
        if left is not None:
            timeout = left if timeout is None else min(timeout, left)
        return create_connection((address, self.port), timeout, family=family,
                                 source_address=self.source_address, socket_options=self.socket_options)


def create_connection(address: tuple[str, int], timeout: float | None, *, family: int = socket.AF_INET,
                      source_address: tuple[str, int] | None = None,
                      socket_options: list | None = None) -> DeadlineSocket:
    """A :class:`DeadlineSocket` connected to exactly ``address`` (an IP address the policy allowed)."""
    sock = DeadlineSocket(family, socket.SOCK_STREAM)
    try:
        for option in socket_options or ():
            sock.setsockopt(*option)
        sock.settimeout(timeout)
        if source_address:
            sock.bind(source_address)
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


@lru_cache(maxsize=32)
def _pool_classes(policy: AddressPolicy) -> dict[str, type]:
    """Connection pool classes whose connections enforce ``policy``."""
    attrs = {"policy": policy}
    http_conn = type("GuardedHTTPConnection", (_GuardedConnectionMixin, HTTPConnection), attrs)
    https_conn = type("GuardedHTTPSConnection", (_GuardedConnectionMixin, HTTPSConnection), attrs)
    return {
        "http": type("GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
        "https": type("GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
    }


class GuardedSession:
    """Reusable connections to the addresses ``policy`` allows; no proxies, cookies, redirects or retries."""

    def __init__(self, policy: AddressPolicy | None = None):
        self.policy = policy if policy is not None else current_policy()
        self.pools = urllib3.PoolManager(num_pools=8, ssl_context=tls_context(), cert_reqs="CERT_REQUIRED")
        self.pools.pool_classes_by_scheme = _pool_classes(self.policy)

    def pool(self, scheme: str, host: str, port: int | None) -> HTTPConnectionPool:
        """The connection pool of one origin."""
        return self.pools.connection_from_host(host, port, scheme)

    def close(self) -> None:
        """Close every connection."""
        self.pools.clear()


def webhook_session(webhook_id: int) -> GuardedSession:
    """This thread's guarded session for one webhook, so that connections to its receiver are reused.

    Keyed by the webhook and the current address policy: a changed policy (development mode, allowed
    networks) gets a new session, and every new connection is still checked.
    """
    policy = current_policy()
    cache = getattr(_local, "sessions", None)
    if cache is None:
        cache = _local.sessions = {}
    key = (webhook_id, policy)
    session = cache.get(key)
    if session is None:
        if len(cache) >= MAX_SESSIONS:
            for old in cache.values():
                old.close()
            cache.clear()
        session = cache[key] = GuardedSession(policy)
    return session
