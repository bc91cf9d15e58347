"""Fixtures of the manager page tests: the demo data and ``manager`` logged in."""

from __future__ import annotations

import pytest


@pytest.fixture
def manager(client, demo):
    """The test client, logged in as the demo ``manager`` (properties 1 and 2)."""
    response = client.post("/login", data={"username": "manager", "password": "manager"})
    assert response.status_code == 302
    return client
