"""Administrator dashboard and site settings (development or production mode)."""

from __future__ import annotations

import pytest

from jomres_like.services import site


def _development(app) -> bool:
    with app.app_context():
        return site.development_mode()


def test_dashboard_shows_counts_and_links(admin):
    """The dashboard counts users and properties and links the admin pages."""
    body = admin.get("/admin/").get_data(as_text=True)
    assert "/admin/users" in body and "/admin/settings" in body
    assert "<strong>development</strong> mode" in body  # the demo turns development mode on


def test_switch_development_mode_off_and_on(app, admin):
    """Submitting the checkbox unchecked turns development mode off; checked turns it back on."""
    assert _development(app)  # the demo's choice
    assert admin.post("/admin/settings", data={}).status_code == 302
    assert not _development(app)
    assert "<strong>production</strong> mode" in admin.get("/admin/settings").get_data(as_text=True)
    assert admin.post("/admin/settings", data={"development": "y"}).status_code == 302
    assert _development(app)


class TestForced:
    """With JOMRES_DEVELOPMENT set, the environment decides."""

    @pytest.fixture
    def app_config(self, app_config):
        """Force production mode."""
        return {**app_config, "JOMRES_DEVELOPMENT": False}

    def test_page_says_so_and_refuses_changes(self, app, admin):
        """The page explains why it cannot change the mode; a POST is refused and changes nothing."""
        assert "JOMRES_DEVELOPMENT" in admin.get("/admin/settings").get_data(as_text=True)
        response = admin.post("/admin/settings", data={"development": "y"})
        assert response.status_code == 409
        with app.app_context():
            assert site.get_setting(site.DEVELOPMENT_KEY) == "1"  # the demo's stored choice, untouched
            assert not site.development_mode()
