"""Who is acting: the logged-in user, the API token's owner, or nobody (CLI, background).

Services and logs read only the actor's ``id`` and ``username``: an API request declares the owner its token
check read (:class:`jomres_like.oauth.bearer.TokenOwner`) rather than loading the ``User``.
"""

from __future__ import annotations

from typing import Protocol

from flask import g, has_request_context
from flask_login import current_user

from ..logs import LOG_USER_KEY


class Actor(Protocol):
    """What is read of the acting user: a ``User``, or an API token's owner."""

    id: int
    username: str


def set_actor(user: Actor | None) -> None:
    """Declare the acting user for this request or app context (API tokens, CLI commands)."""
    g.jomres_actor = user
    g.pop(LOG_USER_KEY, None)  # the log lines name the new actor from now on


def get_actor() -> Actor | None:
    """Return the acting user, or ``None`` when nobody is logged in."""
    actor = g.get("jomres_actor") if _has_g() else None
    if actor is not None:
        return actor
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def _has_g() -> bool:
    from flask import has_app_context

    return has_app_context()
