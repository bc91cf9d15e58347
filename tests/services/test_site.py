"""services.site: site settings and development mode."""

from __future__ import annotations

import pytest

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
