"""A secret shown once, on the page a creating POST redirects to (Post/Redirect/Get).

The POST keeps the new secret on the server (a ``shown_secrets`` row, encrypted under the app's key, tagged
with what it belongs to and whose it is); the session holds only the row's random token. The page it
redirects to deletes the row as it takes the secret, in one transaction, so a reload, another tab or a
replayed copy of the cookie finds nothing and says so, and never posts the form again (no second webhook
or app key). A secret left untaken expires after :data:`TTL` seconds, and goes when the user's sessions
end (logout, password change, deactivation).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import Response, flash, make_response, redirect, session
from flask_login import current_user
from sqlalchemy import delete, select

from . import crypto
from .extensions import db
from .models import ShownSecret
from .timeutil import utcnow

KEY = "_shown_once"
#: seconds a secret waits for its page
TTL = 600


def keep(kind: str, object_id: int, secret: str, **extra) -> None:
    """Hold ``secret`` of ``kind`` #``object_id`` for this session's next page (replacing any secret it
    held) and commit it."""
    now = utcnow()
    held = session.pop(KEY, None)
    doomed = ShownSecret.expires_at < now
    if isinstance(held, str):
        doomed = doomed | (ShownSecret.token == held)
    db.session.execute(delete(ShownSecret).where(doomed))
    token = secrets.token_urlsafe(32)
    db.session.add(ShownSecret(
        token=token, user_id=current_user.id, kind=kind, object_id=object_id,
        secret_encrypted=crypto.encrypt(secret), extra=extra, expires_at=now + timedelta(seconds=TTL),
    ))
    db.session.commit()
    session[KEY] = token


def take(kind: str, object_id: int) -> dict | None:
    """Take out (delete) the secret held for ``kind`` #``object_id``: ``secret`` and the extras, or ``None``.

    The deletion is flushed, not committed: the caller commits (:func:`page` does) before showing it.
    """
    token = session.get(KEY)
    if not isinstance(token, str):
        return None
    row = db.session.scalar(select(ShownSecret).where(ShownSecret.token == token))
    if row is None or row.kind != kind or row.object_id != object_id or row.user_id != current_user.id:
        return None  # gone, or another page's: kept for it
    session.pop(KEY, None)
    gone = db.session.execute(delete(ShownSecret).where(ShownSecret.token == token)).rowcount
    if gone != 1 or row.expires_at < utcnow():  # a copy of the cookie took it first, or it is too old
        return None
    try:
        secret = crypto.decrypt(row.secret_encrypted)
    except crypto.DecryptionError:
        return None
    return {**(row.extra or {}), "kind": kind, "id": object_id, "secret": secret}


def page(kind: str, object_id: int, render: Callable[[dict], object], *, gone: str, back: str) -> Response:
    """The page that shows the held secret once (``render(held)``, never stored by a cache).

    Without a secret held (a reload, another tab, a replayed cookie, an expired one) it flashes ``gone`` and
    redirects to ``back``.
    """
    held = take(kind, object_id)
    db.session.commit()  # taken for good before anyone sees it
    if held is None:
        flash(gone, "warning")
        return redirect(back)
    response = make_response(render(held))
    response.headers["Cache-Control"] = "no-store"
    return response


def forget() -> None:
    """Drop the token of any secret this session held (its row goes with the user's sessions)."""
    session.pop(KEY, None)
