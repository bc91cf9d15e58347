"""Manager pages: dashboard, bookings, guests, rooms, tariffs, property settings, account menu."""

from flask import Blueprint

bp = Blueprint("manager", __name__, url_prefix="/manager")

from . import app_keys, health, views, webhooks  # noqa: E402,F401 - attach the views
