"""Forms of the administrator pages."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import BaseForm
from ..manager.forms import MultiCheckboxField, options
from ..models import ROLE_LABELS, ROLES

ROLE_CHOICES = [(role, ROLE_LABELS[role]) for role in ROLES]


class UserForm(BaseForm):
    """A new user: name, email, role and password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    email = EmailField("Email", validators=[Optional(), Length(max=255)])
    role = SelectField("Role", choices=options(ROLE_CHOICES), default="manager")
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    properties = MultiCheckboxField("Properties (managers only)", coerce=int)


class UserEditForm(BaseForm):
    """An existing user's email, role, active flag, new password and assigned properties."""

    email = EmailField("Email", validators=[Optional(), Length(max=255)])
    role = SelectField("Role", choices=options(ROLE_CHOICES))
    active = BooleanField("Active (may log in)")
    password = PasswordField("New password (leave blank to keep)", validators=[Optional(), Length(max=200)])
    properties = MultiCheckboxField("Properties (managers only)", coerce=int)


class SiteSettingsForm(BaseForm):
    """The site-wide settings."""

    development = BooleanField("Development mode (keep task files, log DEBUG lines, allow loopback webhooks)")
