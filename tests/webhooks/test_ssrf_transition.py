"""SSRF: IPv6 transition ranges are judged as IPv6, and a trailing dot does not hide an IP literal.

Loopback is opened the two ways an operator can (``JOMRES_WEBHOOK_ALLOWED_NETWORKS=127.0.0.1/32`` and
development mode); neither opens NAT64, 6to4, Teredo or IPv4-compatible addresses, which the kernel routes
as IPv6, off the box. No test sends a packet: the transport's ``create_connection`` only records.
"""

from __future__ import annotations

import pytest

from jomres_like.services import ValidationError
from jomres_like.webhooks import guarded, ssrf
from jomres_like.webhooks import transport as http

TRANSITION_FORMS = [
    "http://[64:ff9b::7f00:1]:8000/",  # NAT64 well-known prefix, carrying 127.0.0.1
    "http://[64:ff9b:1::7f00:1]:8000/",  # NAT64 local-use prefix
    "http://[2002:7f00:1::]:8000/",  # 6to4 of 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:8000/",  # Teredo, client 127.0.0.1
    "http://[::127.0.0.1]:8000/",  # deprecated IPv4-compatible
    "http://[::7f00:1]:8000/",
]

TRAILING_DOT_FORMS = ["http://127.0.0.1.:8000/", "http://0x7f000001.:8000/", "http://2130706433.:8000/",
                      "http://127.1.:8000/", "http://localhost.:8000/"]


@pytest.fixture(params=["allowed-127.0.0.1/32", "development"])
def loopback_open(request, app_config):
    """Loopback opened by the allowed networks or by development mode; nothing else opened."""
    if request.param == "development":
        app_config.update(JOMRES_DEVELOPMENT=True, JOMRES_WEBHOOK_ALLOWED_NETWORKS=())
    else:
        app_config.update(JOMRES_DEVELOPMENT=False, JOMRES_WEBHOOK_ALLOWED_NETWORKS=("127.0.0.1/32",))
    return request.param


@pytest.fixture
def connected(monkeypatch):
    """The addresses the transport tries to connect to; every attempt is refused without a packet."""
    seen: list[str] = []

    def no_network(address, *args, **kwargs):
        seen.append(address[0])
        raise ConnectionRefusedError("no network in tests")

    monkeypatch.setattr(guarded, "create_connection", no_network)
    return seen


@pytest.mark.parametrize("url", TRANSITION_FORMS)
def test_transition_forms_are_refused_at_save_when_loopback_is_open(loopback_open, ctx, url):
    with pytest.raises(ValidationError) as caught:
        ssrf.validate_url(url, development=loopback_open == "development")
    assert caught.value.field == "url"
    assert "forbidden address" in caught.value.message
    assert "IPv6 transition range" in caught.value.message


@pytest.mark.parametrize("url", TRANSITION_FORMS)
def test_transition_forms_are_refused_at_connect_time_when_loopback_is_open(
    loopback_open, ctx, connected, url
):
    result = http.post(url, b"{}", {"Content-Type": "application/json"})
    assert result.ok is False
    assert result.error.startswith("Refused by the SSRF policy"), result.error
    assert "IPv6 transition range" in result.error
    assert connected == []


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:7f00:1::", "::127.0.0.1",
                                     "2001:0:4136:e378:8000:63bf:80ff:fffe", "2002:5db8:d822::"])
def test_resolve_checked_refuses_transition_addresses_a_name_resolves_to(monkeypatch, address):
    monkeypatch.setattr(ssrf, "resolve", lambda host, port: [(10, address)])
    for policy in (ssrf.AddressPolicy(allowed=ssrf.parse_networks("127.0.0.1/32")),
                   ssrf.AddressPolicy(allow_loopback=True), ssrf.AddressPolicy()):
        with pytest.raises(ssrf.BlockedAddress, match="IPv6 transition range"):
            ssrf.resolve_checked("hooks.example.com", 443, policy)


def test_an_allowed_ipv6_range_opens_nat64_but_not_other_transition_ranges(ctx, connected):
    ctx.config.update(JOMRES_DEVELOPMENT=False, JOMRES_WEBHOOK_ALLOWED_NETWORKS=("64:ff9b::/96",))
    assert ssrf.validate_url("http://[64:ff9b::7f00:1]:8000/", development=False)
    assert ssrf.validate_url("http://[64:ff9b::5db8:d822]/", development=False)
    result = http.post("http://[64:ff9b::7f00:1]:8000/", b"{}", {})
    assert "Refused by the SSRF policy" not in result.error
    assert connected == ["64:ff9b::7f00:1"]
    for url in ("http://[2002:7f00:1::]/", "http://[::127.0.0.1]/", "http://[64:ff9b:1::7f00:1]/"):
        with pytest.raises(ValidationError):
            ssrf.validate_url(url, development=False)
    with pytest.raises(ValidationError, match="metadata"):
        ssrf.validate_url("http://[64:ff9b::a9fe:a9fe]/", development=False)


def test_ipv4_mapped_addresses_are_still_judged_as_their_ipv4_address(loopback_open, ctx):
    development = loopback_open == "development"
    assert ssrf.validate_url("http://[::ffff:127.0.0.1]:8000/", development=development)
    for url in ("http://[::ffff:10.0.0.1]/", "http://[::ffff:169.254.169.254]/"):
        with pytest.raises(ValidationError):
            ssrf.validate_url(url, development=development)


def test_metadata_address_stays_refused_in_any_ipv6_form_even_when_allowed():
    policy = ssrf.AddressPolicy(allowed=ssrf.parse_networks("::/0, 0.0.0.0/0"), allow_loopback=True)
    for address in ("::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::", "::169.254.169.254"):
        assert ssrf.refusal_reason(ssrf.literal_address(address), policy) == "the cloud metadata address"


@pytest.mark.parametrize("url", TRAILING_DOT_FORMS)
def test_trailing_dot_forms_are_judged_like_the_host_without_the_dot(loopback_open, ctx, connected, url):
    assert ssrf.validate_url(url, development=loopback_open == "development") == url
    http.post(url, b"{}", {})
    assert connected and set(connected) <= {"127.0.0.1", "::1"}


@pytest.mark.parametrize("url", ["http://10.0.0.1.:8000/", "http://0xa000001.:8000/", "http://169.254.169.254./",
                                 "http://3232235521./"])
def test_trailing_dot_forms_outside_the_open_range_are_refused_at_save_and_connect_time(
    loopback_open, ctx, connected, url
):
    with pytest.raises(ValidationError, match="forbidden address"):
        ssrf.validate_url(url, development=loopback_open == "development")
    assert http.post(url, b"{}", {}).error.startswith("Refused by the SSRF policy")
    assert connected == []


def test_resolve_checked_judges_a_literal_with_a_trailing_dot_as_the_literal():
    with pytest.raises(ssrf.BlockedAddress, match="127.0.0.1 is a loopback address"):
        ssrf.resolve_checked("0x7f000001.", 80, ssrf.AddressPolicy())
    allowed = ssrf.AddressPolicy(allowed=ssrf.parse_networks("127.0.0.1/32"))
    assert [address for _family, address in ssrf.resolve_checked("127.0.0.1.", 80, allowed)] == ["127.0.0.1"]


@pytest.mark.parametrize("url", ["http://127.0.0.1../", "http://example.com../", "http://0x7f000001../"])
def test_more_than_one_trailing_dot_is_refused_at_save(ctx, url):
    with pytest.raises(ValidationError) as caught:
        ssrf.validate_url(url, development=True)
    assert caught.value.field == "url"
