"""What a manager and an administrator do in a real browser (Playwright + Debian's chromium), page by page.

Each test has a browser context of its own (logged out, or logged in as the demo manager), clicks through the
pages as a person would, and saves a screenshot of the pages it shows under ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from jomres_like.timeutil import utc_today

from .conftest import RECEIVER_PATH, log_in, wait_for

pytestmark = pytest.mark.browser

HOOK_USER = "hook-user"
HOOK_PASSWORD = "hook-Pa55-word"


def anchor(scope, text: str):
    """The links (``<a>``, styled as a button or not) whose visible text is exactly ``text``."""
    return scope.locator("a", has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))


def account_menu(page, item: str) -> None:
    """Open the Account menu and click ``item``."""
    page.locator("header summary", has_text="Account").click()
    page.get_by_role("link", name=item, exact=True).click()
    page.wait_for_load_state()


def create_webhook(page, url: str, description: str) -> tuple[str, str]:
    """As the logged-in manager, create a basic-auth webhook for ``booking_modified`` and ``webhook_test``.

    Returns the signing secret shown once and the webhook's number.
    """
    account_menu(page, "Webhooks")
    anchor(page, "New webhook").click()
    page.locator("#url").fill(url)
    page.locator("#description").fill(description)
    page.locator("input[name=events][value=booking_modified]").check()
    page.locator("input[name=events][value=webhook_test]").check()
    page.locator("#auth_method").select_option("basic")
    page.locator("#auth_basic-username").fill(HOOK_USER)
    page.locator("#auth_basic-password").fill(HOOK_PASSWORD)
    page.get_by_role("button", name="Create webhook").click()
    page.wait_for_load_state()
    heading = page.locator("h1").inner_text()
    assert heading == "Webhook created", page.content()[:2000]
    secret = page.locator("#signing-secret").inner_text().strip()
    number = re.search(r"Webhook #(\d+)", page.locator("main").inner_text()).group(1)
    return secret, number


def deliveries_row(page, webhook_number: str, description: str):
    """Open the webhook's deliveries page from the webhook list; return the first delivery's row."""
    account_menu(page, "Webhooks")
    row = page.locator("tbody tr", has_text=description)
    anchor(row, "Deliveries").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"Deliveries of webhook #{webhook_number}"
    return page.locator("tbody tr").first


def poll(page, check, timeout: float = 20.0):
    """Reload the page until ``check()`` is truthy (bounded: ``timeout`` seconds); return its last value."""

    def reloaded():
        page.reload()
        return check()

    return check() or wait_for(reloaded, timeout, interval=0.5)


def received(receiver) -> list:
    """The requests the receiver got, oldest first."""
    return [request for request, _ in receiver.log]


def test_manager_logs_in_and_sees_the_dashboard(page, shoot):
    """The demo manager logs in and sees their two properties and the webhook health."""
    page.goto("/")
    shoot(page, "login")
    log_in(page, "manager", "manager")
    assert page.locator("h1").inner_text() == "Dashboard"
    main = page.locator("main").inner_text()
    assert "Fawlty Towers" in main and "Best West Hotel" in main
    assert "Grand Budapest" not in main
    shoot(page, "dashboard")


def test_wrong_password_is_refused(page):
    """A wrong password keeps the person on the login page with a message."""
    page.goto("/login")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Log in"
    assert page.locator(".field-error").inner_text() == "Wrong username or password."
    assert "Account" not in page.locator("header").inner_text()


def test_create_a_booking_for_fawlty_towers(manager_page, shoot):
    """Dashboard, Fawlty Towers, Bookings, New booking: the form creates it and the list shows it."""
    page = manager_page
    anchor(page, "Fawlty Towers").first.click()
    anchor(page.locator("nav.property-nav"), "Bookings").click()
    anchor(page, "New booking").click()
    arrival = utc_today() + timedelta(days=60)
    page.get_by_label("Arrival").fill(arrival.isoformat())
    page.get_by_label("Departure").fill((arrival + timedelta(days=3)).isoformat())
    page.locator("input[name=room_uids]").first.check()
    page.get_by_label("New guest: first name").fill("Audrey")
    page.get_by_label("New guest: surname").fill("Playwright")
    page.get_by_label("New guest: email").fill("audrey@example.com")
    shoot(page, "booking_form")
    page.get_by_role("button", name="Create booking").click()
    page.wait_for_load_state()
    assert "Audrey Playwright" in page.locator("main").inner_text(), page.content()[:2000]
    anchor(page.locator("nav.property-nav"), "Bookings").click()
    row = page.locator("tbody tr", has_text="Audrey Playwright")
    assert row.count() == 1, [page.locator("tbody tr").all_inner_texts(), page.url]
    cells = row.locator("td").all_inner_texts()
    assert cells[3:5] == [arrival.isoformat(), (arrival + timedelta(days=3)).isoformat()]
    assert cells[6] == "confirmed"
    shoot(page, "bookings")


def test_webhook_with_basic_auth_shows_its_secret_once(manager_page, receiver, shoot):
    """A new basic-auth webhook shows its signing secret once; neither it nor the password shows again."""
    page = manager_page
    secret, number = create_webhook(page, receiver.url_for(RECEIVER_PATH), "secret once")
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{20,}", secret)
    shoot(page, "webhook_secret")
    page.reload()  # the secret's page again: gone, and no second webhook
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == f"Edit webhook #{number}"
    assert "shown only once" in page.locator("main").inner_text() and secret not in page.content()
    account_menu(page, "Webhooks")
    row = page.locator("tbody tr", has_text="secret once")
    assert row.count() == 1 and "basic" in row.inner_text()
    assert secret not in page.content()
    shoot(page, "webhooks")
    anchor(row, "Edit").click()
    assert page.locator("h1").inner_text() == f"Edit webhook #{number}"
    html = page.content()
    assert secret not in html and HOOK_PASSWORD not in html
    assert page.locator("#auth_basic-username").input_value() == HOOK_USER
    page.reload()
    assert secret not in page.content()


def test_send_test_event_then_redeliver(manager_page, receiver, shoot):
    """"Send test event" shows the delivery and its status; "Redeliver" adds an attempt, same webhook-id."""
    page = manager_page
    secret, number = create_webhook(page, receiver.url_for(RECEIVER_PATH), "test and redeliver")
    before = len(received(receiver))
    deliveries_row(page, number, "test and redeliver")
    page.get_by_role("button", name="Send test event").click()
    page.wait_for_load_state()
    assert "Test event queued" in page.locator("main").inner_text()

    def delivered():
        row = page.locator("tbody tr").first
        text = row.inner_text()
        return "webhook_test" in text and "succeeded" in text and "200" in text

    assert poll(page, delivered), page.locator("main").inner_text()
    first = page.locator("tbody tr").first
    assert first.locator("td").nth(4).inner_text().strip() == "1"  # attempts
    shoot(page, "deliveries")
    requests = received(receiver)[before:]
    assert len(requests) == 1
    hook = requests[0]
    assert hook.authorization is not None and hook.authorization.username == HOOK_USER
    assert hook.headers["X-Jomres-Event"] == "webhook_test"
    assert json.loads(hook.get_data())["data"]["task"] == "webhook_test"
    assert secret not in hook.get_data(as_text=True)

    first.get_by_role("button", name="Redeliver").click()
    page.wait_for_load_state()
    assert "Redelivery of" in page.locator("main").inner_text()
    assert poll(page, lambda: page.locator("tbody tr").first.locator("td").nth(4).inner_text().strip() == "2")
    assert wait_for(lambda: len(received(receiver)) - before == 2, 10)
    ids = {request.headers["webhook-id"] for request in received(receiver)[before:]}
    assert len(ids) == 1
    page.locator("tbody tr").nth(1).locator("summary").click()
    assert "(redelivery)" in page.locator("tbody tr").nth(1).inner_text()
    shoot(page, "redelivered")


def test_app_key_secret_is_shown_exactly_once(manager_page, shoot):
    """App Key Management shows a new key's client secret once; the list and a reload never show it."""
    page = manager_page
    account_menu(page, "App Key Management")
    anchor(page, "New app key").click()
    page.get_by_label("Name").fill("channel manager")
    page.locator("input[name=scopes][value=webhooks_get]").check()
    page.get_by_role("button", name="Create app key").click()
    page.wait_for_load_state()
    secret = page.locator("[data-secret]").inner_text().strip()
    client_id = page.locator("dd code").first.inner_text().strip()
    assert len(secret) >= 20 and client_id and secret != client_id
    shoot(page, "app_key_secret")
    page.reload()  # the secret's page again: gone, and no second key
    page.wait_for_load_state()
    assert "shown only once" in page.locator("main").inner_text() and secret not in page.content()
    row = page.locator("tbody tr", has_text="channel manager")
    assert row.count() == 1 and client_id in row.inner_text()
    assert secret not in page.content()
    page.reload()
    assert secret not in page.content()
    shoot(page, "app_keys")


