"""What the login session keeps on the server: secrets waiting for their one showing, and failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class ShownSecret(db.Model):
    """A secret held for the page that shows it once; the session holds only its random ``token``.

    Taking it deletes the row, so a copy of the cookie finds nothing. The secret is encrypted at rest.
    """

    __tablename__ = "shown_secrets"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int]
    secret_encrypted: Mapped[str] = mapped_column(Text)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginFailure(db.Model):
    """One failed login, counted against its ``scope`` (``account`` or ``address``) and ``subject``."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_scope_subject_at", "scope", "subject", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
