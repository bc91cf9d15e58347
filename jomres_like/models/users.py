"""Users, their roles, and which properties a manager is assigned to."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow

ROLE_ADMIN = "administrator"
ROLE_SUPER = "super_manager"
ROLE_MANAGER = "manager"
ROLE_REGISTERED = "registered"
ROLES = (ROLE_ADMIN, ROLE_SUPER, ROLE_MANAGER, ROLE_REGISTERED)
ROLE_LABELS = {
    ROLE_ADMIN: "Administrator",
    ROLE_SUPER: "Super manager",
    ROLE_MANAGER: "Manager",
    ROLE_REGISTERED: "Registered user",
}
# Jomres access levels, for display and for the API
ROLE_LEVELS = {ROLE_ADMIN: 100, ROLE_SUPER: 90, ROLE_MANAGER: 70, ROLE_REGISTERED: 1}

manager_properties = Table(
    "manager_properties",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("property_id", ForeignKey("properties.id", ondelete="CASCADE"), primary_key=True),
)


class RoleChecks:
    """What a role allows, read from ``self.role``: shared by :class:`User` and the API's token owner."""

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    @property
    def is_super_manager(self) -> bool:
        return self.role == ROLE_SUPER

    @property
    def is_manager(self) -> bool:
        """True for managers and super managers: both reach the manager pages."""
        return self.role in (ROLE_MANAGER, ROLE_SUPER)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


class User(RoleChecks, UserMixin, db.Model):
    """A person who logs in: administrator, super manager, manager or registered user."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=ROLE_REGISTERED)
    active: Mapped[bool] = mapped_column(default=True)
    # in every login cookie's id: raising it ends all the user's sessions (logout, password, deactivation)
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    properties = relationship(
        "Property", secondary=manager_properties, back_populates="managers", order_by="Property.id"
    )

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password``; the password itself is never kept."""
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: what the session and the remember cookie keep
        """``"<id>:<session_version>"``: a cookie stops opening pages once the version moves on."""
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"
