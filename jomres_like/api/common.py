"""What every API endpoint shares: the envelope, token checks, property access, errors, ids.

Access rule (SPEC section 9, applied to the whole API): a token acts for its key's owner; the scope is checked
first (403 ``insufficient_scope``), then the property: one that does not exist or was deleted is 404, one the
owner does not manage is 403; a child record (booking, guest, room...) of another property is 404.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from flask import g, jsonify, request
from flask_smorest import Blueprint
from sqlalchemy import bindparam, select
from webargs.flaskparser import FlaskParser, abort
from werkzeug.exceptions import HTTPException

from ..errors import json_error
from ..extensions import db
from ..models import Property, User, manager_properties
from ..oauth.bearer import PropertyAccess, TokenError, TokenOwner, authenticate
from ..services import NotFound, PermissionDenied, ServiceError
from ..services.actor import set_actor

MAX_ID = 2**31 - 1
NO_ENVELOPE = "X-JOMRES-NO-ENVELOPE"


def envelope(name: str, payload: Any, status: int = 200, headers: dict | None = None, **meta: Any):
    """``{"data": {name: payload}, "meta": {"code": status}}``; the bare payload with X-JOMRES-NO-ENVELOPE."""
    if request.headers.get(NO_ENVELOPE, "").strip().lower() in ("1", "true", "yes"):
        response = jsonify(payload)
    else:
        response = jsonify({"data": {name: payload}, "meta": {"code": status, **meta}})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = str(value)
    return response


def token_error_response(error: TokenError):
    """A 401/403/400 in the envelope with the RFC 6750 ``WWW-Authenticate`` challenge."""
    extra = {} if error.error == "missing_token" else {"error": error.error}
    return json_error(error.status, error.description, headers={"WWW-Authenticate": error.www_authenticate},
                      **extra)


def require(scope: str | None = None) -> Callable:
    """Decorator: a valid bearer token (with ``scope`` when given); the view then acts as the key's owner.

    The token check reads the owner's id, name and role (:class:`TokenOwner`), which is all the access checks,
    the event records and the logs need of the acting user; views that need the ``User`` itself ask
    :func:`current_user`. For a route with a ``property_uid``, it also reads that property's access facts,
    which :func:`check_property` applies when the view asks (scope first, then the property).
    """

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            property_uid = kwargs.get("property_uid")
            if not _possible_id(property_uid):
                property_uid = None  # no property, or one that cannot exist: check_property answers 404
            try:
                token = authenticate(scope, property_uid)
            except TokenError as error:
                return token_error_response(error)
            g.api_token = token
            set_actor(token.owner)
            return view(*args, **kwargs)

        wrapper._jomres_scope = scope  # read by the OpenAPI security docs and the tests
        return wrapper

    return decorate


def token_owner() -> TokenOwner:
    """Who the request's token acts for, as the token check read it (id, username, role)."""
    return g.api_token.owner


def current_user() -> User:
    """The user the request's token acts for, loaded on first use."""
    return db.session.get(User, g.api_token.owner.id)


def _possible_id(value: Any) -> bool:
    return isinstance(value, int) and 1 <= value <= MAX_ID


def check_id(value: int, what: str = "record") -> int:
    """Ids beyond the database's integer range cannot exist: 404 instead of a database error."""
    if not _possible_id(value):
        raise NotFound(f"No such {what}.")
    return value


# Built once: whether a property is live and whether the user is assigned to it, for views whose token check
# did not read it already.
_PROPERTY_ACCESS = select(
    Property.__table__.c.deleted,
    select(manager_properties.c.user_id)
    .where(manager_properties.c.property_id == Property.__table__.c.id,
           manager_properties.c.user_id == bindparam("user_id"))
    .exists(),
).where(Property.__table__.c.id == bindparam("uid"))


