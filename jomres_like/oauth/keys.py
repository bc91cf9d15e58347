"""App keys: the rules for creating, changing, expiring and deleting a user's OAuth2 clients.

Services: they validate, change and flush; the caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import OAuthClient, OAuthToken, User
from ..services import NotFound, PermissionDenied, ValidationError
from ..services.validation import require_text

if TYPE_CHECKING:
    from .bearer import TokenOwner

#: scope -> what it allows (shown on the App Key Management pages)
SCOPES: dict[str, str] = {
    "webhooks_get": "Get data as part of a webhook communication",
    "properties_get": "Read properties, their tariffs and settings",
    "properties_set": "Change property tariffs",
    "bookings_get": "Read bookings and guests",
    "bookings_set": "Create, modify and cancel bookings",
    "webhooks_manage": "Manage webhook subscriptions",
    "search_get": "Search across all properties (super managers only)",
}
SUPER_ONLY = {"search_get"}
#: A fast salted hash is enough for a 256-bit random secret, and keeps the token endpoint quick.
SECRET_HASH_METHOD = "pbkdf2:sha256:1000"


def can_have_keys(user: User | TokenOwner | None) -> bool:
    """Managers and super managers may create app keys; nobody else."""
    return bool(user is not None and user.is_active and user.is_manager)


def grantable_scopes(user: User) -> list[str]:
    """The scopes ``user``'s role may grant, in display order."""
    if not can_have_keys(user):
        return []
    return [scope for scope in SCOPES if user.is_super_manager or scope not in SUPER_ONLY]


def clean_scopes(user: User, scopes: Iterable[str] | str | None) -> list[str]:
    """Validate ``scopes`` (a list or a comma/space separated string) against what ``user`` may grant."""
    if scopes is None:
        scopes = []
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    wanted = []
    for scope in scopes:
        if not isinstance(scope, str):
            raise ValidationError("Scopes must be names.", field="scopes")
        if scope not in wanted:
            wanted.append(scope)
    if not wanted:
        raise ValidationError("Choose at least one scope.", field="scopes")
    allowed = grantable_scopes(user)
    refused = [scope for scope in wanted if scope not in allowed]
    if refused:
        raise ValidationError(f"Your role cannot grant {', '.join(refused)}.", field="scopes")
    return [scope for scope in SCOPES if scope in wanted]


def _require_owner(user: User) -> None:
    if not can_have_keys(user):
        raise PermissionDenied("Only managers and super managers can have app keys.")


def keys_of(user: User) -> list[OAuthClient]:
    """``user``'s app keys, newest first."""
    _require_owner(user)
    query = select(OAuthClient).where(OAuthClient.user_id == user.id).order_by(OAuthClient.id.desc())
    return list(db.session.scalars(query))


def get_key(user: User, key_id: int) -> OAuthClient:
    """One of ``user``'s app keys; :class:`NotFound` for anyone else's."""
    _require_owner(user)
    if not isinstance(key_id, int) or not 0 < key_id < 2**31:
        raise NotFound("No such app key.")
    key = db.session.get(OAuthClient, key_id)
    if key is None or key.user_id != user.id:
        raise NotFound("No such app key.")
    return key


def create_key(user: User, name: str, scopes: Iterable[str] | str | None) -> tuple[OAuthClient, str]:
    """Create an app key for ``user``; return it and the plaintext client secret (shown once)."""
    _require_owner(user)
    name = require_text(name, "name", "Name", 120)
    cleaned = clean_scopes(user, scopes)
    secret = secrets.token_urlsafe(32)
    key = OAuthClient(
        client_id=secrets.token_urlsafe(24),
        secret_hash=generate_password_hash(secret, method=SECRET_HASH_METHOD),
        name=name,
        scopes=cleaned,
        user_id=user.id,
    )
    db.session.add(key)
    db.session.flush()
    return key, secret


def update_key(key: OAuthClient, name: str | None = None, scopes: Iterable[str] | str | None = None) -> None:
    """Rename a key or change its scopes; tokens already issued keep only the scopes still granted."""
    if name is not None:
        key.name = require_text(name, "name", "Name", 120)
    if scopes is not None:
        key.scopes = clean_scopes(key.user, scopes)
        for token in db.session.scalars(select(OAuthToken).where(OAuthToken.client_pk == key.id,
                                                                 OAuthToken.revoked.is_(False))):
            token.scope = " ".join(s for s in token.scope.split() if s in key.scopes)
    db.session.flush()


def expire_tokens(key: OAuthClient) -> int:
    """Revoke every live token of ``key``; return how many."""
    result = db.session.execute(
        update(OAuthToken)
        .where(OAuthToken.client_pk == key.id, OAuthToken.revoked.is_(False))
        .values(revoked=True)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0


def delete_key(key: OAuthClient) -> None:
    """Delete ``key`` and its tokens (revoked first, so a token in flight stops working)."""
    expire_tokens(key)
    db.session.execute(
        OAuthToken.__table__.delete().where(OAuthToken.client_pk == key.id)
    )
    db.session.delete(key)
    db.session.flush()


def find_user(username: str) -> User:
    """The user called ``username`` (CLI); :class:`NotFound` otherwise."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user called {username!r}.")
    return user
