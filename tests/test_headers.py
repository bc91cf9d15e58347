"""Security headers: a Content Security Policy, no framing and no MIME sniffing, on pages, API and docs.

The crawl renders the demo's pages for each role and checks that nothing in them needs more than the policy
allows: no inline ``<script>`` or ``<style>`` without the request's nonce, no ``on...=`` handler, no
``style=`` attribute, no ``javascript:`` link.
"""

from __future__ import annotations

import re
import time
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from flask import render_template_string

from jomres_like.deferred import selfcall as trigger
from jomres_like.extensions import db
from jomres_like.models import User

MAX_PAGES = 120  # per role: one page per URL shape (digits folded) is enough to render every template
CRAWL_SECONDS = 60.0
SKIPPED = ("/static/", "/logout", "/background_process")


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _nonce(policy: str) -> str | None:
    found = re.search(r"'nonce-([A-Za-z0-9_+/=-]+)'", policy)
    return found[1] if found else None


def _directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def problems(html: str, policy: str) -> list[str]:
    """What in ``html`` its policy would block (or that no page should need: inline handlers, scripts)."""
    nonce = _nonce(policy)
    inline_styles = "'unsafe-inline'" in _directives(policy).get("style-src", "")  # the docs page's policy
    parser = _Tags()
    parser.feed(html)
    found = []
    for tag, attrs in parser.tags:
        handlers = [name for name in attrs if name.startswith("on")]
        if handlers:
            found.append(f"<{tag}> has inline handler(s) {handlers}")
        if "style" in attrs and not inline_styles:
            found.append(f"<{tag}> has a style= attribute")
        inline = tag == "script" and not attrs.get("src") or tag == "style" and not inline_styles
        if inline and (not nonce or attrs.get("nonce") != nonce):
            found.append(f"inline <{tag}> without the request's nonce")
        if (attrs.get("href") or "").strip().lower().startswith("javascript:"):
            found.append(f"<{tag}> links to javascript:")
    return found


def _links(html: str) -> list[str]:
    parser = _Tags()
    parser.feed(html)
    return [attrs["href"] for tag, attrs in parser.tags if tag == "a" and attrs.get("href")]


def crawl(client, start: str) -> dict[str, list[str]]:
    """Render the site's pages reachable from ``start`` (one per URL shape); map each to its problems."""
    seen_shapes: set[str] = set()
    queue = deque([start])
    report: dict[str, list[str]] = {}
    deadline = time.monotonic() + CRAWL_SECONDS
    while queue and len(report) < MAX_PAGES and time.monotonic() < deadline:
        url = queue.popleft()
        shape = re.sub(r"\d+", "N", url)
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        policy = response.headers.get("Content-Security-Policy", "")
        html = response.get_data(as_text=True)
        report[url] = problems(html, policy) if policy else ["no Content-Security-Policy header"]
        for href in _links(html):
            link = urldefrag(href)[0]
            parts = urlsplit(link)
            if link.startswith("/") and not link.startswith("//") and not parts.netloc \
                    and not link.startswith(SKIPPED):
                queue.append(link)
    return report


@pytest.fixture
def app_config(app_config):
    """Development mode, so the demo manager's webhook may point at loopback."""
    app_config["JOMRES_DEVELOPMENT"] = True
    return app_config


@pytest.fixture
def site(app, demo):
    """The demo data plus a webhook of the demo manager (its pages have the most forms)."""
    from jomres_like.webhooks import service

    with app.app_context():
        manager = db.session.query(User).filter_by(username="manager").one()
        service.create_webhook(manager, {"url": "http://127.0.0.1:9/hooks", "events": ["booking_added"]})
        db.session.commit()
    return app


@pytest.mark.parametrize("username, start", [
    (None, "/"),
    ("manager", "/manager/"),
    ("super", "/manager/"),
    ("admin", "/admin/"),
])
def test_no_page_of_the_demo_needs_inline_script_or_style(site, client, username, start):
    if username:
        assert client.post("/login", data={"username": username, "password": username}).status_code == 302

    report = crawl(client, start)

    assert len(report) >= (3 if username else 1)
    assert {url: found for url, found in report.items() if found} == {}


def test_a_page_has_the_headers(client):
    response = client.get("/login")

    assert response.status_code == 200
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["script-src"] == "script-src 'self'"  # no inline script, no eval
    assert policy["style-src"] == "style-src 'self'"
    assert policy["object-src"] == "object-src 'none'"


def test_error_pages_have_the_headers_too(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_an_api_answer_has_the_headers_and_a_policy_that_loads_nothing(client):
    response = client.get("/jomres/api/")

    assert response.status_code == 200 and response.is_json
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["default-src"] == "default-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"


def test_the_self_calls_answer_is_not_sniffed(app, client):
    response = client.get("/background_process?payload_source=x&sig=y")

    assert response.status_code == 400
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_docs_page_renders_from_this_site_only_under_its_own_policy(client):
    response = client.get("/jomres/api/docs")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<redoc" in html
    parser = _Tags()
    parser.feed(html)
    sources = [attrs.get("src") or attrs.get("href") or attrs.get("spec-url") for _tag, attrs in parser.tags
               if {"src", "href", "spec-url"} & set(attrs)]
    assert sources and all(source.startswith("/") and not source.startswith("//") for source in sources)
    assert all(client.get(source).status_code == 200 for source in sources)  # vendored and served here
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "script-src 'self'"
    assert policy["connect-src"] == "connect-src 'self'"
    assert policy["worker-src"] == "worker-src 'self' blob:"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"


def test_an_inline_script_runs_only_with_the_requests_nonce(app):
    from jomres_like.headers import add_security_headers

    with app.test_request_context("/login"):
        html = render_template_string('<script nonce="{{ csp_nonce() }}">1</script>')
        response = add_security_headers(app.response_class(html, mimetype="text/html"))
        policy = response.headers["Content-Security-Policy"]

    assert problems(html, policy) == []
    assert problems("<script>1</script>", policy) != []
    assert problems(html.replace(_nonce(policy), "guessed"), policy) != []
    with app.test_request_context("/login"):  # another request: another nonce
        other = add_security_headers(app.response_class("", mimetype="text/html"))
    assert _nonce(other.headers["Content-Security-Policy"]) is None
    assert trigger.PATH == "/background_process"  # the crawl leaves the self-call alone