def _property_access(property_uid: int, user_id: int) -> PropertyAccess:
    """The access facts of ``property_uid``: those the token check read, or one statement now."""
    access = g.api_token.property_access
    if access is not None and access.property_uid == property_uid:
        return access  # read with the token, earlier in this request
    row = db.session.connection().execute(_PROPERTY_ACCESS, {"uid": property_uid, "user_id": user_id}).first()
    return PropertyAccess(property_uid, live=row is not None and not row[0], assigned=bool(row and row[1]))


def check_property(property_uid: int) -> int:
    """Check the owner's access to ``property_uid``: 404 when unknown or deleted, 403 when not managed."""
    check_id(property_uid, "property")
    user = token_owner()
    access = _property_access(property_uid, user.id)
    if not access.live:
        raise NotFound("No such property.")
    if not (user.is_super_manager or (user.is_manager and access.assigned)):
        raise PermissionDenied("You do not manage this property.")
    return property_uid


def api_property(property_uid: int) -> Property:
    """The live property ``property_uid`` the owner may use (:func:`check_property`), loaded."""
    return db.session.get(Property, check_property(property_uid))


def commit():
    """The request's one commit."""
    db.session.commit()


def _http_error(error: HTTPException):
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("errors") or data.get("messages")
    message = data.get("message") or error.description or error.name
    extra: dict[str, Any] = {}
    if messages:
        extra["errors"] = _flatten(messages)
        message = _first_message(extra["errors"]) or message
    response = json_error(status, message, **extra)
    for key, value in (data.get("headers") or {}).items():
        response.headers[key] = value
    if status == 405:
        allow = error.get_response().headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
    return response


def _flatten(messages: Any) -> dict:
    """webargs' ``{"json": {"field": ["msg"]}}`` -> ``{"field": "msg"}``."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                name = str(key) if key not in ("json", "query", "form", "path", "headers") else ""
                walk(f"{prefix}.{name}".strip(".") if name else prefix, item)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            flat[prefix or "body"] = " ".join(value)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(f"{prefix}.{index}".strip("."), item)
        else:
            flat[prefix or "body"] = str(value)

    walk("", messages)
    return flat


def _first_message(errors: dict) -> str:
    for field, message in errors.items():
        return f"{field}: {message}" if field != "body" else message
    return ""


def _service_error(error: ServiceError):
    db.session.rollback()
    extra = {"errors": error.errors} if error.errors else {}
    return json_error(error.status, error.message, **extra)


class BodyParser(FlaskParser):
    """webargs' parser of request bodies and query strings; a JSON body nested too deeply or holding a number
    too long to read is a 400 with a message, as malformed JSON is."""

    def _raw_load_json(self, req):
        try:
            return super()._raw_load_json(req)
        except json.JSONDecodeError:
            raise  # webargs answers it: "Invalid JSON body."
        except RecursionError:
            abort(400, messages={"json": ["The JSON body is nested too deeply."]})
        except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
            abort(400, messages={"json": ["The JSON body holds a number too long to read."]})


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose bodies and query strings are read by :class:`BodyParser`."""

    ARGUMENTS_PARSER = BodyParser()


def make_blueprint(name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under ``/jomres/api`` answering every error in the envelope."""
    bp = ApiBlueprint(name, __name__, url_prefix="/jomres/api", description=description)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(ServiceError, _service_error)
    return bp


def errors_doc(bp: Blueprint, *codes: int) -> Callable:
    """Document the error answers ``codes`` of a view (all in the error envelope)."""
    from .schemas import Error

    def decorate(view: Callable) -> Callable:
        for code in codes:
            view = bp.alt_response(code, schema=Error, description=_REASONS.get(code, "Error"))(view)
        return view

    return decorate


_REASONS = {
    400: "Malformed request", 401: "Missing, expired, revoked or unknown token (RFC 6750)",
    403: "Insufficient scope, or a property the key's owner does not manage", 404: "Not found",
    409: "Conflict with the current state", 413: "Request body too large", 422: "Invalid input",
    429: "Too many requests",
}
