"""No hostile body, string or query gets a 500 from the REST API, on every database.

The endpoints come from the URL map (every POST, PUT and PATCH under ``/jomres/api``) and their text fields
from the schemas flask-smorest recorded on the views, so an endpoint or a field added later is covered
without editing this file. PostgreSQL refuses NUL in text and no driver can send a lone surrogate, so these
cases failed there (and the surrogate everywhere) before the text check.
"""

from __future__ import annotations

import base64
import json
import tempfile
from dataclasses import dataclass
from dataclasses import field as dataclass_field

import pytest
from dbtools import empty_tables, make_test_config
from marshmallow import fields
from sqlalchemy import func, select

from jomres_like import create_app
from jomres_like.extensions import db
from jomres_like.models import Booking, User

from .conftest import ALL_SCOPES, OWN, basic, bearer

API = "/jomres/api"
BODY_METHODS = ("POST", "PUT", "PATCH")
DEPTH = 100_000
HOSTILE_BODIES = {
    "arrays_100000_deep": "[" * DEPTH + "]" * DEPTH,
    "objects_100000_deep": '{"a": ' * DEPTH + "1" + "}" * DEPTH,
    "integer_of_5000_digits": '{"contract_total": 1' + "0" * 4999 + "}",
}
HOSTILE_TEXT = {"nul": ("a\x00b", "NUL"), "lone_surrogate": ("\ud800", "surrogate")}


def _listing_app():
    folder = tempfile.mkdtemp(prefix="jomres-hostile-")
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "listing", "TESTING": True,
                       "JOMRES_TEMP_DIR": folder + "/temp", "JOMRES_LOG_DIR": folder + "/logs",
                       "JOMRES_SWEEP_SECONDS": 0})


def _schemas(view, location: str) -> list:
    parameters = (getattr(view, "_apidoc", {}).get("arguments") or {}).get("parameters", [])
    return [p["schema"] for p in parameters if p.get("in", p.get("location")) == location]


def _routes():
    """``(method, rule, endpoint, body schema or None, query schema or None, scope)`` of every API route."""
    app = _listing_app()
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body = _schemas(view, "json") if method in BODY_METHODS else []
            query = _schemas(view, "query") if method == "GET" else []
            found.append((method, rule.rule, rule.endpoint, body[0] if body else None,
                          query[0] if query else None, getattr(view, "_jomres_scope", None)))
    return sorted(found, key=lambda route: (route[1], route[0]))


ROUTES = _routes()
BODY_ROUTES = [route for route in ROUTES if route[0] in BODY_METHODS]


def _text_fields(schema_class) -> list[tuple[str, object, str]]:
    """``(path, body builder, error key)`` for every text field of a request schema, nested ones too."""
    found = []
    for name, field in schema_class().fields.items():
        key = field.data_key or name
        for suffix, wrap, error in _texts_in(field):
            found.append((key + suffix, lambda value, key=key, wrap=wrap: {key: wrap(value)}, key + error))
    return found


def _texts_in(field) -> list[tuple[str, object, str]]:
    """``(path suffix, value builder, error key suffix)`` for each text field in ``field``."""
    if isinstance(field, fields.String):
        return [("", lambda value: value, "")]
    if isinstance(field, fields.List):
        return [("[]" + path, lambda value, wrap=wrap: [wrap(value)], ".0" + error)
                for path, wrap, error in _texts_in(field.inner)]
    if isinstance(field, fields.Dict) and field.value_field is not None:
        return [("{}" + path, lambda value, wrap=wrap: {"header": wrap(value)}, ".header" + error)
                for path, wrap, error in _texts_in(field.value_field)]
    if isinstance(field, fields.Nested):
        nested = _text_fields(field.schema.__class__)
        return [("." + path, build, "." + error) for path, build, error in nested]
    return []


def _text_cases():
    cases = []
    for method, rule, _endpoint, schema, _query, _scope in BODY_ROUTES:
        for path, build, error_key in _text_fields(schema) if schema else ():
            for kind in HOSTILE_TEXT:
                cases.append(pytest.param(method, rule, build, error_key, kind,
                                          id=f"{method} {rule} {path} {kind}"))
    return cases


def _url(rule: str, site: Site) -> str:
    values = {"property_uid": OWN, "contract_uid": site.booking}
    url = rule
    for name, value in values.items():
        url = url.replace(f"<int:{name}>", str(value))
    while "<int:" in url:  # ids the site does not name: 1 (a 404 at worst, after the body is read)
        start = url.index("<int:")
        url = url[:start] + "1" + url[url.index(">", start) + 1:]
    return url


@dataclass
class Site:
    """The demo data, seeded once for the module: a client, a booking of property 1, tokens and an app key."""

    app: object
    client: object
    booking: int
    tokens: dict = dataclass_field(default_factory=dict)
    key: tuple = ()

    def headers(self, scope: str | None) -> dict:
        """JSON headers with a token of ``manager`` (of ``super`` for ``search_get``)."""
        token = self.tokens["super" if scope == "search_get" else "manager"]
        return {**bearer(token), "Content-Type": "application/json"}


