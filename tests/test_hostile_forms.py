"""No hostile string gets a 500 from a page, on every database: every POST form and every GET filter.

The pages come from the URL map (every GET page of the manager and administrator areas, and the login page)
and their forms from the HTML they render, so a page or a field added later is covered without editing this
file. A NUL in a text field is refused with the field's error (PostgreSQL raised DataError on it before); a
surrogate cannot be sent in a form (it is not valid UTF-8): Werkzeug reads ``%ED%A0%80`` as U+FFFD, which is
ordinary text, so that case must only never be a 5xx.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
import wtforms
from dbtools import empty_tables, make_test_config
from flask import url_for
from sqlalchemy import func, select

from jomres_like import access, create_app
from jomres_like.extensions import db
from jomres_like.forms import BaseForm, PlainForm
from jomres_like.models import BlackBooking, Booking, BookingNote, Guest, Invoice, Room, Tariff, User

OWN = 1
LOGINS = {"manager": "manager", "super": "super", "admin": "admin"}
TEXT_INPUTS = ("text", "email", "url", "password", "search", "tel")
NUL = "a\x00b"
NUL_MESSAGE = "Must not contain a NUL character (U+0000)."
NOT_UTF8 = "%ED%A0%80"  # a lone surrogate's UTF-8 bytes: what a client would send for "\ud800"


def _listing_app():
    folder = tempfile.mkdtemp(prefix="jomres-forms-")
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "listing", "TESTING": True,
                       "JOMRES_TEMP_DIR": folder + "/temp", "JOMRES_LOG_DIR": folder + "/logs",
                       "JOMRES_SWEEP_SECONDS": 0})


def _pages() -> list[str]:
    """The endpoints of every GET page of the manager and administrator areas, and the login page."""
    app = _listing_app()
    found = {"auth.login"}
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rpartition(".")[0]
        if "GET" in rule.methods and access.PROTECTION.get(blueprint) in ("manager", "administrator"):
            found.add(rule.endpoint)
    return sorted(found)


PAGES = _pages()


@dataclass
class Form:
    """One form of a page as a browser would submit it, with the names of its text fields."""

    method: str
    action: str
    fields: list = dataclass_field(default_factory=list)
    text: list = dataclass_field(default_factory=list)


class _Forms(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = Form((attrs.get("method") or "get").lower(), attrs.get("action") or self.page_url)
            self.forms.append(self._form)
        form, name = self._form, attrs.get("name")
        if form is None or (not name and tag != "option"):
            return
        if tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in attrs or kind in ("submit", "button"):
                return
            form.fields.append((name, attrs.get("value") or ("y" if kind == "checkbox" else "")))
            if kind in TEXT_INPUTS:
                form.text.append(name)
        elif tag == "textarea":
            form.fields.append((name, ""))
            form.text.append(name)
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            form.fields.append((self._select, attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_of(html: str, page_url: str) -> list[Form]:
    """The forms of a page."""
    parser = _Forms(page_url)
    parser.feed(html)
    return parser.forms


def text_forms(response, url: str, method: str) -> list[Form]:
    """The forms of a page sent with ``method`` that have text fields."""
    forms = forms_of(response.get_data(as_text=True), url)
    return [form for form in forms if form.method == method and form.text]


def encoded(fields: list[tuple[str, str]], text: list[str], raw: str) -> str:
    """The form's fields URL-encoded, each text field replaced by ``raw`` (already percent-encoded)."""
    parts = []
    for name, value in fields:
        parts.append(f"{quote(name)}={raw if name in text else quote(value)}")
    parts.extend(f"{quote(name)}={raw}" for name in text if name not in dict(fields))
    return "&".join(parts)


@dataclass
class World:
    """The seeded app, one logged-in client per role, and the ids of property 1's records."""

    app: object
    clients: dict = dataclass_field(default_factory=dict)
    ids: dict = dataclass_field(default_factory=dict)


def _first(model, *where) -> int:
    return db.session.scalar(select(model.id).where(*where).order_by(model.id))


