"""Auth method ``none``: the signed POST alone, as Jomres' ``none`` method sends it."""

from __future__ import annotations

from . import AuthMethod, register


@register
class NoAuth(AuthMethod):
    """No authentication header; receivers verify the Standard Webhooks signature."""

    name = "none"
    label = "None (signature only)"
    fields = ()