def _token(client, client_id: str, secret: str) -> str:
    response = client.post(API + "/oauth/token", data={"grant_type": "client_credentials"},
                           headers=basic(client_id, secret))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["access_token"]


@pytest.fixture(scope="module")
def site(_schema, database_url, tmp_path_factory):
    """Seed the demo once for the module (these requests change nothing but one booking's requests)."""
    from jomres_like.demo import seed_demo
    from jomres_like.oauth.keys import create_key

    app = create_app(make_test_config(database_url, tmp_path_factory.mktemp("hostile")))
    with app.app_context():
        seed_demo()
        keys = {}
        for username, scopes in (("manager", ALL_SCOPES), ("super", ("search_get",))):
            user = db.session.scalar(select(User).where(User.username == username))
            key, secret = create_key(user, f"hostile-{username}", list(scopes))
            keys[username] = (key.client_id, secret)
        db.session.commit()
        booking = db.session.scalar(select(Booking.id).where(Booking.property_id == OWN).order_by(Booking.id))
    result = Site(app, app.test_client(), booking, key=keys["manager"])
    result.tokens = {username: _token(result.client, *pair) for username, pair in keys.items()}
    yield result
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.engine.dispose()


def _error(response) -> dict:
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)[:300]
    assert body["error_message"] and body["meta"]["error_message"] == body["error_message"], body
    return body


def test_every_body_endpoint_is_found():
    """The parametrisation really holds the API's body endpoints (guards against an empty list)."""
    rules = {(method, rule) for method, rule, *_rest in BODY_ROUTES}
    assert {("POST", f"{API}/properties/<int:property_uid>/bookings"), ("POST", f"{API}/oauth/token"),
            ("PUT", f"{API}/properties/<int:property_uid>/tariffs"), ("POST", f"{API}/webhook_subscriptions")
            } <= rules
    assert len(_text_cases()) >= 20


@pytest.mark.parametrize("kind", sorted(HOSTILE_BODIES))
@pytest.mark.parametrize(("method", "rule", "endpoint", "schema", "query", "scope"), BODY_ROUTES,
                         ids=[f"{route[0]} {route[1]}" for route in BODY_ROUTES])
def test_a_hostile_json_body_is_a_4xx_with_a_message(site, kind, method, rule,
                                                     endpoint, schema, query, scope):
    """Nested 100,000 deep or with a 5,000-digit integer: 400 where a JSON body is read, never a 5xx."""
    response = site.client.open(_url(rule, site), method=method, data=HOSTILE_BODIES[kind],
                           headers=site.headers(scope))
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if schema is not None:
        assert response.status_code == 400
        assert "JSON body" in _error(response)["error_message"]
    elif response.status_code >= 400:
        _error(response)


@pytest.mark.parametrize(("method", "rule", "build", "error_key", "kind"), _text_cases())
def test_hostile_text_in_any_text_field_is_a_422_naming_the_field(site, method, rule,
                                                                  build, error_key, kind):
    """A NUL or a lone surrogate in any text field of any body: 422, the field named, nothing stored."""
    value, word = HOSTILE_TEXT[kind]
    with site.app.app_context():
        bookings = db.session.scalar(select(func.count()).select_from(Booking))
    response = site.client.open(_url(rule, site), method=method, data=json.dumps(build(value)),
                           headers=site.headers(None))
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    errors = _error(response)["errors"]
    assert any(key.startswith(error_key) and word in message for key, message in errors.items()), errors
    with site.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Booking)) == bookings


def test_a_nul_in_special_requests_is_refused_and_not_stored(site):
    """``special_reqs`` with a NUL: 422 naming it (PostgreSQL raised DataError), the booking unchanged."""
    url = f"{API}/properties/{OWN}/bookings/{site.booking}"
    response = site.client.patch(url, json={"special_reqs": "late\x00arrival"},
                            headers=site.headers("bookings_set"))
    assert response.status_code == 422
    assert _error(response)["error_message"] == "special_reqs: Must not contain a NUL character (U+0000)."
    with site.app.app_context():
        assert "\x00" not in (db.session.get(Booking, site.booking).special_reqs or "")


def test_other_control_characters_are_refused_but_tab_and_newlines_are_text(site):
    """U+001B is refused (it forges log lines); tab, LF and CR stay ordinary text."""
    url = f"{API}/properties/{OWN}/bookings/{site.booking}"
    refused = site.client.patch(url, json={"special_reqs": "a\x1b[31m"}, headers=site.headers("bookings_set"))
    assert refused.status_code == 422
    assert "U+001B" in _error(refused)["errors"]["special_reqs"]
    kept = site.client.patch(url, json={"special_reqs": "line 1\r\n\tline 2"},
                             headers=site.headers("bookings_set"))
    assert kept.status_code == 200, kept.get_data(as_text=True)[:300]
    assert kept.json["data"]["contract_details"]["special_reqs"] == "line 1\r\n\tline 2"


