"""User pages: list, create with a role, edit role/email/active/password and property assignments."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_user
from sqlalchemy import select

from ..extensions import db
from ..logs import get_logger
from ..manager.common import attempt, page, real_id
from ..manager.forms import options
from ..models import ROLE_ADMIN, ROLE_MANAGER, Property, User
from ..services import NotFound, ValidationError
from ..services import users as user_service
from .blueprint import bp
from .forms import UserEditForm, UserForm


def _property_choices() -> list:
    query = select(Property).where(Property.deleted.is_(False)).order_by(Property.id)
    return options((prop.id, f"{prop.id} · {prop.name}") for prop in db.session.scalars(query))


@bp.route("/users")
def users():
    """Every user, with role, state and assigned properties."""
    people = db.session.scalars(select(User).order_by(User.username)).all()
    return page("admin/users/list.html", people=people)


def _create(form: UserForm) -> User:
    user = user_service.create_user(
        form.username.data, form.password.data, form.role.data, form.email.data or ""
    )
    if form.properties.data:
        if user.role != ROLE_MANAGER:
            raise ValidationError("Only managers are assigned to properties.", field="properties")
        user_service.set_assignments(user, form.properties.data)
    return user


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Create a user with a role (and, for managers, their properties)."""
    form = UserForm()
    form.properties.choices = _property_choices()
    if form.validate_on_submit():
        outcome = attempt(form, lambda: _create(form))
        if outcome.ok:
            get_logger("Core").info(
                "User %s created with role %s by %s",
                outcome.value.username,
                outcome.value.role,
                current_user.username,
            )
            flash(f"User {outcome.value.username} created.", "success")
            return redirect(url_for("admin.users"))
        return page("admin/users/form.html", form, outcome.status, person=None)
    return page("admin/users/form.html", form, person=None)


def _update(person: User, form: UserEditForm) -> None:
    if person.id == current_user.id and (form.role.data != ROLE_ADMIN or not form.active.data):
        raise ValidationError(
            "You cannot remove your own administrator role or deactivate yourself.", field="role"
        )
    user_service.update_user(
        person,
        {
            "email": form.email.data or "",
            "role": form.role.data,
            "active": form.active.data,
            "password": form.password.data or "",
        },
    )
    if person.role == ROLE_MANAGER:
        user_service.set_assignments(person, form.properties.data or [])
    elif form.properties.data:
        raise ValidationError("Only managers are assigned to properties.", field="properties")


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id: int):
    """Change a user's email, role, active flag, password, and a manager's properties."""
    try:
        person = user_service.get_user(real_id(user_id))
    except NotFound:
        abort(404)
    form = UserEditForm(obj=person)
    form.properties.choices = _property_choices()
    if form.validate_on_submit():
        version = person.session_version
        outcome = attempt(form, lambda: _update(person, form))
        if outcome.ok and person.id == current_user.id and person.session_version != version:
            login_user(person)  # a new password ends the administrator's other sessions, not this one
        if outcome.ok:
            get_logger("Core").info(
                "User %s (role %s, active %s) saved by %s",
                person.username,
                person.role,
                person.active,
                current_user.username,
            )
            flash(f"User {person.username} saved.", "success")
            return redirect(url_for("admin.users"))
        return page("admin/users/form.html", form, outcome.status, person=person)
    if not form.is_submitted():
        form.properties.data = [prop.id for prop in person.properties]
    return page("admin/users/form.html", form, person=person)
