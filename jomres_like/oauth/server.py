"""The OAuth2 authorization server (client credentials, RFC 7009, RFC 7662).

Built on Authlib: :data:`authorization` issues, revokes and introspects tokens. API requests check their
``Authorization: Bearer`` header with :func:`jomres_like.oauth.bearer.authenticate`.
"""

from __future__ import annotations

import functools
import json
import secrets
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidScopeError, UnauthorizedClientError
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _IntrospectionEndpoint
from flask import Flask, current_app, request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..logs import get_logger
from ..models import OAuthClient, OAuthToken
from ..models.oauth import token_digest
from ..timeutil import utcnow
from . import credentials
from .bearer import MAX_TOKEN_LENGTH, REALM
from .keys import SECRET_HASH_METHOD, can_have_keys

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
log = get_logger("API")


#: the one answer to a failed client authentication, whether the id is unknown or the secret wrong (RFC 6749
#: 5.2), so that the token, revoke and introspect endpoints tell nobody which client ids exist
INVALID_CLIENT = "Client authentication failed"


def query_client(client_id: str) -> OAuthClient | None:
    """The app key with this ``client_id``, if any; looking up an unknown id costs a secret check too."""
    client = None
    if client_id and len(client_id) <= 64:
        client = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if client is None:
        check_password_hash(_dummy_secret_hash(), client_id or "")  # as long as a wrong secret takes
    return client


@functools.cache
def _dummy_secret_hash() -> str:
    """A hash made as app-key secrets are, of a secret nobody knows (made once, on the first unknown id)."""
    return generate_password_hash(secrets.token_urlsafe(32), method=SECRET_HASH_METHOD)


# Built once: constructing the statement costs more than running it on the hot path of every API request.
_TOKEN_BY_DIGEST = (select(OAuthToken).options(joinedload(OAuthToken.user))
                    .where(OAuthToken.token_hash == bindparam("digest")))


def query_token(token_string: str) -> OAuthToken | None:
    """The stored token whose digest matches ``token_string``, if any."""
    if not token_string or len(token_string) > MAX_TOKEN_LENGTH:
        return None
    return db.session.scalar(_TOKEN_BY_DIGEST, {"digest": token_digest(token_string)})


def save_token(token: dict, oauth_request) -> None:
    """Store a new token's digest, scope and expiry (the caller commits)."""
    client = oauth_request.client
    db.session.add(
        OAuthToken(
            client_pk=client.id,
            user_id=client.user_id,
            token_hash=token_digest(token["access_token"]),
            scope=token.get("scope", ""),
            issued_at=int(time.time()),
            expires_in=int(token["expires_in"]),
        )
    )
    client.last_used_at = utcnow()
    db.session.flush()


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    """Client credentials; asking for a scope the key lacks is ``invalid_scope``, never a smaller token."""

    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self):
        """Authenticate the key, refuse keys whose owner lost the right to have them, check the scope."""
        super().validate_token_request()
        if not can_have_keys(self.request.client.user):
            raise UnauthorizedClientError("The owner of this app key can no longer use the API.")

    def validate_requested_scope(self):
        """Every requested scope must be one of the key's scopes."""
        scope = requested_scope(self.request.payload.scope)
        if scope:
            missing = set(scope.split()) - set(self.request.client.scopes or [])
            if missing:
                wanted = " ".join(sorted(missing))
                raise InvalidScopeError(f"This app key does not have the scope(s): {wanted}.")


    def generate_token(self, user=None, scope=None, grant_type=None, expires_in=None,
                       include_refresh_token=True):
        """Authlib's token, for the scope asked for in either spelling (see :func:`requested_scope`)."""
        return super().generate_token(user=user, scope=requested_scope(scope), grant_type=grant_type,
                                      expires_in=expires_in, include_refresh_token=include_refresh_token)


def requested_scope(scope: str | None) -> str | None:
    """RFC 6749's space-separated scope; Jomres clients separate them with commas, which is accepted too."""
    return " ".join(scope.replace(",", " ").split()) if scope else scope


class RevocationEndpoint(_RevocationEndpoint):
    """RFC 7009: a key revokes its own tokens."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        """Look the token up by digest."""
        return query_token(token_string)

    def revoke_token(self, token, oauth_request):
        """Mark it revoked (kept, so the digest is never reused)."""
        token.revoked = True
        db.session.flush()


class IntrospectionEndpoint(_IntrospectionEndpoint):
    """RFC 7662: a key introspects its own tokens."""

    CLIENT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def query_token(self, token_string, token_type_hint):
        """Look the token up by digest."""
        return query_token(token_string)

    def check_permission(self, token, client, oauth_request):
        """Only the key the token was issued to."""
        return token.check_client(client)

    def introspect_token(self, token):
        """The RFC 7662 claims of an active token."""
        return {
            "active": True,
            "client_id": token.client.client_id,
            "token_type": "Bearer",
            "username": token.user.username,
            "sub": str(token.user_id),
            "scope": token.scope,
            "iat": token.issued_at,
            "exp": token.get_expires_at(),
        }


def _lifetime(client, grant_type) -> int:
    return int(current_app.config["JOMRES_TOKEN_LIFETIME"])


def _token_value(**_kwargs) -> str:
    return secrets.token_urlsafe(32)


authorization = AuthorizationServer(query_client=query_client, save_token=save_token)
authorization.register_grant(ClientCredentialsGrant)
authorization.register_endpoint(RevocationEndpoint)
authorization.register_endpoint(IntrospectionEndpoint)
authorization.register_client_auth_method("client_secret_basic", credentials.client_secret_basic)
authorization.register_client_auth_method("client_secret_post", credentials.client_secret_post)


def init_app(app: Flask) -> None:
    """Bind the authorization server to ``app`` with the configured token lifetime."""
    authorization.init_app(app)
    authorization.register_token_generator("default", BearerTokenGenerator(_token_value, None, _lifetime))


def oauth_response(response):
    """Authlib's token/revoke/introspect answer, with errors also in Jomres' envelope."""
    if response.status_code < 400:
        return response
    from ..errors import json_error

    try:
        body = json.loads(response.get_data(as_text=True) or "{}")
    except ValueError:
        body = {}
    error = body.get("error", "invalid_request")
    description = body.get("error_description") or error.replace("_", " ").capitalize() + "."
    status = response.status_code
    if error == "invalid_client":  # RFC 6749 5.2 allows 401 whichever way the client authenticated
        status = 401
        description = INVALID_CLIENT  # Authlib's own say whether the id exists (and print a Python list)
        headers = {"WWW-Authenticate": f'Basic realm="{REALM}", error="invalid_client"'}
    else:
        headers = {key: value for key, value in response.headers.items() if key.lower() == "www-authenticate"}
    headers.update({"Cache-Control": "no-store", "Pragma": "no-cache"})
    log.info("OAuth %s refused: %s", request.path, error)
    return json_error(status, description, headers=headers, error=error, error_description=description)
