"""Browser tests: Playwright driving Debian's chromium (never a downloaded browser) against the real app.

The suite skips itself, with the reason, when ``/usr/bin/chromium`` is missing or Playwright cannot start it.
One site (tests/live.py, demo data, development mode so webhooks may go to 127.0.0.1) and one receiver
(pytest-httpserver on 127.0.0.1) serve the whole module; each test gets a browser context of its own
(logged out, or with the manager's cookies: the site throttles logins to 10 a minute).
Screenshots of the main pages go to ``tests/artifacts/<name>.png`` (ignored by git).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
RECEIVER_PATH = "/hooks/jomres"
SITE_ENV = {
    "JOMRES_DEMO": "1",
    "JOMRES_DEVELOPMENT": "1",
    "JOMRES_SWEEP_SECONDS": "0.5",
    "JOMRES_RETRY_SCHEDULE": "0,1,1,1",
    "JOMRES_WEBHOOK_TIMEOUT": "3",
    "JOMRES_WEBHOOK_CONNECT_TIMEOUT": "1",
}
PAGE_TIMEOUT_MS = 10_000


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.2):
    """Poll ``predicate`` until it returns something truthy or ``timeout`` seconds pass; return its value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


@pytest.fixture(scope="session")
def chromium():
    """Playwright's chromium, launched from Debian's binary; skips the browser tests when that cannot be."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium, as .ci/run "
                    "does) to run the browser tests")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is in requirements-dev.txt
        pytest.skip(f"playwright is not installed: {exc}")
    try:
        playwright = sync_playwright().start()
    except Exception as exc:  # noqa: BLE001 - any failure to start means "cannot run here"
        pytest.skip(f"playwright could not start: {exc.__class__.__name__}: {exc}")
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Error as exc:
        playwright.stop()
        pytest.skip(f"playwright could not launch {CHROMIUM}: {str(exc).splitlines()[0]}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture(scope="module")
def site(_schema, database_url, tmp_path_factory):
    """The real app under gunicorn with the demo data, in development mode; its tables emptied afterwards."""
    from live import LiveServer

    folder = tmp_path_factory.mktemp("browser-site")
    url = f"sqlite:///{folder / 'site.db'}" if database_url.startswith("sqlite") else database_url
    server = LiveServer(folder, url, env=SITE_ENV)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if not database_url.startswith("sqlite"):
            _empty_shared_database(database_url, folder)


def _empty_shared_database(database_url: str, folder: Path) -> None:
    """Leave ``DATABASE_URL`` with empty tables, as every other test expects to find it."""
    from dbtools import empty_tables, make_test_config

    from jomres_like import create_app
    from jomres_like.extensions import db

    app = create_app(make_test_config(database_url, folder))
    with app.app_context():
        empty_tables()
        db.engine.dispose()


@pytest.fixture(scope="module")
def receiver():
    """A webhook receiver on 127.0.0.1 answering 200 to every POST on ``RECEIVER_PATH``."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(RECEIVER_PATH, method="POST").respond_with_data("thanks", status=200)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def log_in(page, username: str, password: str) -> None:
    """Log in through the login form and land on the user's start page."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:500]


def _new_page(chromium, site, **options):
    context = chromium.new_context(base_url=site.url, viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def page(chromium, site):
    """A fresh browser tab (own cookies, logged out) on the site."""
    context, tab = _new_page(chromium, site)
    yield tab
    context.close()


@pytest.fixture(scope="module")
def manager_cookies(chromium, site):
    """The demo manager's logged-in browser state (one login: the site throttles them per address)."""
    context, tab = _new_page(chromium, site)
    try:
        log_in(tab, "manager", "manager")
        return context.storage_state()
    finally:
        context.close()


@pytest.fixture
def manager_page(chromium, site, manager_cookies):
    """A browser tab of its own, logged in as the demo manager."""
    context, tab = _new_page(chromium, site, storage_state=manager_cookies)
    tab.goto("/")
    yield tab
    context.close()


@pytest.fixture
def shoot():
    """``shoot(page, name)`` saves a full-page screenshot to ``tests/artifacts/<name>.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def save(tab, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 0
        return path

    return save
