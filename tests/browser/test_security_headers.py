"""The Content Security Policy in a real browser: the pages and the ReDoc docs work under it, from here."""

from __future__ import annotations

import pytest

from .conftest import log_in

pytestmark = pytest.mark.browser

#: records what the browser refused, before any script of the page runs
_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
    (e) => window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI));
"""


def _watch(page, site):
    """Lists that fill with the page's CSP complaints and with requests to anywhere but the site.

    A request the policy refused is never sent: it is listed as ``(url, "blocked")``, any other as
    ``(url, "sent")``.
    """
    complaints, outside = [], []
    page.add_init_script(_RECORD_VIOLATIONS)
    page.on("console", lambda message: complaints.append(message.text)
            if "Content Security Policy" in message.text else None)

    def note(request, failed: bool) -> None:
        if not request.url.startswith((site.url, "blob:", "data:")):
            blocked = failed and "CSP" in (request.failure or "").upper()  # "csp" or net::ERR_BLOCKED_BY_CSP
            outside.append((request.url, "blocked" if blocked else "sent"))

    page.on("requestfinished", lambda request: note(request, False))
    page.on("requestfailed", lambda request: note(request, True))
    return complaints, outside


def test_the_api_docs_render_and_search_under_their_policy(page, site):
    complaints, outside = _watch(page, site)

    page.goto("/jomres/api/docs")
    page.locator("h1", has_text="jomres_like REST API").wait_for()
    page.get_by_placeholder("Search...").fill("token")  # ReDoc's search runs in a blob: worker
    page.locator("[data-role='search:results']").wait_for()

    page.locator("img[alt='redocly logo']").wait_for()  # ReDoc's footer logo, served from static/

    assert page.evaluate("window.__cspViolations") == []
    assert complaints == []
    assert outside == []  # not even attempted: nothing but 127.0.0.1
    page.get_by_role("link", name="Back to jomres_like").click()
    page.wait_for_load_state()
    assert "/docs" not in page.url and page.locator("header.site-header").count() == 1  # the app's own layout


def test_the_pages_work_under_their_policy(page, site):
    complaints, outside = _watch(page, site)

    log_in(page, "manager", "manager")
    page.goto("/manager/properties/1/bookings")
    page.locator("header summary", has_text="Account").click()  # the menu: a <details>, no script

    assert page.get_by_role("link", name="App Key Management").is_visible()
    assert page.evaluate("window.__cspViolations") == []
    assert complaints == []
    assert outside == []
