"""Every page of every role fits the screen at 1280 and 390 px, shows a readable "Log out", and loads nothing
from any host but 127.0.0.1.

The pages come from the app's URL map: every GET endpoint that answers with a page (not the static files, the
JSON API or ``/background_process``). Ids are filled in from the links of the pages already seen, or from the
ids seen so far (bounded: each endpoint is visited once). A role that may not enter a blueprint sees one of
its pages (the 403 page); every role sees the 404 page. Screenshots go to
``tests/artifacts/<role>-<page>-<width>.png``.
"""

from __future__ import annotations

import re
import tempfile
from urllib.parse import urlsplit

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

from jomres_like import access, create_app
from jomres_like.headers import DOCS_ENDPOINT

from .conftest import ARTIFACTS, RECEIVER_PATH, _new_page, log_in, wait_for

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)
MIN_CONTRAST = 3.0
MAX_PAGES = 120
#: role -> (login, password, protection kinds it may enter)
ROLES = {
    "anonymous": (None, None, set()),
    "registered": ("visitor", "visitor-Pa55", {"authenticated"}),
    "manager": ("manager", "manager", {"authenticated", "manager"}),
    "super": ("super", "super", {"authenticated", "manager"}),
    "admin": ("admin", "admin", {"authenticated", "administrator"}),
}
#: where a page may load anything from: this site and its receiver (127.0.0.1), and inline data
LOCAL = ("http://127.0.0.1:", "data:", "blob:")
LONG_URL_TAIL = "?" + "&".join(f"parameter{n}=a-rather-long-value-without-spaces-{n:04d}" for n in range(6))

#: the contrast ratio (WCAG 2) of an element's text against the first opaque background behind it, and the
#: opacity it is drawn with
_CONTRAST = """
(el) => {
  const parse = (text) => {
    const srgb = text.startsWith("color(srgb");
    const parts = text.replace(/^[a-z]+\\(|\\)$/g, "").replace("srgb", "").split(/[\\s,\\/]+/)
      .filter(Boolean).map(Number);
    const rgb = parts.slice(0, 3).map((v) => (srgb ? v * 255 : v));
    return [...rgb, parts.length > 3 ? parts[3] : 1];
  };
  const fg = parse(getComputedStyle(el).color);
  let bg = [255, 255, 255, 1];
  let opacity = 1;
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    opacity *= Number(getComputedStyle(node).opacity);
  }
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const color = parse(getComputedStyle(node).backgroundColor);
    if (color[3] >= 0.99) { bg = color; break; }
  }
  const blended = fg.slice(0, 3).map((v, i) => v * fg[3] + bg[i] * (1 - fg[3]));
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const a = lum(blended), b = lum(bg.slice(0, 3));
  return {ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), opacity};
}
"""
_WIDTHS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
#: tables that only fit by scrolling inside their frame (their last columns cut off at first sight)
_CUT_TABLES_JS = """() => [...document.querySelectorAll('.table-wrap')]
  .filter(e => e.scrollWidth > e.clientWidth + 1).length"""
_LINKS_JS = "els => els.map(e => e.getAttribute('href'))"


@pytest.fixture(scope="module")
def url_map():
    """The app's URL map, bound for matching and building paths."""
    folder = tempfile.mkdtemp(prefix="jomres-pages-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "pages", "TESTING": True,
                      "JOMRES_TEMP_DIR": folder + "/temp", "JOMRES_LOG_DIR": folder + "/logs",
                      "JOMRES_SWEEP_SECONDS": 0})
    return app.url_map.bind("127.0.0.1")


def page_endpoints(adapter) -> dict[str, set[str]]:
    """Every page endpoint (GET, HTML) with the names of its arguments."""
    pages: dict[str, set[str]] = {}
    for rule in adapter.map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.startswith("background."):
            continue
        if rule.rule.startswith("/jomres/api") and rule.endpoint != DOCS_ENDPOINT:
            continue
        pages[rule.endpoint] = set(rule.arguments)
    return pages


def kind_of(endpoint: str) -> str:
    """The protection kind of an endpoint's blueprint (``public`` for the public endpoints)."""
    if endpoint in access.PUBLIC_ENDPOINTS:
        return "public"
    return access.PROTECTION.get(endpoint.rpartition(".")[0], "public")


@pytest.fixture(scope="module")
def prepared(site, receiver):
    """Demo data plus what the pages show when used: a registered user, webhooks with long URLs and a
    delivery, app keys, and log lines with ``background_process`` URLs."""
    site.flask("users", "create", "visitor", "--password", "visitor-Pa55", "--role", "registered")
    for user in ("manager", "super"):
        site.flask("api-keys", "create", "--user", user, "--scopes", "webhooks_get")
    hook_url = receiver.url_for(RECEIVER_PATH) + LONG_URL_TAIL
    ids = {}
    for user, prefix in (("manager", "/manager"), ("admin", "/admin")):
        session = site.session(user, user)
        form = session.get(f"{site.url}{prefix}/webhooks/new", timeout=10)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.text)[1]
        created = session.post(f"{site.url}{prefix}/webhooks/new", timeout=10, data={
            "csrf_token": token, "url": hook_url, "description": "A receiver with a long address " * 3,
            "auth_method": "none", "mode": "deferred", "enabled": "y", "wait_for_confirmation": "y",
        })
        assert created.ok, created.text[:2000]
        listing = session.get(f"{site.url}{prefix}/webhooks", timeout=10).text
        webhook_id = re.search(rf"{prefix}/webhooks/(\d+)/edit", listing)[1]
        session.post(f"{site.url}{prefix}/webhooks/{webhook_id}/test", data={"csrf_token": token}, timeout=10)
        deliveries = f"{site.url}{prefix}/webhooks/{webhook_id}/deliveries"
        assert wait_for(lambda url=deliveries, http=session: "succeeded" in http.get(url, timeout=10).text,
                        20)
        ids.setdefault("webhook_id", int(webhook_id))
    return ids


