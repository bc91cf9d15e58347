"""What the OpenAPI document says beyond the views: OAuth2, servers, enums, typed callbacks, webhooks.

:func:`complete` runs once, when the document is first built: it declares the ``oauth2`` client-credentials
scheme with every scope (and each operation's scope from its ``require``), a ``servers`` entry, the event
names as enums, the callback answer typed per Jomres response key, and OpenAPI 3.1's ``webhooks``: one
``POST`` per catalogue event with its envelope and ``data`` (:mod:`jomres_like.event_schemas`).
"""

from __future__ import annotations

import re

from apispec import APISpec
from flask import Flask

from .. import callbacks as records
from .. import signals
from ..event_schemas import RECORD_SCHEMAS, data_schema, envelope_schema
from ..oauth.keys import SCOPES

TOKEN_URL = "/jomres/api/oauth/token"
_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_HEADERS = {
    "webhook-id": "The message id: the same on every retry and redelivery.",
    "webhook-timestamp": "Seconds since the epoch when this attempt was signed.",
    "webhook-signature": "v1,<base64 HMAC-SHA256 of id.timestamp.body>, space-separated during a rotation.",
    "X-Jomres-Event": "The event name (the older Jomres name for jomres_legacy webhooks).",
}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _declare_components(spec: APISpec) -> None:
    spec.components.security_scheme("oauth2", {
        "type": "oauth2",
        "description": "An app key's client credentials (App Key Management); scopes comma or space apart.",
        "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": dict(SCOPES)}},
    })
    for key, schema in RECORD_SCHEMAS.items():
        spec.components.schema(_camel(key), schema)
    spec.components.schema("CallbackData", {
        "type": "object",
        "description": "One of these keys, the Jomres response key of the event called back.",
        "properties": {key: _ref(_camel(key)) for key in RECORD_SCHEMAS},
    })
    spec.components.schema("CallbackEnvelope", {
        "type": "object",
        "properties": {"data": _ref("CallbackData"), "meta": _ref("Meta")},
        "required": ["data", "meta"],
    })
    spec.components.schema("EventName", {"type": "string", "enum": list(signals.CATALOGUE)})
    spec.components.schema("EventOrLegacyName", {
        "type": "string", "enum": list(signals.CATALOGUE) + list(signals.LEGACY_EVENTS)})


def _webhooks() -> dict:
    found = {}
    for name, event in signals.CATALOGUE.items():
        body = envelope_schema(event, data=data_schema(event))
        found[name] = {"post": {
            "summary": event.description,
            "operationId": f"webhook_{name}",
            "description": f"Sent for {name}; data carries {', '.join(event.keys)}, manager_id and task.",
            "parameters": [{"name": header, "in": "header", "required": True, "description": text,
                            "schema": {"type": "string"}} for header, text in _HEADERS.items()],
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"2XX": {"description": "Received; anything else is retried (410 disables)."}},
        }}
    return found


def _operations(spec: APISpec, app: Flask) -> None:
    """Each operation's oauth2 scope (beside bearerAuth), and the callback paths' event enums."""
    scopes = {}
    for rule in app.url_map.iter_rules():
        scope = getattr(app.view_functions.get(rule.endpoint), "_jomres_scope", False)
        if scope is not False:
            scopes[_RULE_ARG.sub(r"{\1}", rule.rule)] = scope
    with_id = [name for name in records.callback_events() if records.needs_id(name)]
    without_id = [name for name in records.callback_events() if not records.needs_id(name)]
    for path, operations in spec._paths.items():
        callback = path.startswith("/jomres/api/webhooks/")
        names = with_id if path.endswith("{subject_id}") else without_id
        for method, operation in operations.items():
            parameters = operation if method == "parameters" else operation.get("parameters", [])
            for parameter in parameters if callback else ():
                if parameter.get("name") == "event":
                    parameter["schema"] = {"type": "string", "enum": names}
            if method == "parameters" or path not in scopes:
                continue
            if operation.get("security") is None or {"bearerAuth": []} in operation["security"]:
                scope = scopes[path]
                operation["security"] = [{"bearerAuth": []}, {"oauth2": [scope] if scope else []}]


def _event_enums(spec: APISpec) -> None:
    """Event names as enums in the subscriptions (legacy names accepted when written) and deliveries."""
    for name, items in (("Subscription", "EventName"), ("SubscriptionPatch", "EventOrLegacyName"),
                        ("SubscriptionCreate", "EventOrLegacyName")):
        events = spec.components.schemas.get(name, {}).get("properties", {}).get("events")
        if events is not None:
            events["items"] = _ref(items)
    delivery = spec.components.schemas.get("Delivery", {}).get("properties", {})
    if "event" in delivery:
        delivery["event"] = _ref("EventName")


def complete(spec: APISpec, app: Flask) -> None:
    """Add what the views cannot declare themselves (see the module's docstring); run once."""
    _operations(spec, app)
    _event_enums(spec)
    spec.options["servers"] = [{"url": "/", "description": "This site (the API lives under /jomres/api/)."}]
    spec.options["webhooks"] = _webhooks()


def declare(spec: APISpec) -> None:
    """The components the views refer to by name (``CallbackEnvelope``); before any view is documented."""
    _declare_components(spec)
