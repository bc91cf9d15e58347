"""Tokens: ``/oauth/token`` (client credentials), Jomres' form POST to the API root, revoke, introspect."""

from __future__ import annotations

from flask import current_app, request

from ..errors import json_error
from ..extensions import limiter
from ..oauth.bearer import REALM
from ..oauth.server import INVALID_CLIENT, authorization, oauth_response
from ..version import PRODUCT, __version__
from . import schemas
from .common import commit, envelope, errors_doc, make_blueprint

bp = make_blueprint("oauth", "OAuth2 client credentials: tokens, revocation, introspection.")

_CLIENT_FIELDS = {
    "client_id": {"type": "string", "maxLength": 64},
    "client_secret": {"type": "string", "maxLength": 200},
}
TOKEN_FORM = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "grant_type": {"type": "string", "enum": ["client_credentials"]},
                    "scope": {"type": "string", "maxLength": 255},
                    **_CLIENT_FIELDS,
                },
                "required": ["grant_type"],
            }
        }
    },
}
TOKEN_REF_FORM = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "properties": {
                    "token": {"type": "string", "maxLength": 512},
                    "token_type_hint": {"type": "string", "enum": ["access_token"]},
                    **_CLIENT_FIELDS,
                },
                "required": ["token"],
            }
        }
    },
}
CLIENT_AUTH = [{"basicAuth": []}, {}]


@bp.before_request
def _refuse_credentials_without_value():
    """An ``Authorization`` header of one word (``Bearer``, ``Basic``) is invalid_client, never a crash."""
    header = request.headers.get("Authorization")
    if request.method == "POST" and header is not None and len(header.split(None, 1)) < 2:
        return json_error(401, INVALID_CLIENT, headers={"WWW-Authenticate": f'Basic realm="{REALM}"',
                                                        "Cache-Control": "no-store"},
                          error="invalid_client", error_description=INVALID_CLIENT)
    return None


def _rate_limit() -> str:
    return current_app.config["JOMRES_TOKEN_RATE_LIMIT"]


def _issue_token():
    response = oauth_response(authorization.create_token_response())
    if response.status_code == 200:
        commit()
    return response


@bp.route("/oauth/token", methods=["POST"])
@limiter.limit(_rate_limit)
@bp.doc(requestBody=TOKEN_FORM, security=CLIENT_AUTH, summary="Get an access token (client credentials)")
@bp.response(200, schemas.Token)
@errors_doc(bp, 400, 401, 413, 429)
def token():
    """Issue an access token for an app key (HTTP Basic or form client authentication)."""
    return _issue_token()


@bp.route("/", methods=["GET"])
@bp.doc(security=[], summary="About this API")
@bp.response(200, schemas.enveloped("api"))
def about():
    """A small public description of the API (no token needed)."""
    return envelope("api", {"product": PRODUCT, "version": __version__,
                            "token_url": "/jomres/api/oauth/token"})


@bp.route("/", methods=["POST"])
@limiter.limit(_rate_limit)
@bp.doc(requestBody=TOKEN_FORM, security=CLIENT_AUTH, summary="Get an access token, the Jomres way")
@bp.response(200, schemas.Token)
@errors_doc(bp, 400, 401, 413, 429)
def jomres_token():
    """Jomres clients POST ``grant_type=client_credentials`` with their keys to the API root."""
    if request.mimetype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return json_error(400, "Send a form with grant_type=client_credentials.", error="invalid_request",
                          error_description="Send a form with grant_type=client_credentials.")
    return _issue_token()


@bp.route("/oauth/revoke", methods=["POST"])
@limiter.limit(_rate_limit)
@bp.doc(requestBody=TOKEN_REF_FORM, security=CLIENT_AUTH, summary="Revoke a token (RFC 7009)")
@bp.response(200, schemas.enveloped("revoked"))
@errors_doc(bp, 400, 401, 413, 429)
def revoke():
    """Revoke one of the key's tokens; unknown tokens are answered 200 too, as RFC 7009 says."""
    response = oauth_response(authorization.create_endpoint_response("revocation"))
    if response.status_code == 200:
        commit()
        return envelope("revoked", True)
    return response


@bp.route("/oauth/introspect", methods=["POST"])
@limiter.limit(_rate_limit)
@bp.doc(requestBody=TOKEN_REF_FORM, security=CLIENT_AUTH, summary="Introspect a token (RFC 7662)")
@bp.response(200, schemas.Introspection)
@errors_doc(bp, 400, 401, 413, 429)
def introspect():
    """Whether one of the key's tokens is active, with its scope and expiry."""
    return oauth_response(authorization.create_endpoint_response("introspection"))
