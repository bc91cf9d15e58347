"""Fixtures for the service tests: an app context, a property with a manager, and the event log."""

from __future__ import annotations

import pytest

from .helpers import EventLog


@pytest.fixture
def events(ctx) -> EventLog:
    """``events.mark()`` after the set-up, then ``events.one("booking_added")``."""
    return EventLog()


@pytest.fixture
def manager(ctx, make_user):
    """A manager with no property yet."""
    return make_user("mgr")


@pytest.fixture
def prop(ctx, make_property, manager):
    """A property managed by ``manager``."""
    return make_property("Fawlty Towers", managers=[manager])


@pytest.fixture
def other_prop(ctx, make_property):
    """A second property nobody in these tests manages."""
    return make_property("Elsewhere Inn")
