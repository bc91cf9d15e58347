"""The published OpenAPI document and the docs page served from vendored assets."""

from __future__ import annotations


def test_openapi_document_describes_the_api(client):
    response = client.get("/jomres/api/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"] == "3.1.0"
    paths = spec["paths"]
    for path in ("/jomres/api/oauth/token", "/jomres/api/webhooks/{property_uid}/{event}/{subject_id}",
                 "/jomres/api/properties/{property_uid}/bookings", "/jomres/api/webhook_subscriptions",
                 "/jomres/api/deliveries/{delivery_id}/redeliver", "/jomres/api/webhook_events",
                 "/jomres/api/search"):
        assert path in paths, path
    create = paths["/jomres/api/properties/{property_uid}/bookings"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/BookingCreate"}
    assert spec["components"]["schemas"]["BookingCreate"]["additionalProperties"] is False
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "422" in create["responses"] and "401" in create["responses"]


def test_docs_page_uses_the_vendored_redoc(client):
    page = client.get("/jomres/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/vendor/redoc/redoc.standalone.js" in html and "//cdn" not in html
    script = client.get("/static/vendor/redoc/redoc.standalone.js")
    assert script.status_code == 200 and len(script.data) > 100_000


def test_docs_page_links_back_to_the_app_and_loads_nothing_from_outside(client):
    html = client.get("/jomres/api/docs").get_data(as_text=True)
    assert 'href="/">&larr; Back to jomres_like</a>' in html
    assert "hide-loading" in html
    script = client.get("/static/vendor/redoc/redoc.standalone.js").get_data(as_text=True)
    assert "cdn.redoc.ly" not in script  # the footer logo is ours
    assert 'src:"/static/vendor/redoc/logo-mini.svg"' in script
    logo = client.get("/static/vendor/redoc/logo-mini.svg")
    assert logo.status_code == 200 and logo.mimetype == "image/svg+xml"


def test_openapi_document_validates_and_a_generator_can_use_it(client):
    from openapi_spec_validator import validate

    from jomres_like import signals
    from jomres_like.oauth.keys import SCOPES

    spec = client.get("/jomres/api/openapi.json").json
    validate(spec)  # raises when invalid
    assert spec["servers"]
    flow = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/jomres/api/oauth/token" and set(flow["scopes"]) == set(SCOPES)
    path = spec["paths"]["/jomres/api/webhooks/{property_uid}/{event}/{subject_id}"]
    assert {"oauth2": ["webhooks_get"]} in path["get"]["security"]
    event = next(p for p in path["parameters"] if p["name"] == "event")
    assert "booking_added" in event["schema"]["enum"] and "booking_note_save" in event["schema"]["enum"]
    answer = spec["components"]["schemas"]["CallbackData"]["properties"]
    assert answer["contract_details"] == {"$ref": "#/components/schemas/ContractDetails"}
    assert "rooms_tariffs" in spec["components"]["schemas"]["ContractDetails"]["properties"]
    assert spec["components"]["schemas"]["EventName"]["enum"] == list(signals.CATALOGUE)


def test_openapi_webhooks_describe_every_event_envelope_and_data(client):
    from jomres_like import signals

    webhooks = client.get("/jomres/api/openapi.json").json["webhooks"]
    assert set(webhooks) == set(signals.CATALOGUE)
    body = webhooks["booking_note_saved"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["event"]["enum"] == ["booking_note_saved", "booking_note_save"]
    data = body["properties"]["data"]
    assert set(data["required"]) == {"property_uid", "contract_uid", "note_id", "manager_id", "task"}
    assert data["properties"]["note_uid"]["type"] == "integer"


def test_webhook_events_carry_each_event_json_schema(client, demo, app_key):
    import jsonschema

    from jomres_like import signals
    from jomres_like.webhooks.catalogue import sample_payload

    from .conftest import basic

    client_id, secret = app_key("manager", ["webhooks_get"])
    token = client.post("/jomres/api/oauth/token", data={"grant_type": "client_credentials"},
                        headers=basic(client_id, secret)).json["access_token"]
    listed = client.get("/jomres/api/webhook_events", headers={"Authorization": f"Bearer {token}"}).json
    events = listed["data"]["webhook_events"]["events"]
    assert [e["event"] for e in events] == list(signals.CATALOGUE)
    for event in events:
        jsonschema.Draft202012Validator.check_schema(event["schema"])
        jsonschema.validate(sample_payload(event["event"]), event["schema"])  # the sample is an instance
    assert next(e for e in events if e["event"] == "property_updated")["legacy_name"] == "property_saved"
