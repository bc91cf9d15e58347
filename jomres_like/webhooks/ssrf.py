"""SSRF protection for webhook URLs: a save-time check and the connect-time address policy.

Only public addresses are reachable. Loopback, private, link-local, CGNAT, multicast, reserved, unspecified,
documentation and site-local ranges and the cloud metadata address are refused. An IPv4-mapped IPv6 address
(``::ffff:a.b.c.d``) is the IPv4 address to the kernel and is judged as that; the IPv6 transition ranges
(NAT64, 6to4, Teredo, IPv4-compatible) are routed as IPv6 and are refused as such, whatever IPv4 address they
carry, unless an allowed IPv6 range covers them. ``JOMRES_WEBHOOK_ALLOWED_NETWORKS`` (CIDRs) opens chosen
ranges, and development mode opens loopback so that the demo works. A host with one trailing dot
(``127.0.0.1.``) is judged like the host without it. :mod:`.transport` resolves the host name,
checks *every* address with :func:`check_address` and connects to exactly the address that passed.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app, has_app_context

from ..logs import get_logger
from ..services import ValidationError

log = get_logger("Webhooks")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_URL_LENGTH = 2048

# Never reachable, whatever JOMRES_WEBHOOK_ALLOWED_NETWORKS says: the cloud metadata services.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(value) for value in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254")
)

# Refused besides what ``ipaddress`` calls non-global (belt and braces; some are "global" to Python).
BLOCKED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(value)
    for value in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
        "::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)

# IPv6 ranges that tunnel or translate to IPv4 targets but are routed as IPv6: refused unless allowed.
TRANSITION_NETWORKS: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ipaddress.ip_network(value), name)
    for value, name in (
        ("64:ff9b::/96", "a NAT64"), ("64:ff9b:1::/48", "a NAT64"), ("2002::/16", "a 6to4"),
        ("2001::/32", "a Teredo"), ("::/96", "an IPv4-compatible"),
    )
)
_NOT_TRANSITION = frozenset(ipaddress.ip_address(value) for value in ("::", "::1"))

_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class BlockedAddress(Exception):
    """A webhook request would reach an address the policy refuses."""


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses a webhook request may reach: public ones, ``allowed`` networks, loopback if asked."""

    allowed: tuple[IPNetwork, ...] = field(default=())
    allow_loopback: bool = False


def parse_networks(values) -> tuple[IPNetwork, ...]:
    """Parse CIDRs (a comma-separated string or an iterable); invalid entries are logged and skipped."""
    if isinstance(values, str):
        values = [part for part in values.replace(";", ",").split(",")]
    networks = []
    for value in values or ():
        value = str(value).strip()
        if not value:
            continue
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            log.warning("Ignoring invalid JOMRES_WEBHOOK_ALLOWED_NETWORKS entry %r", value)
    return tuple(networks)


def current_policy(development: bool | None = None) -> AddressPolicy:
    """The policy of the running app: its allowed networks, and loopback in development mode."""
    if development is None:
        from ..services.site import development_mode

        development = development_mode() if has_app_context() else False
    allowed = current_app.config.get("JOMRES_WEBHOOK_ALLOWED_NETWORKS", ()) if has_app_context() else ()
    return AddressPolicy(allowed=parse_networks(allowed), allow_loopback=bool(development))


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    packed = ip.packed
    if packed[:12] == bytes(12) and packed[12:] != bytes(4) and ip != ipaddress.IPv6Address("::1"):
        return ipaddress.IPv4Address(packed[12:])  # deprecated IPv4-compatible form ::a.b.c.d
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(packed[12:])
    return None


def _transition_reason(ip: ipaddress.IPv6Address) -> str | None:
    """What ``ip`` is when it lies in an IPv6 transition range (NAT64, 6to4, Teredo...), else ``None``."""
    if ip in _NOT_TRANSITION:
        return None
    for network, name in TRANSITION_NETWORKS:
        if ip in network:
            inner = _embedded_ipv4(ip)
            carrying = f", carrying {inner}" if inner is not None else ""
            return f"{name} address (an IPv6 transition range{carrying})"
    return None


def refusal_reason(ip: IPAddress, policy: AddressPolicy) -> str | None:
    """Why ``ip`` may not be reached under ``policy``, or ``None`` when it may.

    IPv4-mapped addresses are judged as their IPv4 address; the IPv6 transition ranges are judged as IPv6
    (refused unless an allowed network covers the IPv6 address itself); metadata addresses are never allowed.
    """
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    inner = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    if ip in METADATA_ADDRESSES or inner in METADATA_ADDRESSES:
        return "the cloud metadata address"
    if any(ip in network for network in policy.allowed):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            reason = refusal_reason(ip.ipv4_mapped, policy)
            return f"an IPv6 form of {ip.ipv4_mapped} ({reason})" if reason else None
        transition = _transition_reason(ip)
        if transition is not None:
            return transition
    if ip.is_loopback:
        return None if policy.allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_link_local:
        return "a link-local address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "a site-local address"
    if ip in ipaddress.ip_network("100.64.0.0/10"):
        return "a carrier-grade NAT address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if any(ip in network for network in BLOCKED_NETWORKS) or not ip.is_global:
        return "a non-public address"
    return None


