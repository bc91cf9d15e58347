"""The bearer-token check of API requests (RFC 6750): one Core statement for the token and its owner.

Every API request reads its token from the database, so a revoked or expired token, or an owner who lost the
right to use the API, is refused on the very next request. The check reads only the columns it needs, the
token's and its owner's, in one prebuilt statement: the ORM ``User`` is loaded later, and only by the
endpoints that need it (:func:`jomres_like.api.common.current_user`). It answers as Authlib's
``ResourceProtector`` with a ``BearerTokenValidator`` does: a malformed header, an unknown, expired or revoked
token is ``invalid_token`` (401), a token without the scope is ``insufficient_scope`` (403).

When the request names a property, the same statement also reads whether it is live and whether the owner
is assigned to it (:class:`PropertyAccess`); the API applies that rule after the scope check, as before. Each
statement counts: under gunicorn's threads every SQLite call hands the GIL over, so one statement fewer per
request is worth far more than its single-threaded cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import request
from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import OAuthToken, Property, User, manager_properties
from ..models.oauth import token_digest
from ..models.users import RoleChecks
from .keys import can_have_keys

REALM = "jomres"
MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class TokenOwner(RoleChecks):
    """The user a token acts for, as the token check reads it: enough for the access rules and the logs."""

    id: int
    username: str
    role: str
    active: bool

    @property
    def is_active(self) -> bool:
        """Whether the account is enabled (as ``User.is_active``)."""
        return self.active


@dataclass(frozen=True)
class PropertyAccess:
    """What the access rule needs of a property: whether it is live, whether the token's owner manages it."""

    property_uid: int
    live: bool
    assigned: bool


@dataclass(frozen=True)
class BearerToken:
    """A stored access token as the API checks it; ``owner`` is ``None`` if its user is gone.

    ``property_access`` is read with the token when the request names a property (else ``None``).
    """

    id: int
    client_pk: int
    scope: str
    issued_at: int
    expires_in: int
    revoked: bool
    owner: TokenOwner | None
    property_access: PropertyAccess | None = None

    def is_expired(self) -> bool:
        """Whether the token's lifetime is over (as ``OAuthToken.is_expired``)."""
        return time.time() >= self.issued_at + self.expires_in


# Built once (hot path of every API request): the token's columns and its owner's, by the token's digest;
# with a property, also its ``deleted`` flag (NULL when there is no such property) and the assignment.
_T, _U, _P, _MP = OAuthToken.__table__, User.__table__, Property.__table__, manager_properties
_BEARER = (
    select(_T.c.id, _T.c.client_pk, _T.c.scope, _T.c.issued_at, _T.c.expires_in, _T.c.revoked,
           _U.c.id.label("owner_id"), _U.c.username, _U.c.role, _U.c.active)
    .outerjoin(_U, _U.c.id == _T.c.user_id)
    .where(_T.c.token_hash == bindparam("digest"))
)
_BEARER_AND_PROPERTY = _BEARER.add_columns(
    select(_P.c.deleted).where(_P.c.id == bindparam("pid")).scalar_subquery().label("property_deleted"),
    select(_MP.c.user_id)
    .where(_MP.c.property_id == bindparam("pid"), _MP.c.user_id == _T.c.user_id)
    .exists()
    .label("property_assigned"),
)


def find_bearer_token(token_string: str, property_uid: int | None = None) -> BearerToken | None:
    """The stored token whose digest matches ``token_string``, with its owner, if any (one Core statement).

    With ``property_uid`` (a valid id), the same statement reads that property's :class:`PropertyAccess`.
    """
    if not token_string or len(token_string) > MAX_TOKEN_LENGTH:
        return None
    params = {"digest": token_digest(token_string)}
    statement = _BEARER
    if property_uid is not None:
        params["pid"] = property_uid
        statement = _BEARER_AND_PROPERTY
    row = db.session.connection().execute(statement, params).first()
    if row is None:
        return None
    owner = None
    if row.owner_id is not None:
        owner = TokenOwner(id=row.owner_id, username=row.username, role=row.role, active=bool(row.active))
    access = None
    if property_uid is not None:
        live = row.property_deleted is not None and not row.property_deleted
        access = PropertyAccess(property_uid=property_uid, live=live, assigned=bool(row.property_assigned))
    return BearerToken(id=row.id, client_pk=row.client_pk, scope=row.scope, issued_at=row.issued_at,
                       expires_in=row.expires_in, revoked=bool(row.revoked), owner=owner,
                       property_access=access)


class TokenError(Exception):
    """A request without a usable bearer token (401) or without the scope it needs (403)."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    @property
    def www_authenticate(self) -> str:
        """The RFC 6750 challenge."""
        if self.error == "missing_token":
            return f'Bearer realm="{REALM}"'
        return f'Bearer realm="{REALM}", error="{self.error}", error_description="{self.description}"'


_INVALID = "The access token is missing, expired, revoked or unknown."
_INSUFFICIENT = "The access token does not have the scope this request needs."


def authenticate(scope: str | None, property_uid: int | None = None) -> BearerToken:
    """Return the request's valid token having ``scope`` (any scope when ``None``), or raise TokenError.

    ``property_uid``: the property the request names, whose access facts are then read with the token.
    """
    header = request.headers.get("Authorization", "")
    if not header:
        raise TokenError(401, "missing_token", "An access token is required (Authorization: Bearer ...).")
    parts = header.split(None, 1)  # as Authlib parses it (RFC 6749 section 7.1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise TokenError(401, "invalid_token", _INVALID)
    token = find_bearer_token(parts[1], property_uid)
    if token is None or token.is_expired() or token.revoked:
        raise TokenError(401, "invalid_token", _INVALID)
    if BearerTokenValidator.scope_insufficient(token.scope, [scope] if scope else None):
        raise TokenError(403, "insufficient_scope", _INSUFFICIENT)
    if not can_have_keys(token.owner):
        raise TokenError(401, "invalid_token", "The owner of this token can no longer use the API.")
    return token
