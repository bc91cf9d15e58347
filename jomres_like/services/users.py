"""Users: create, change, authenticate, end their sessions, and assign managers to properties."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import ROLE_MANAGER, ROLES, Property, ShownSecret, User
from . import Conflict, NotFound, ValidationError
from .validation import require_text

MIN_PASSWORD = 5


def get_user(user_id: int) -> User:
    """Return a user or raise :class:`NotFound`."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def find_user(username: str) -> User | None:
    """Return the user with ``username`` (case-insensitive), if any."""
    wanted = (username or "").strip().lower()
    return db.session.scalar(select(User).where(func.lower(User.username) == wanted))


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"Role must be one of {', '.join(ROLES)}.", field="role")
    return role


def _check_password(password: str) -> str:
    if not password or len(password) < MIN_PASSWORD:
        raise ValidationError(f"Password must be at least {MIN_PASSWORD} characters.", field="password")
    if len(password) > 200:
        raise ValidationError("Password is too long.", field="password")
    return password


def create_user(username: str, password: str, role: str = "registered", email: str = "") -> User:
    """Create a user with a hashed password."""
    username = require_text(username, "username", "Username", 80)
    if any(ch.isspace() for ch in username):
        raise ValidationError("Username cannot contain spaces.", field="username")
    if find_user(username) is not None:
        raise Conflict(f"The username {username!r} is taken.", field="username")
    user = User(username=username, role=_check_role(role),
                email=require_text(email, "email", "Email", 255, required=False))
    user.set_password(_check_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, values: dict[str, Any]) -> None:
    """Change a user's email, role, active flag or password; a new password or a deactivation ends every
    session of the user (:func:`end_sessions`)."""
    if "email" in values:
        user.email = require_text(values["email"], "email", "Email", 255, required=False)
    if "role" in values:
        user.role = _check_role(values["role"])
        if user.role != ROLE_MANAGER:
            user.properties = []
    ends_sessions = False
    if "active" in values:
        active = _truthy(values["active"])
        ends_sessions = user.active and not active
        user.active = active
    if values.get("password"):
        user.set_password(_check_password(values["password"]))
        ends_sessions = True
    db.session.flush()
    if ends_sessions:
        end_sessions(user)


def end_sessions(user: User) -> None:
    """End every session of ``user``: each login cookie (and remember-me cookie) issued so far stops opening
    pages on every worker and node, and the secrets waiting for their shown-once page go."""
    user.session_version = User.session_version + 1  # one UPDATE, so two at once both count
    db.session.execute(delete(ShownSecret).where(ShownSecret.user_id == user.id))
    db.session.flush()


def user_of_session(cookie_id: str) -> User | None:
    """The active user a login cookie's ``"<id>:<session_version>"`` names, or ``None`` for an ended
    session, an unknown user, a deactivated one or a malformed id."""
    user_id, _, version = (cookie_id or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    if len(user_id) > 18 or len(version) > 18:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def _truthy(value) -> bool:
    """A flag from a form, the CLI or JSON: "0", "false", "no", "off" and "" are false."""
    if isinstance(value, str):
        return value.strip().lower() not in {"", "0", "false", "no", "off"}
    return bool(value)


def authenticate(username: str, password: str) -> User | None:
    """Return the active user whose credentials match, else ``None``."""
    user = find_user(username)
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def set_assignments(user: User, property_ids: list[int]) -> None:
    """Assign exactly ``property_ids`` to a manager."""
    if user.role != ROLE_MANAGER:
        raise ValidationError("Only managers are assigned to properties.", field="properties")
    try:
        ids = sorted({int(pid) for pid in property_ids})
    except (TypeError, ValueError) as exc:
        raise ValidationError("Properties must be property ids.", field="properties") from exc
    query = select(Property).where(Property.id.in_(ids), Property.deleted.is_(False))
    props = list(db.session.scalars(query))
    if len(props) != len(ids):
        raise ValidationError("Unknown property.", field="properties")
    user.properties = props
    db.session.flush()
