"""Login and logout."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from . import views  # noqa: E402,F401 - attach the views to the blueprint
