"""A secret shown once, on the page a creating POST redirects to (Post/Redirect/Get).

The POST keeps the new secret in the session, encrypted under the app's key (the session cookie is signed,
not encrypted), tagged with what it belongs to; the page it redirects to takes it out and shows it. A reload
of that page finds nothing and says so, and never posts the form again, so it never creates a second
webhook or app key. A secret left untaken expires after :data:`TTL` seconds and goes at logout.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Response, flash, make_response, redirect, session

from . import crypto

KEY = "_shown_once"
#: seconds a secret waits for its page
TTL = 600


def keep(kind: str, object_id: int, secret: str, **extra) -> None:
    """Hold ``secret`` of ``kind`` #``object_id`` for the next page (replacing any secret held)."""
    session[KEY] = {"kind": kind, "id": object_id, "secret": crypto.encrypt(secret),
                    "at": time.time(), **extra}


def take(kind: str, object_id: int) -> dict | None:
    """Take out the secret held for ``kind`` #``object_id``: ``secret`` and the extras, or ``None``."""
    held = session.get(KEY)
    if not isinstance(held, dict) or held.get("kind") != kind or held.get("id") != object_id:
        return None
    session.pop(KEY, None)
    if not isinstance(held.get("at"), (int, float)) or time.time() - held["at"] > TTL:
        return None
    try:
        secret = crypto.decrypt(held.get("secret") or "")
    except crypto.DecryptionError:
        return None
    return {**held, "secret": secret}


def page(kind: str, object_id: int, render: Callable[[dict], object], *, gone: str, back: str) -> Response:
    """The page that shows the held secret once (``render(held)``, never stored by a cache).

    Without a secret held (a reload, another tab, an expired one) it flashes ``gone`` and redirects to
    ``back``.
    """
    held = take(kind, object_id)
    if held is None:
        flash(gone, "warning")
        return redirect(back)
    response = make_response(render(held))
    response.headers["Cache-Control"] = "no-store"
    return response


def forget() -> None:
    """Drop any secret held (at logout)."""
    session.pop(KEY, None)
