"""The pipeline fixtures (tests/pipeline_fixtures.py) for the deferred-task tests."""

from pipeline_fixtures import *  # noqa: F403 - the fixtures are found by name
