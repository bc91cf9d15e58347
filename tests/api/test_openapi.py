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
