"""schemathesis against the live server, every check enabled: no server error, no answer off the schema."""

from __future__ import annotations

import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 12
BUDGET_SECONDS = 240
# A schema-valid request can still break a domain rule (departure before arrival, a room already booked):
# those are answered 422 (or 409), as documented on each operation.
CONFIG = SchemathesisConfig.from_dict({
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422",
                                                                  "429"]}},
})


def all_checks() -> list:
    """Every function check schemathesis ships."""
    load_all_checks()
    return [check for check in CHECKS.get_all() if callable(check) and not isinstance(check, type)]


def test_api_conforms_to_its_openapi_document(live_api):
    server, client_id, secret = live_api
    token = requests.post(server.url + "/jomres/api/oauth/token", auth=(client_id, secret),
                          data={"grant_type": "client_credentials"}, timeout=10).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_url(server.url + "/jomres/api/openapi.json", config=CONFIG)
    checks = all_checks()
    assert len(checks) >= 10
    session = requests.Session()
    deadline = time.monotonic() + BUDGET_SECONDS
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for operation in operations:
            if time.monotonic() > deadline:
                pytest.fail(f"schemathesis ran out of its {BUDGET_SECONDS}s budget at {operation.label}")

            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                case.call_and_validate(session=session, headers=headers, checks=checks, timeout=10)

            try:
                run()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing to get wrong in it

