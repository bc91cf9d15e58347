"""A secret shown once after a redirect: taken once, only by its page, encrypted meanwhile, gone at logout."""

from __future__ import annotations

import pytest
from flask import session

from jomres_like import once


@pytest.fixture
def request_ctx(app):
    with app.test_request_context("/"):
        yield


def test_taken_once_by_its_own_page(request_ctx):
    once.keep("webhook", 7, "whsec_abc", created=True)
    assert "whsec_abc" not in str(session[once.KEY])  # the session cookie is signed, not encrypted
    assert once.take("webhook", 8) is None and once.take("app_key", 7) is None  # not theirs: kept
    held = once.take("webhook", 7)
    assert held["secret"] == "whsec_abc" and held["created"] is True
    assert once.take("webhook", 7) is None


def test_an_old_or_tampered_secret_is_not_shown(request_ctx, monkeypatch):
    once.keep("webhook", 7, "whsec_abc")
    now = session[once.KEY]["at"]
    monkeypatch.setattr(once.time, "time", lambda: now + once.TTL + 1)
    assert once.take("webhook", 7) is None and once.KEY not in session
    monkeypatch.undo()
    once.keep("webhook", 7, "whsec_abc")
    session[once.KEY]["secret"] = "not a token"
    assert once.take("webhook", 7) is None


def test_logout_forgets_a_secret_not_yet_shown(app, client, login, make_user):
    make_user("alice", role="manager")
    login("alice")
    with client.session_transaction() as held:
        with app.test_request_context("/"):
            once.keep("app_key", 1, "s3cret")
            held[once.KEY] = session[once.KEY]
    client.post("/logout")
    with client.session_transaction() as held:
        assert once.KEY not in held
