"""Administrator pages: the dashboard and the site settings (users are in ``users.py``)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..logs import get_logger
from ..manager.common import attempt, page
from ..models import Booking, Property, User, WebhookEvent
from ..services import site
from . import users  # noqa: F401 - attach the user pages
from .blueprint import bp
from .forms import SiteSettingsForm


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


@bp.route("/")
def dashboard():
    """The administrator's home: counts and links."""
    counts = {
        "users": _count(User),
        "managers": _count(User, User.role == "manager"),
        "properties": _count(Property, Property.deleted.is_(False)),
        "bookings": _count(Booking),
        "events": _count(WebhookEvent),
        "undispatched": _count(WebhookEvent, WebhookEvent.dispatched.is_(False)),
    }
    return page(
        "admin/dashboard.html",
        counts=counts,
        development=site.development_mode(),
        forced=site.development_forced(),
    )


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """Switch between development and production mode (unless the environment forces it)."""
    form = SiteSettingsForm()
    forced = site.development_forced()
    if form.validate_on_submit():
        if forced:
            form.form_errors.append("JOMRES_DEVELOPMENT is set in the environment; it decides the mode.")
            return page("admin/settings.html", form, 409, forced=True, development=site.development_mode())
        outcome = attempt(form, lambda: site.set_development_mode(form.development.data))
        if outcome.ok:
            get_logger("Core").info(
                "Development mode set to %s by %s", form.development.data, current_user.username
            )
            flash(
                f"The site is now in {'development' if form.development.data else 'production'} mode.",
                "success",
            )
            return redirect(url_for("admin.settings"))
        return page(
            "admin/settings.html", form, outcome.status, forced=forced, development=site.development_mode()
        )
    if not form.is_submitted():
        form.development.data = site.development_mode()
    return page("admin/settings.html", form, forced=forced, development=site.development_mode())