def check_address(address: str, policy: AddressPolicy) -> IPAddress:
    """Return ``address`` parsed when ``policy`` lets it be reached; else raise :class:`BlockedAddress`."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError as exc:
        raise BlockedAddress(f"{address!r} is not an IP address") from exc
    reason = refusal_reason(ip, policy)
    if reason:
        raise BlockedAddress(f"{ip} is {reason}")
    return ip


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells, in any form the C resolver accepts (``0x7f.1``, ``2130706433``...).

    One trailing dot is ignored (``127.0.0.1.`` and ``0x7f000001.`` are 127.0.0.1).
    """
    host = _without_trailing_dot(host.strip("[]"))
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))  # shorthand, hex, octal and integer forms
    except (OSError, ValueError):
        return None


def resolve(host: str, port: int) -> list[tuple[int, str]]:
    """Resolve ``host`` to ``[(family, address), ...]`` (TCP), without duplicates."""
    seen: list[tuple[int, str]] = []
    for family, _type, _proto, _canon, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        entry = (family, sockaddr[0])
        if entry not in seen:
            seen.append(entry)
    return seen


def resolve_checked(host: str, port: int, policy: AddressPolicy) -> list[tuple[int, str]]:
    """Resolve ``host`` and check *every* address; raise :class:`BlockedAddress` if any one is refused."""
    local = _is_local_name(host)
    if local and _refuses_local_names(policy):
        raise BlockedAddress(f"{host} is a local host name")
    if local or literal_address(host) is not None:
        host = _without_trailing_dot(host)  # "127.0.0.1." and "localhost." resolve like the name without it
    addresses = resolve(host, port)
    if not addresses:
        raise BlockedAddress(f"{host} has no address")
    for _family, address in addresses:
        check_address(address, policy)
    return addresses


def _without_trailing_dot(host: str) -> str:
    return host[:-1] if host.endswith(".") else host


def _is_local_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name in LOCAL_NAMES or name.endswith(".localhost")


def _refuses_local_names(policy: AddressPolicy) -> bool:
    """Local host names are refused unless loopback is open (development mode or an allowed network)."""
    if policy.allow_loopback:
        return False
    return not any(ipaddress.ip_address("127.0.0.1") in network for network in policy.allowed)


def _valid_hostname(host: str) -> bool:
    """Whether ``host`` is a syntactically valid DNS name (international names included)."""
    try:
        ascii_host = _without_trailing_dot(host).encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.split(".")
    return len(ascii_host) <= 253 and all(_LABEL.fullmatch(label) for label in labels)


def validate_url(url: str, *, development: bool) -> str:
    """The save-time check of a webhook URL; returns it cleaned or raises ValidationError (field ``url``).

    The host must be public (or allowed): IP literals in every spelling are checked, and names are resolved
    and every address checked. A name that does not resolve now is accepted; the connect-time check guards
    every request anyway.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("Enter the URL the webhook is sent to.", field="url")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"The URL is longer than {MAX_URL_LENGTH} characters.", field="url")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise ValidationError("The URL must not contain spaces or control characters.", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"The URL is not valid: {exc}.", field="url") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError("The URL must start with http:// or https://.", field="url")
    host = parts.hostname or ""
    if not host:
        raise ValidationError("The URL has no host name.", field="url")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Put credentials in the auth method's settings, not in the URL.", field="url")
    if parts.fragment:
        raise ValidationError("The URL must not contain a fragment (#...).", field="url")
    if literal_address(host) is None and not _valid_hostname(host):
        raise ValidationError("The URL's host name is not valid.", field="url")
    policy = current_policy(development)
    port = port or (443 if parts.scheme.lower() == "https" else 80)
    literal = literal_address(host)
    try:
        if literal is not None:
            check_address(str(literal), policy)
        elif _is_local_name(host) and _refuses_local_names(policy):
            raise BlockedAddress(f"{host} is a local host name")
        else:
            try:
                resolve_checked(host, port, policy)
            except (UnicodeError, OSError) as exc:
                log.info("Webhook host %s does not resolve now (%s); checked at connect time", host, exc)
    except BlockedAddress as exc:
        raise ValidationError(f"This URL points to a forbidden address: {exc}.", field="url") from exc
    return url