QUERY_CASES = [
    pytest.param(rule, name, scope, id=f"{rule}?{name}")
    for method, rule, _endpoint, _body, query, scope in ROUTES if query is not None
    for name, field in query().fields.items() if isinstance(field, fields.String)
]


@pytest.mark.parametrize(("rule", "name", "scope"), QUERY_CASES)
@pytest.mark.parametrize("raw", ["%00", "%ED%A0%80"], ids=["nul", "invalid_utf8"])
def test_hostile_text_in_a_query_string_is_a_4xx(site, rule, name, scope, raw):
    """A NUL in a text query argument (``/search?q=%00``) is a 422 naming it; invalid UTF-8 is no 5xx."""
    response = site.client.get(f"{_url(rule, site)}?{name}={raw}", headers=site.headers(scope))
    if raw == "%00":
        assert response.status_code == 422
        assert "NUL" in _error(response)["errors"][name]
    else:  # Werkzeug decodes it as U+FFFD: ordinary text
        assert response.status_code < 500


def test_the_query_cases_are_found():
    """The search box of the API is among the query cases."""
    assert any(param.values[:2] == (f"{API}/search", "q") for param in QUERY_CASES)


@pytest.mark.parametrize("segment", ["%00", "%ED%A0%80", "a%00b"])
@pytest.mark.parametrize("template", [API + "/webhooks/1/{}", API + "/webhooks/1/booking_modified/{}",
                                      API + "/webhook_subscriptions/{}", API + "/properties/{}/bookings"])
def test_hostile_path_segments_are_404(site, template, segment):
    """An event name or id holding a NUL or invalid UTF-8 is not found, on every database."""
    response = site.client.get(template.format(segment), headers=site.headers("webhooks_get"))
    assert response.status_code == 404
    _error(response)


def _unknown_client(site, path: str, data: dict, headers: dict):
    """The answer to a client id no key has, sent the same way."""
    if headers:
        headers = basic("no-such-client", "not-the-secret")
    else:
        data = {**data, "client_id": "no-such-client", "client_secret": "not-the-secret"}
    return site.client.post(path, data=data, headers=headers)


def _same_answer(response, unknown) -> None:
    assert response.status_code == unknown.status_code == 401, response.get_data(as_text=True)[:300]
    assert _error(response)["error"] == "invalid_client"
    assert response.get_data() == unknown.get_data()  # nothing tells these from any unknown client
    assert response.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]


@pytest.mark.parametrize("endpoint", ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/"])
def test_basic_credentials_that_are_not_utf8_are_an_unknown_client(site, endpoint):
    """Base64 of bytes that are not UTF-8 in ``Authorization: Basic``: answered as an unknown client (401)."""
    raw = base64.b64encode(b"\xed\xa0\x80:secret").decode()
    data = {"grant_type": "client_credentials", "token": "x"}
    headers = {"Authorization": f"Basic {raw}"}
    response = site.client.post(API + endpoint, data=data, headers=headers)
    _same_answer(response, _unknown_client(site, API + endpoint, data, headers))


@pytest.mark.parametrize("endpoint", ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/"])
@pytest.mark.parametrize("how", ["form", "basic"])
def test_a_client_id_with_a_nul_is_an_unknown_client(site, how, endpoint):
    """A NUL in ``client_id`` (form field or Basic credentials): an unknown client, on every database."""
    client_id, secret = site.key
    data = {"grant_type": "client_credentials", "token": "x"}
    if how == "form":
        data.update(client_id=client_id + "\x00", client_secret=secret)
        headers = {}
    else:
        headers = basic(client_id + "\x00", secret)
    response = site.client.post(API + endpoint, data=data, headers=headers)
    _same_answer(response, _unknown_client(site, API + endpoint, {k: v for k, v in data.items()
                                                                  if not k.startswith("client_")}, headers))


@pytest.mark.parametrize("header", ["Authorization", "X-JOMRES-NO-ENVELOPE", "X-Request-ID"])
@pytest.mark.parametrize("value", ["Bearer a\x00b", "\x00", "\xed\xa0\x80", "Bearer " + "\x7f" * 600])
def test_hostile_header_values_are_no_5xx(site, header, value):
    """Header values with a NUL or bytes that are not UTF-8 (read as latin-1): a 401 or an answer, no 5xx."""
    headers = site.headers("properties_get")
    headers[header] = value
    response = site.client.get(f"{API}/properties/{OWN}", headers=headers)
    assert response.status_code in (200, 401), response.get_data(as_text=True)[:300]
    if response.status_code == 401:
        _error(response)
