"""services.site: site settings and development mode."""

from __future__ import annotations

import pytest
from flask import g

from jomres_like.extensions import db
from jomres_like.models import SiteSetting
from jomres_like.services import site as service


def test_settings_default_then_stored(ctx):
    assert service.get_setting("theme", "plain") == "plain"
    service.set_setting("theme", "dark")
    service.set_setting("theme", "light")
    assert service.get_setting("theme", "plain") == "light"


def test_development_mode_follows_the_site_setting(ctx):
    ctx.config["JOMRES_DEVELOPMENT"] = None
    assert service.development_mode() is False
    assert service.development_forced() is False
    service.set_development_mode(True)
    assert service.development_mode() is True
    service.set_development_mode(False)
    assert service.development_mode() is False


@pytest.mark.parametrize("forced", [True, False])
def test_the_environment_forces_development_mode(ctx, forced):
    ctx.config["JOMRES_DEVELOPMENT"] = forced
    service.set_development_mode(not forced)
    assert service.development_mode() is forced
    assert service.development_forced() is True


def _store_directly(value: str) -> None:
    """Write the setting as another process or node would: without this process's service."""
    row = db.session.get(SiteSetting, service.DEVELOPMENT_KEY)
    if row is None:
        db.session.add(SiteSetting(key=service.DEVELOPMENT_KEY, value=value))
    else:
        row.value = value
    db.session.commit()


def _next_request() -> None:
    g.pop("jomres_development", None)  # what a new request starts without


def test_a_production_reading_is_trusted_for_a_second_by_this_process(ctx, monkeypatch):
    """Production read once spares the query for PRODUCTION_TRUSTED_FOR seconds; then it is read again."""
    ctx.config["JOMRES_DEVELOPMENT"] = None
    clock = [1000.0]
    monkeypatch.setattr(service.time, "monotonic", lambda: clock[0])
    _store_directly("0")
    assert service.development_mode() is False
    _store_directly("1")  # another node switches development mode on
    _next_request()
    clock[0] += service.PRODUCTION_TRUSTED_FOR - 0.01
    assert service.development_mode() is False
    _next_request()
    clock[0] += 0.02
    assert service.development_mode() is True


def test_a_switch_to_production_applies_at_the_next_request(ctx):
    """Development mode is read every request: a switch to production never waits."""
    ctx.config["JOMRES_DEVELOPMENT"] = None
    _store_directly("1")
    assert service.development_mode() is True
    _store_directly("0")  # another node switches to production
    _next_request()
    assert service.development_mode() is False


def test_this_process_sees_its_own_switch_to_development_at_once(ctx):
    ctx.config["JOMRES_DEVELOPMENT"] = None
    _store_directly("0")
    assert service.development_mode() is False
    service.set_development_mode(True)
    _next_request()
    assert service.development_mode() is True
