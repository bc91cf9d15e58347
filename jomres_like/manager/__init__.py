"""Manager pages: dashboard, bookings, guests, rooms, tariffs, property settings, account menu."""

from . import app_keys, health, views, webhooks  # noqa: F401 - attach the views
from .blueprint import bp as bp  # the package's public name
