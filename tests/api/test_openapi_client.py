"""A client generated from the OpenAPI document (openapi-python-client) gets a token and reads a typed
``contract_details`` through the callback feature, talking to the app over httpx's WSGI transport."""

from __future__ import annotations

import datetime
import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .conftest import OWN

pytestmark = pytest.mark.usefixtures("demo")
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture
def generated(client, tmp_path, monkeypatch):
    """The generated package ``jomres_client``, importable."""
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/jomres/api/openapi.json").json))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"project_name_override": "jomres_client",
                                  "package_name_override": "jomres_client", "post_hooks": []}))
    out = tmp_path / "jomres_client"
    result = subprocess.run([str(GENERATOR), "generate", "--path", str(spec), "--config", str(config),
                             "--meta", "none", "--output-path", str(out)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [name for name in sys.modules if name.startswith("jomres_client")]:
        del sys.modules[name]
    return importlib.import_module("jomres_client")


def _module(package, name: str):
    return importlib.import_module(f"{package.__name__}.{name}")


def test_generated_client_gets_a_token_and_reads_typed_contract_details(app, world, app_key, generated):
    client_id, secret = app_key("manager", ["webhooks_get"])
    transport = httpx.WSGITransport(app=app)
    token_api = _module(generated, "api.oauth.post_jomres_api_oauth_token")
    body = _module(generated, "models.post_jomres_api_oauth_token_body")
    grant = _module(generated, "models.post_jomres_api_oauth_token_body_grant_type")
    anonymous = generated.Client(base_url="http://localhost", httpx_args={"transport": transport})
    token = token_api.sync(client=anonymous, body=body.PostJomresApiOauthTokenBody(
        grant_type=grant.PostJomresApiOauthTokenBodyGrantType.CLIENT_CREDENTIALS,
        client_id=client_id, client_secret=secret, scope="webhooks_get"))
    assert type(token).__name__ == "Token", token
    assert token.token_type == "Bearer"

    callback = _module(generated, "api.webhooks.get_jomres_api_webhooks_property_uid_event_subject_id")
    events = _module(generated, "models.get_jomres_api_webhooks_property_uid_event_subject_id_event")
    authed = generated.AuthenticatedClient(base_url="http://localhost", token=token.access_token,
                                           httpx_args={"transport": transport})
    answer = callback.sync(OWN, events.GetJomresApiWebhooksPropertyUidEventSubjectIdEvent.BOOKING_ADDED,
                           world.booking, client=authed)
    assert type(answer).__name__ == "CallbackEnvelope", answer
    details = answer.data.contract_details
    assert type(details).__name__ == "ContractDetails"
    assert details.contract_uid == world.booking and details.property_uid == OWN
    assert isinstance(details.arrival, datetime.date) and details.departure > details.arrival
    assert details.rooms_tariffs and isinstance(details.bookedout, bool)
    room = details.roomdeets.additional_properties[str(details.room_uids[0])]
    assert room.room_uid == details.room_uids[0]
