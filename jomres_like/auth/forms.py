"""Login form."""

from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm


class LoginForm(BaseForm):
    """Username and password."""

    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Remember me")
