"""SSRF protection: the save-time check and the connect-time guard of the transport (SPEC section 12).

No test sends a packet anywhere but 127.0.0.1: connection attempts are recorded by a stand-in for the
transport's ``create_connection``, which only lets loopback through.
"""

from __future__ import annotations

import socket

import pytest
from werkzeug import Response

from jomres_like.services import ValidationError
from jomres_like.webhooks import guarded, ssrf
from jomres_like.webhooks import transport as http

REFUSED_FORMS = [
    "http://127.0.0.1/",
    "http://127.0.0.2:8080/hook",
    "http://localhost/",
    "http://LOCALHOST.:5000/",
    "http://api.localhost/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://127.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::a00:1]/",
    "http://10.0.0.1/",
    "http://10.255.255.255/",
    "http://172.16.0.1/",
    "http://172.31.255.254/",
    "http://192.168.1.1/",
    "https://169.254.169.254/latest/meta-data/",
    "http://169.254.1.1/",
    "http://100.64.0.1/",
    "http://100.127.255.254/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://239.255.255.250:1900/",
    "http://[ff02::1]/",
    "http://[fe80::1]/",
    "http://[fec0::1]/",
    "http://[fc00::1]/",
    "http://[fd00:ec2::254]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://198.18.0.1/",
    "http://192.0.2.10/",
    "http://127.0.0.1./",
    "http://0x7f000001./",
    "http://2130706433./",
    "http://127.1./",
    "http://0177.0.0.1/",
    "http://0x7f.0.0.1/",
    "http://127.0.1/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::7f00:1]/",
    "http://[64:ff9b:1::7f00:1]/",
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
    "http://[64:ff9b::a9fe:a9fe]/",
]

MALFORMED = [
    "",
    "   ",
    "ftp://example.com/file",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "gopher://example.com:70/",
    "example.com/hook",
    "http:///nohost",
    "http://exa mple.com/",
    "http://user:password@example.com/",
    "http://example.com:99999/",
    "http://example.com/#fragment",
    "http://example.com/" + "a" * 2100,
    "http://[::1/",
    "http://" + "a" * 300 + ".example.com/",
    "https://exa\u0000mple.com/",
    "http://-bad-.example.com/",
    "http://a..b.example.com/",
]


@pytest.fixture
def app_config(app_config):
    """Production rules, nothing opened: the mode comes from the site setting (off by default)."""
    app_config.update(JOMRES_WEBHOOK_ALLOWED_NETWORKS=(), JOMRES_DEVELOPMENT=None)
    return app_config


@pytest.fixture
def resolver(monkeypatch):
    """Fake DNS for the SSRF module only: ``resolver["name"] = ["1.2.3.4", ...]``; literals resolve to
    themselves, other names do not resolve. The process's own resolver (database drivers) is untouched."""
    table: dict[str, list[str]] = {}

    def fake_resolve(host, port):
        literal = ssrf.literal_address(host)
        addresses = [str(literal)] if literal is not None else table.get(host.lower().rstrip("."))
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in address else socket.AF_INET, address) for address in addresses]

    monkeypatch.setattr(ssrf, "resolve", fake_resolve)
    return table


@pytest.fixture
def connections(monkeypatch):
    """Record every address the transport connects to; only loopback really connects."""
    seen: list[str] = []
    real = guarded.create_connection

    def guarded_create_connection(address, *args, **kwargs):
        seen.append(address[0])
        assert address[0] in ("127.0.0.1", "::1"), f"test tried to reach {address[0]}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(guarded, "create_connection", guarded_create_connection)
    return seen


@pytest.mark.parametrize("url", REFUSED_FORMS)
def test_save_time_check_refuses_internal_forms(ctx, url):
    with pytest.raises(ValidationError) as caught:
        ssrf.validate_url(url, development=False)
    assert caught.value.field == "url"
    assert "forbidden address" in caught.value.message


@pytest.mark.parametrize("url", REFUSED_FORMS)
def test_connect_time_guard_refuses_internal_forms(ctx, connections, url):
    result = http.post(url, b"{}", {"Content-Type": "application/json"})
    assert result.ok is False
    assert result.status_code is None
    assert result.error.startswith("Refused by the SSRF policy"), result.error
    assert connections == []


def test_at_least_twenty_forms_are_covered():
    assert len(REFUSED_FORMS) >= 20


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_refused_with_a_clear_message(ctx, url):
    with pytest.raises(ValidationError) as caught:
        ssrf.validate_url(url, development=False)
    assert caught.value.field == "url"
    assert caught.value.message


def test_non_string_url_is_refused(ctx):
    with pytest.raises(ValidationError):
        ssrf.validate_url(None, development=False)  # type: ignore[arg-type]


def test_public_addresses_and_names_are_accepted(ctx, resolver):
    resolver["hooks.example.com"] = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]
    cleaned = ssrf.validate_url(" https://hooks.example.com/in ", development=False)
    assert cleaned == "https://hooks.example.com/in"
    assert ssrf.validate_url("http://8.8.8.8:8080/x?y=1", development=False) == "http://8.8.8.8:8080/x?y=1"
    resolver["bücher.example"] = ["93.184.216.34"]
    assert ssrf.validate_url("https://bücher.example/hook", development=False)
    resolver["bücher.example"] = ["10.0.0.1"]
    with pytest.raises(ValidationError):
        ssrf.validate_url("https://bücher.example/hook", development=False)


def test_a_name_that_does_not_resolve_yet_is_accepted_and_checked_at_connect_time(ctx, resolver, connections):
    assert ssrf.validate_url("https://not-yet.example.org/hook", development=False)
    result = http.post("https://not-yet.example.org/hook", b"{}", {})
    assert result.ok is False
    assert result.error == "The host name does not resolve"
    assert connections == []


