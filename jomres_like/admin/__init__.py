"""Administrator pages: site settings, users and assignments, logs, site-wide webhooks."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import logs, views, webhooks  # noqa: E402,F401 - attach the views
