"""App keys (OAuth2 clients) and the access tokens issued to them.

Neither the client secret nor the access token is stored: the secret as a salted PBKDF2 hash, the token as
its SHA-256 digest (tokens are long random strings, so a fast digest is enough to look them up).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash

from ..extensions import db
from ..timeutil import utcnow


def token_digest(token: str) -> str:
    """The SHA-256 hex digest under which an access token is stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class OAuthClient(db.Model):
    """An app key: ``client_id``, a hashed ``client_secret``, a name, scopes, and the user it acts for."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]

    user = relationship("User")

    # --- authlib's ClientMixin ---
    def get_client_id(self) -> str:
        """The public identifier."""
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        """Client credentials only: no redirect."""
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        """The scope to grant: the key's scopes when none is asked for (wider asks are refused earlier)."""
        mine = list(self.scopes or [])
        if not scope:
            return " ".join(mine)
        return " ".join(s for s in scope.split() if s in mine)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Client credentials only: no redirect is valid."""
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        """Compare ``client_secret`` with the stored salted hash (constant time)."""
        try:
            return check_password_hash(self.secret_hash, client_secret)
        except (TypeError, ValueError):
            return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """HTTP Basic or form fields, at every endpoint."""
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        """No authorization endpoint."""
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        """Client credentials only."""
        return grant_type == "client_credentials"


class OAuthToken(db.Model):
    """An access token, stored as its SHA-256 digest, with its scope, expiry and revocation flag."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(255), default="")
    issued_at: Mapped[int]
    expires_in: Mapped[int]
    revoked: Mapped[bool] = mapped_column(default=False)

    client = relationship("OAuthClient")
    user = relationship("User")

    # --- authlib's TokenMixin ---
    def check_client(self, client: OAuthClient) -> bool:
        """Whether this token was issued to ``client``."""
        return self.client_pk == client.id

    def get_scope(self) -> str:
        """The granted scope, space separated."""
        return self.scope

    def get_expires_in(self) -> int:
        """Lifetime in seconds."""
        return self.expires_in

    def get_expires_at(self) -> int:
        """Expiry as a Unix timestamp."""
        return self.issued_at + self.expires_in

    def is_expired(self) -> bool:
        """Whether the token's lifetime is over."""
        return time.time() >= self.get_expires_at()

    def is_revoked(self) -> bool:
        """Whether the token was revoked (or its key's tokens expired)."""
        return bool(self.revoked)

    def get_user(self):
        """The user the token acts for."""
        return self.user

    def matches(self, token: str) -> bool:
        """Whether ``token`` is this token (constant time)."""
        return hmac.compare_digest(self.token_hash, token_digest(token))