@pytest.fixture(scope="module")
def world(_schema, database_url, tmp_path_factory):
    """Seed the demo once, with a black booking, a webhook and an app key; log in each role."""
    from datetime import timedelta

    from jomres_like.demo import seed_demo
    from jomres_like.models import Property
    from jomres_like.oauth.keys import create_key
    from jomres_like.services.blackbookings import create_black_booking
    from jomres_like.services.users import create_user
    from jomres_like.timeutil import utc_today
    from jomres_like.webhooks import service

    config = make_test_config(database_url, tmp_path_factory.mktemp("forms"))
    config["JOMRES_DEVELOPMENT"] = True  # loopback webhook URLs are allowed
    app = create_app(config)
    result = World(app)
    with app.app_context():
        seed_demo()
        manager = db.session.scalar(select(User).where(User.username == "manager"))
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        room = _first(Room, Room.property_id == OWN)
        far = utc_today() + timedelta(days=200)
        create_black_booking(db.session.get(Property, OWN),
                             {"start": far, "end": far + timedelta(days=1), "room_uids": [room]})
        webhook, _secret = service.create_webhook(manager, {"url": "http://127.0.0.1:9/hook",
                                                            "enabled": False})
        site_webhook, _secret = service.create_webhook(admin, {"url": "http://127.0.0.1:9/site",
                                                               "enabled": False})
        key, _secret = create_key(manager, "forms", ["bookings_get"])
        # the user the administrator's edit form changes: not one whose client these tests use
        other = create_user("hostile-other", "hostile-other-pass", "manager")
        db.session.commit()
        booking = _first(Booking, Booking.property_id == OWN)
        result.ids = {
            "property_uid": OWN, "contract_uid": booking, "room_uid": room,
            "guest_uid": _first(Guest, Guest.property_id == OWN),
            "tariff_id": _first(Tariff, Tariff.property_id == OWN),
            "invoice_uid": _first(Invoice, Invoice.property_id == OWN),
            "blackbooking_uid": _first(BlackBooking, BlackBooking.property_id == OWN),
            "note_id": _first(BookingNote, BookingNote.booking_id == booking),
            "webhook_id": webhook.id, "key_id": key.id, "user_id": other.id,
            "site_webhook_id": site_webhook.id,
        }
    for role, password in LOGINS.items():
        client = app.test_client()
        response = client.post("/login", data={"username": role, "password": password})
        assert response.status_code == 302, role
        result.clients[role] = client
    yield result
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.engine.dispose()


def open_page(world: World, endpoint: str):
    """``(client, url, response)`` of a page, for the role that may see it (404 pages are skipped); the login
    page with a new client (another test may have created, and logged in as, a user named U+FFFD)."""
    ids = dict(world.ids)
    if endpoint.startswith("admin.site_webhook"):
        ids["webhook_id"] = ids["site_webhook_id"]
    with world.app.test_request_context():
        rule = next(r for r in world.app.url_map.iter_rules() if r.endpoint == endpoint)
        url = url_for(endpoint, **{name: ids.get(name, 1) for name in rule.arguments})
    if endpoint == "auth.login":
        roles = ["anonymous"]
    else:
        roles = ["admin"] if endpoint.startswith("admin.") else ["manager", "super"]
    for role in roles:
        client = world.app.test_client() if role == "anonymous" else world.clients[role]
        response = client.get(url)
        if response.status_code != 403:
            break
    if 300 <= response.status_code < 400:
        assert "/login" not in response.headers["Location"], f"{url}: {role} was logged out"
        pytest.skip(f"{url}: a page shown once, already shown")
    if response.status_code == 404:
        pytest.skip(f"{url}: no such record in the demo")
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return client, url, response


def test_the_pages_are_found():
    """The parametrisation holds the pages with the forms the issue names (guards against an empty list)."""
    assert {"manager.booking_view", "manager.booking_edit", "manager.webhook_new", "manager.bookings",
            "manager.guests", "admin.logs", "admin.user_new", "auth.login"} <= set(PAGES)


@pytest.mark.parametrize("endpoint", PAGES)
def test_a_nul_in_any_text_field_of_a_post_form_is_refused_naming_the_field(world, endpoint):
    """Every POST form with text fields, a NUL in each: a 4xx with the field's error (or, for the booking
    page's note and deposit forms, a redirect to the page showing it), never a 5xx."""
    client, url, response = open_page(world, endpoint)
    forms = text_forms(response, url, "post")
    if not forms:
        pytest.skip("no POST form with text fields")
    for form in forms:
        answer = client.post(form.action, data=encoded(form.fields, form.text, "a%00b"),
                             content_type="application/x-www-form-urlencoded")
        body = answer.get_data(as_text=True)
        if answer.status_code == 303:  # a form posting to a URL without a page shows its errors where it goes
            answer = client.get(answer.headers["Location"])
            body = answer.get_data(as_text=True)
            assert answer.status_code == 200, f"{form.action}: {answer.status_code}"
        else:
            assert answer.status_code in (400, 422), f"{form.action}: {answer.status_code} {body[:300]}"
        assert NUL_MESSAGE in body, form.action


