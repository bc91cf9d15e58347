"""Where a successful login goes: only a clean local ``next`` is followed, anything else goes home."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "target",
    [
        "/%0d%0aX:1",
        "/%0aSet-Cookie:x=1",
        "/manager%09/webhooks",
        "//evil.test/",
        "/\\evil.test",
        "\\\\evil.test",
        "http://evil.test/",
        "https:/evil.test",
        "manager/webhooks",
        "javascript:alert(1)",
    ],
)
def test_a_next_that_is_not_a_clean_local_path_is_ignored(client, make_user, target):
    make_user("alice", role="manager")
    response = client.post(f"/login?next={target}", data={"username": "alice", "password": "alice-pass"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/manager/"


def test_a_clean_local_next_is_followed(client, make_user):
    make_user("alice", role="manager")
    response = client.post(
        "/login?next=/manager/webhooks%3Fpage%3D2", data={"username": "alice", "password": "alice-pass"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/manager/webhooks?page=2"