def test_admin_finds_background_process_urls_in_the_log_viewer(manager_page, chromium, site, receiver, shoot):
    """After a test event, the administrator searches the logs for "background" and re-runs a task."""
    page = manager_page
    _, number = create_webhook(page, receiver.url_for(RECEIVER_PATH), "for the log viewer")
    deliveries_row(page, number, "for the log viewer")
    page.get_by_role("button", name="Send test event").click()
    assert poll(page, lambda: "succeeded" in page.locator("tbody tr").first.inner_text())

    admin = chromium.new_context(base_url=site.url)
    try:
        tab = admin.new_page()
        log_in(tab, "admin", "admin")
        anchor(tab.locator("header"), "Logs").click()
        tab.get_by_label("Search").fill("background")
        tab.get_by_role("button", name="Show").click()
        tab.wait_for_load_state()
        assert "q=background" in tab.url
        lines = tab.locator("table.log-lines tbody tr")
        assert lines.count() >= 1
        assert "/background_process?payload_source=" in tab.locator("table.log-lines").inner_text()
        sent = tab.locator("table.log-lines tbody tr", has_text="Sent async deferred message")
        assert sent.count() >= 1
        shoot(tab, "admin_logs")
        before = len(received(receiver))
        sent.first.get_by_role("button", name="Re-run").click()
        tab.wait_for_load_state()
        assert tab.locator("h1").inner_text() == "Re-run deferred task"
        assert "HTTP 200" in tab.locator("main").inner_text()
        assert wait_for(lambda: len(received(receiver)) > before, 10)
        shoot(tab, "admin_logs_rerun")
    finally:
        admin.close()