@pytest.mark.parametrize("endpoint", PAGES)
def test_invalid_utf8_in_any_text_field_of_a_post_form_is_no_5xx(world, endpoint):
    """A lone surrogate's bytes in every text field arrive as U+FFFD: accepted or refused, never a 5xx."""
    client, url, response = open_page(world, endpoint)
    forms = text_forms(response, url, "post")
    for form in forms:
        answer = client.post(form.action, data=encoded(form.fields, form.text, NOT_UTF8),
                             content_type="application/x-www-form-urlencoded")
        assert answer.status_code < 500, f"{form.action}: {answer.status_code}"


@pytest.mark.parametrize("endpoint", PAGES)
def test_a_nul_in_a_get_filter_is_a_400_with_a_message(world, endpoint):
    """Every search box and filter of a page (``/bookings?q=%00``...): 400 with the field's error."""
    client, url, response = open_page(world, endpoint)
    forms = text_forms(response, url, "get")
    if not forms:
        pytest.skip("no GET form with text fields")
    for form in forms:
        for raw, refused in (("%00", True), ("a%00b", True), (NOT_UTF8, False)):
            target = f"{form.action.split('?')[0]}?{encoded(form.fields, form.text, raw)}"
            answer = client.get(target)
            assert answer.status_code < 500, f"{target}: {answer.status_code}"
            if refused:
                assert answer.status_code == 400, target
                assert NUL_MESSAGE in answer.get_data(as_text=True), target


@pytest.mark.parametrize("query", ["q=%00", "page=%00", "start=%00&end=%00&status=%00", "channel=%00",
                                   f"q={NOT_UTF8}", "page=99999999999999999999"])
@pytest.mark.parametrize("endpoint", ["manager.bookings", "manager.guests", "admin.logs", "manager.webhooks",
                                      "manager.properties", "admin.users"])
def test_hostile_query_arguments_are_no_5xx(world, endpoint, query):
    """Query arguments a page reads, hostile or not its own: never a 5xx (a NUL in ``q`` is a 400)."""
    client, url, _response = open_page(world, endpoint)
    answer = client.get(f"{url}?{query}")
    assert answer.status_code < 500, f"{url}?{query}: {answer.status_code}"
    if query == "q=%00" and endpoint in ("manager.bookings", "manager.guests", "admin.logs"):
        assert answer.status_code == 400


def test_the_booking_note_form_refuses_a_nul_and_stores_nothing(world):
    """The note form with a NUL: refused with the message on the note field (shown on the booking page the
    failed form redirects to, so a reload posts nothing again), no note added."""
    contract = world.ids["contract_uid"]
    with world.app.app_context():
        before = db.session.scalar(select(func.count()).where(BookingNote.booking_id == contract))
    response = world.clients["manager"].post(f"/manager/properties/{OWN}/bookings/{contract}/notes",
                                             data={"text": "call\x00me"})
    assert response.status_code == 303
    page = world.clients["manager"].get(response.headers["Location"])
    assert page.status_code == 200
    assert NUL_MESSAGE in page.get_data(as_text=True)
    with world.app.app_context():
        after = db.session.scalar(select(func.count()).where(BookingNote.booking_id == contract))
    assert after == before


def _form_classes(base=wtforms.Form):
    for cls in base.__subclasses__():
        yield cls
        yield from _form_classes(cls)


def test_every_form_of_the_package_has_the_text_check():
    """Each form class of jomres_like derives from BaseForm or PlainForm, so its text fields are checked."""
    _listing_app()  # imports every blueprint and its forms
    ours = [cls for cls in _form_classes() if cls.__module__.startswith("jomres_like.")
            and cls not in (BaseForm, PlainForm)]
    assert len(ours) > 20
    unchecked = [f"{cls.__module__}.{cls.__qualname__}" for cls in ours
                 if not issubclass(cls, (BaseForm, PlainForm))]
    assert unchecked == []


def test_a_plain_get_filter_form_checks_its_text(world):
    """The log viewer's search (a plain WTForms form) refuses a NUL: 400 with the message."""
    response = world.clients["admin"].get("/admin/logs?" + urlencode({"q": NUL}))
    assert response.status_code == 400
    assert NUL_MESSAGE in response.get_data(as_text=True)
