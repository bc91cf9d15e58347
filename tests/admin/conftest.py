"""Fixtures of the administrator page tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin(client, demo):
    """The test client, logged in as the demo administrator."""
    assert client.post("/login", data={"username": "admin", "password": "admin"}).status_code == 302
    return client
