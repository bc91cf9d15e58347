"""Loopback receivers that misbehave on the wire (trickled bytes, gzip bombs, huge answers), and an RSS probe.

``RawServer(respond)`` listens on 127.0.0.1 and, for each connection, reads the request and calls
``respond(server, conn, request)`` on a thread of its own; ``close()`` stops every handler within a second.
"""

from __future__ import annotations

import gzip
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

MAX_CONNECTIONS = 16


class RawServer:
    """A 127.0.0.1 listener answering every connection with ``respond(server, conn, request)``.

    With ``tls`` (a server-side context), each connection is wrapped in TLS first.
    """

    def __init__(self, respond: Callable[[RawServer, socket.socket, bytes], None],
                 tls: ssl.SSLContext | None = None):
        self.respond = respond
        self.tls = tls
        self.requests: list[bytes] = []
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self._handlers: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def url(self, path: str = "/hook") -> str:
        """The URL of ``path`` on this server."""
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stopped.is_set() and len(self._handlers) < MAX_CONNECTIONS:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            handler = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            self._handlers.append(handler)
            handler.start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                request = read_request(conn)
                self.requests.append(request)
                self.respond(self, conn, request)
            except OSError:
                pass  # the client gave up: that is what these servers are for

    def close(self) -> None:
        """Stop accepting, end every handler (bounded), close the listener."""
        self.stopped.set()
        self._acceptor.join(timeout=2)
        for handler in self._handlers:
            handler.join(timeout=2)
        self.listener.close()


def read_request(conn: socket.socket) -> bytes:
    """One HTTP request (head and ``Content-Length`` body), at most 1 MB."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 1 << 20:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            length = min(int(value), 1 << 20)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def trickle(server: RawServer, conn: socket.socket, data: bytes, interval: float) -> None:
    """Send ``data`` one byte every ``interval`` seconds until done, the client leaves or the server stops."""
    for byte in data:
        if server.stopped.wait(interval):
            return
        conn.sendall(bytes([byte]))


def stream(server: RawServer, conn: socket.socket, head: bytes, chunks: Iterable[bytes]) -> None:
    """Send ``head``, then each chunk, until done, the client leaves or the server stops."""
    conn.sendall(head)
    for chunk in chunks:
        if server.stopped.is_set():
            return
        conn.sendall(chunk)


def answer_head(status: str = "200 OK", length: int | None = None, **headers: str) -> bytes:
    """An HTTP/1.1 status line and headers (``Content_Type`` for ``Content-Type``), closing the connection."""
    lines = [f"HTTP/1.1 {status}", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@lru_cache(maxsize=1)
def gzip_member(size: int = 8 << 20) -> bytes:
    """One gzip member inflating to ``size`` zero bytes (about a thousandth of that compressed)."""
    return gzip.compress(bytes(size), compresslevel=9)


def gzip_bomb(inflated: int = 1 << 30) -> tuple[int, Iterable[bytes]]:
    """``(compressed length, chunks)`` of a gzip body inflating to ``inflated`` bytes, made as it is sent.

    A gzip body may be several members one after the other; the same small member is sent again and again.
    """
    member = gzip_member()
    count = inflated // (8 << 20)
    return len(member) * count, (member for _ in range(count))


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def peak_rss_growth(action: Callable[[], object]) -> tuple[object, int]:
    """Run ``action``; return its result and how far this process's peak RSS rose above its RSS (bytes).

    Writing ``5`` to ``/proc/self/clear_refs`` resets the peak (``VmHWM``) to the current RSS first.
    """
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    result = action()
    return result, (_status_kb("VmHWM") - before) * 1024


def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no authority signed, and its key, as PEM files."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    )
    return cert_path, key_path
