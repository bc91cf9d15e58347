"""A secret shown once after a redirect: taken once, only by its page, kept on the server (encrypted), never
shown again to a copy of the cookie, gone when the user's sessions end."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import session
from flask_login import login_user
from sqlalchemy import func, select

from jomres_like import once
from jomres_like.extensions import db
from jomres_like.models import ShownSecret, User


@pytest.fixture
def request_ctx(app, make_user):
    """A request of the logged-in manager alice."""
    user_id = make_user("alice", role="manager").id
    with app.test_request_context("/"):
        login_user(db.session.get(User, user_id))
        yield


def _rows() -> int:
    return db.session.scalar(select(func.count()).select_from(ShownSecret))


def test_taken_once_by_its_own_page(request_ctx):
    once.keep("webhook", 7, "whsec_abc", created=True)
    assert "whsec_abc" not in str(dict(session))  # the session holds a token only
    assert "whsec_abc" not in db.session.scalar(select(ShownSecret.secret_encrypted))  # encrypted at rest
    assert once.take("webhook", 8) is None and once.take("app_key", 7) is None  # not theirs: kept
    held = once.take("webhook", 7)
    assert held["secret"] == "whsec_abc" and held["created"] is True
    assert once.take("webhook", 7) is None
    assert _rows() == 0


def test_a_second_secret_replaces_the_first(request_ctx):
    once.keep("webhook", 7, "whsec_one")
    once.keep("webhook", 8, "whsec_two")
    assert _rows() == 1
    assert once.take("webhook", 7) is None and once.take("webhook", 8)["secret"] == "whsec_two"


def test_an_old_or_tampered_secret_is_not_shown(request_ctx, monkeypatch):
    once.keep("webhook", 7, "whsec_abc")
    row = db.session.scalar(select(ShownSecret))
    row.expires_at -= timedelta(seconds=once.TTL + 1)
    db.session.commit()
    assert once.take("webhook", 7) is None and once.KEY not in session and _rows() == 0
    once.keep("webhook", 7, "whsec_abc")
    db.session.scalar(select(ShownSecret)).secret_encrypted = "not a token"
    db.session.commit()
    assert once.take("webhook", 7) is None


def test_another_users_session_cannot_take_it(app, request_ctx, make_user):
    once.keep("webhook", 7, "whsec_abc")
    token = session[once.KEY]
    bob_id = make_user("bob", role="manager").id
    with app.test_request_context("/"):
        login_user(db.session.get(User, bob_id))
        session[once.KEY] = token
        assert once.take("webhook", 7) is None
    assert _rows() == 1


def test_logout_forgets_a_secret_not_yet_shown(app, client, login, make_user):
    alice = make_user("alice", role="manager")
    login("alice")
    with app.test_request_context("/"):
        login_user(db.session.get(User, alice.id))
        once.keep("app_key", 1, "s3cret")
        token = session[once.KEY]
    with client.session_transaction() as held:
        held[once.KEY] = token
    client.post("/logout")
    with client.session_transaction() as held:
        assert once.KEY not in held
    with app.app_context():
        assert _rows() == 0
