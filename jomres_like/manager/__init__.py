"""Manager pages: dashboard, bookings, guests, rooms, tariffs, property settings, account menu."""

from flask import Blueprint

bp = Blueprint("manager", __name__, url_prefix="/manager")

from . import views  # noqa: E402,F401