def test_a_name_resolving_to_loopback_is_refused(ctx, resolver, connections):
    resolver["innocent.example.com"] = ["127.0.0.1"]
    with pytest.raises(ValidationError):
        ssrf.validate_url("http://innocent.example.com/", development=False)
    result = http.post("http://innocent.example.com/", b"{}", {})
    assert result.error == "Refused by the SSRF policy: 127.0.0.1 is a loopback address"
    assert connections == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(ctx, resolver, connections):
    resolver["mixed.example.com"] = ["93.184.216.34", "10.1.2.3"]
    with pytest.raises(ValidationError) as caught:
        ssrf.validate_url("https://mixed.example.com/", development=False)
    assert "10.1.2.3" in caught.value.message
    assert http.post("https://mixed.example.com/", b"{}", {}).error.startswith("Refused by the SSRF policy")
    assert connections == []


def test_the_checked_address_is_the_one_connected_to(ctx, monkeypatch):
    """DNS rebinding: the first answer is public, later ones loopback; only the checked one is used."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])
    lookups: list[str] = []

    def rebinding_resolve(host, port):
        lookups.append(host)
        return [(socket.AF_INET, next(answers)[0])]

    connected: list[str] = []

    def no_network(address, *args, **kwargs):
        connected.append(address[0])
        raise ConnectionRefusedError("not in tests")

    monkeypatch.setattr(ssrf, "resolve", rebinding_resolve)
    monkeypatch.setattr(guarded, "create_connection", no_network)
    result = http.post("http://rebind.example.com/", b"{}", {})
    assert result.ok is False
    assert lookups == ["rebind.example.com"]
    assert connected == ["93.184.216.34"]


def test_development_mode_allows_loopback_only(ctx):
    assert ssrf.validate_url("http://127.0.0.1:5055/hook", development=True)
    assert ssrf.validate_url("http://localhost:5055/hook", development=True)
    assert ssrf.validate_url("http://[::1]:5055/hook", development=True)
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://192.168.0.1/", "http://[fc00::1]/"):
        with pytest.raises(ValidationError):
            ssrf.validate_url(url, development=True)


def test_development_mode_from_the_site_setting_opens_loopback_at_connect_time(ctx, httpserver):
    from jomres_like.services.site import set_development_mode

    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    assert http.post(httpserver.url_for("/hook"), b"{}", {}).error.startswith("Refused by the SSRF policy")
    set_development_mode(True)
    result = http.post(httpserver.url_for("/hook"), b"{}", {})
    assert result.ok is True, result.error
    assert len(httpserver.log) == 1


def test_production_refuses_a_local_receiver_and_sends_nothing(ctx, httpserver):
    httpserver.expect_request("/hook").respond_with_data("should not be reached")
    result = http.post(httpserver.url_for("/hook"), b"{}", {})
    assert result.ok is False
    assert result.error == "Refused by the SSRF policy: localhost is a local host name"
    assert http.post(httpserver.url_for("/hook").replace("localhost", "127.0.0.1"), b"{}", {}).error == (
        "Refused by the SSRF policy: 127.0.0.1 is a loopback address"
    )
    assert httpserver.log == []


@pytest.fixture
def allow_local(app_config):
    """Production mode with 127.0.0.1/32 opened by JOMRES_WEBHOOK_ALLOWED_NETWORKS."""
    app_config["JOMRES_DEVELOPMENT"] = False
    app_config["JOMRES_WEBHOOK_ALLOWED_NETWORKS"] = ("127.0.0.1/32", "not-a-network")
    return app_config


REDIRECT_TARGETS = ["http://10.0.0.1/", "http://127.0.0.2/internal", "http://169.254.169.254/"]


@pytest.mark.parametrize("target", REDIRECT_TARGETS)
def test_a_redirect_from_an_allowed_host_to_a_private_one_is_not_followed(
    allow_local, ctx, httpserver, connections, target
):
    httpserver.expect_request("/hook", method="POST").respond_with_response(
        Response("moved", status=302, headers={"Location": target})
    )
    result = http.post(httpserver.url_for("/hook"), b"{}", {})
    assert result.ok is False
    assert result.status_code == 302
    assert "Redirect not followed" in result.error
    assert connections == ["127.0.0.1"]
    assert len(httpserver.log) == 1


def test_allowed_networks_open_chosen_ranges_but_never_the_metadata_address(allow_local, ctx):
    assert ssrf.validate_url("http://127.0.0.1:8000/", development=False)
    with pytest.raises(ValidationError):
        ssrf.validate_url("http://127.0.0.2:8000/", development=False)
    policy = ssrf.AddressPolicy(allowed=ssrf.parse_networks("169.254.0.0/16, 10.0.0.0/8"))
    assert ssrf.refusal_reason(ssrf.literal_address("10.9.8.7"), policy) is None
    metadata = ssrf.literal_address("169.254.169.254")
    assert ssrf.refusal_reason(metadata, policy) == "the cloud metadata address"


def test_invalid_allowed_network_entries_are_ignored(ctx):
    expected = (ssrf.ipaddress.ip_network("10.0.0.0/8"),)
    assert ssrf.parse_networks("10.0.0.0/8, nonsense, ,192.168.0.0/33") == expected


def test_proxies_from_the_environment_are_ignored(allow_local, ctx, httpserver, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("http_proxy", "http://10.0.0.1:3128")
    httpserver.expect_request("/hook", method="POST").respond_with_data("direct")
    result = http.post(httpserver.url_for("/hook"), b"{}", {})
    assert result.ok is True
    assert result.response_excerpt == "direct"
