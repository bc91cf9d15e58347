"""The webhook form's scripts in a real browser: one auth method's settings at a time, "all" per event group,
and the Copy button beside a secret shown once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import RECEIVER_PATH, _new_page

pytestmark = pytest.mark.browser


@pytest.fixture
def clipboard_page(chromium, site, manager_cookies):
    """The demo manager's tab, allowed to read and write the clipboard."""
    context, tab = _new_page(chromium, site, storage_state=manager_cookies)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    yield tab
    context.close()


def _shown_methods(page) -> list[str]:
    return [group.get_attribute("data-auth-method")
            for group in page.locator("fieldset[data-auth-method]").all() if group.is_visible()]


def test_only_the_chosen_methods_settings_show(manager_page):
    page = manager_page
    page.goto("/manager/webhooks/new")
    assert _shown_methods(page) == ["none"]
    page.locator("#auth_method").select_option("basic")
    assert _shown_methods(page) == ["basic"]
    page.locator("#auth_method").select_option("oauth")
    assert _shown_methods(page) == ["oauth"]


def test_all_of_a_group_ticks_and_clears_its_events(manager_page):
    page = manager_page
    page.goto("/manager/webhooks/new")
    group = page.locator("fieldset.event-group", has=page.locator("legend", has_text="Invoices"))
    events = group.locator("li input[type=checkbox]")
    all_box = group.locator("input[data-event-all]")
    all_box.check()
    assert events.count() >= 3 and all(box.is_checked() for box in events.all())
    events.first.uncheck()
    assert not all_box.is_checked() and all_box.evaluate("box => box.indeterminate")
    all_box.check()
    all_box.uncheck()
    assert not any(box.is_checked() for box in events.all())
    other = page.locator("fieldset.event-group", has=page.locator("legend", has_text="Bookings"))
    assert not any(box.is_checked() for box in other.locator("input").all())


def test_copy_button_copies_the_signing_secret(clipboard_page, receiver):
    page = clipboard_page
    page.goto("/manager/webhooks/new")
    page.locator("#url").fill(receiver.url_for(RECEIVER_PATH))
    page.get_by_role("button", name="Create webhook").click()
    page.wait_for_load_state()
    secret = page.locator("#signing-secret").inner_text().strip()
    button = page.locator("button[data-copy]")
    assert secret.startswith("whsec_") and button.is_visible() and button.inner_text() == "Copy"
    button.click()
    expect(button).to_have_text("Copied", timeout=1500)
    assert page.evaluate("navigator.clipboard.readText()") == secret