def visit_role(browser, site, adapter, role: str, shoot, ids: dict) -> tuple[list[str], list[str]]:
    """Visit every page of ``role`` at each width; return the pages seen and the problems found.

    ``ids`` fill in what no page of the role links to (a super manager's webhook pages: their 403).
    """
    username, password, kinds = ROLES[role]
    endpoints = page_endpoints(adapter)
    mine = {name: args for name, args in endpoints.items() if kind_of(name) in kinds | {"public"}}
    if username:
        for kind in ("manager", "administrator"):  # one page of each blueprint the role may not enter (403)
            if kind not in kinds:
                mine.update({name: args for name, args in endpoints.items()
                             if kind_of(name) == kind and not args and name.endswith("dashboard")})
    context, page = _new_page(browser, site)
    seen: list[str] = []
    problems: list[str] = []
    outside: list[str] = []
    page.on("request", lambda request: None if request.url.startswith(LOCAL) else outside.append(request.url))
    try:
        if username:
            log_in(page, username, password)
        known_args: dict[str, object] = dict(ids)
        links: list[str] = []
        todo = sorted(mine, key=lambda name: (len(mine[name]), name))
        for _round in range(len(todo) + 1):
            progress = False
            for endpoint in list(todo):
                path = _path_for(adapter, endpoint, mine[endpoint], links, known_args)
                if path is None:
                    continue
                todo.remove(endpoint)
                progress = True
                links.extend(_check(page, role, endpoint, path, shoot, problems))
                seen.append(endpoint)
            if not todo or not progress or len(seen) >= MAX_PAGES:
                break
        _check(page, role, "not-found", "/no-such-page", shoot, problems)
        problems.extend(f"{role}: no page found for {endpoint}" for endpoint in todo)
        problems.extend(f"{role}: a request to {url}" for url in sorted(set(outside)))
    finally:
        context.close()
    return seen, problems


def _path_for(adapter, endpoint: str, args: set[str], links: list[str], known: dict) -> str | None:
    """A path of ``endpoint``: one linked from a page seen, else built from ids seen, else ``None``."""
    if not args:
        return adapter.build(endpoint)
    for link in links:
        path = urlsplit(link).path
        try:
            matched, values = adapter.match(path, method="GET")
        except HTTPException:
            continue
        known.update({key: value for key, value in values.items() if key not in known})
        if matched == endpoint:
            return path
    if all(name in known for name in args):
        try:
            return adapter.build(endpoint, {name: known[name] for name in args})
        except BuildError:
            return None
    return None


def _check(page, role: str, endpoint: str, path: str, shoot, problems: list[str]) -> list[str]:
    """Open ``path`` at every width, screenshot it, note what does not fit; return the page's links."""
    name = endpoint.replace(".", "_").replace("-", "_")
    links: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(path)
        page.wait_for_load_state()
        shoot(page, f"{role}-{name}-{width}")
        scroll_width, inner_width = page.evaluate(_WIDTHS_JS)
        if scroll_width > inner_width:
            problems.append(f"{role} {path} at {width}px: {scroll_width}px wide")
        if page.evaluate(_CUT_TABLES_JS):
            problems.append(f"{role} {path} at {width}px: a table scrolls sideways inside the page")
        if role != "anonymous" and endpoint != DOCS_ENDPOINT:  # the docs page has a way back, no forms
            logout = page.locator("header").get_by_role("button", name="Log out", exact=True)
            if logout.count() != 1 or not logout.is_visible():
                problems.append(f"{role} {path} at {width}px: Log out is not visible")
            else:
                seen = logout.evaluate(_CONTRAST)
                if seen["ratio"] < MIN_CONTRAST or seen["opacity"] < 0.9:
                    problems.append(f"{role} {path} at {width}px: Log out contrast {seen}")
        if not links:
            links = [link for link in page.eval_on_selector_all("a[href]", _LINKS_JS)
                     if link and link.startswith("/")]
    return links


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_fits_and_shows_log_out(chromium, site, prepared, url_map, role, shoot):
    """At 1280 and 390 px no page of ``role`` scrolls sideways, and Log out is visible and readable."""
    seen, problems = visit_role(chromium, site, url_map, role, shoot, prepared)
    assert not problems, "\n".join(problems)
    assert seen and (ARTIFACTS / f"{role}-auth_index-390.png").is_file()
    if role in ("manager", "super"):
        assert {"manager.booking_view", "manager.note_edit", "manager.app_key_edit"} <= set(seen)
    if role == "manager":
        assert {"manager.webhook_edit", "manager.webhook_deliveries"} <= set(seen)
    if role == "admin":
        assert {"admin.logs", "admin.user_edit", "admin.site_webhook_deliveries"} <= set(seen)
