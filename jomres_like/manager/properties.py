"""Property pages: list, overview, details, settings, publishing, and (super managers) new properties."""

from __future__ import annotations

from datetime import time

from flask import abort, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import BlackBooking, Booking, Guest, Invoice, Room
from ..services import properties as property_service
from ..services.access import visible_properties
from ..services.availability import current_or_future
from ..timeutil import utc_today
from .blueprint import bp
from .common import attempt, current_property, page
from .forms import ActionForm, PropertyForm, SettingsForm, values_of


@bp.route("/properties")
def properties():
    """The properties the user manages."""
    return page(
        "manager/properties/list.html", props=visible_properties(current_user), action_form=ActionForm()
    )


@bp.route("/properties/new", methods=["GET", "POST"])
def property_new():
    """Create a property (super managers only)."""
    if not current_user.is_super_manager:
        abort(403)
    form = PropertyForm()
    if form.validate_on_submit():
        outcome = attempt(
            form, lambda: property_service.create_property(values_of(form, PropertyForm.FIELDS))
        )
        if outcome.ok:
            flash(f"Property {outcome.value.name} created.", "success")
            return redirect(url_for("manager.property_overview", property_uid=outcome.value.id))
        return page("manager/properties/form.html", form, outcome.status, prop=None)
    return page("manager/properties/form.html", form, prop=None)


def _count(model, prop_id: int, *conditions) -> int:
    return (
        db.session.scalar(select(func.count(model.id)).where(model.property_id == prop_id, *conditions)) or 0
    )


@bp.route("/properties/<int:property_uid>")
def property_overview(property_uid: int):
    """One property: its details, settings and the numbers of its records."""
    return _overview(current_property(property_uid))


def _overview(prop, status: int = 200, errors: list[str] | None = None):
    today = utc_today()
    counts = {
        "rooms": _count(Room, prop.id, Room.deleted.is_(False)),
        "guests": _count(Guest, prop.id, Guest.deleted.is_(False)),
        "bookings": _count(Booking, prop.id),
        "upcoming": _count(Booking, prop.id, current_or_future()),
        "invoices": _count(Invoice, prop.id),
        "blackbookings": _count(BlackBooking, prop.id, BlackBooking.end > today),
        "tariffs": len(prop.tariffs),
    }
    return page(
        "manager/properties/overview.html",
        status=status,
        prop=prop,
        counts=counts,
        action_form=ActionForm(),
        errors=errors or [],
    )


@bp.route("/properties/<int:property_uid>/edit", methods=["GET", "POST"])
def property_edit(property_uid: int):
    """Edit a property's details."""
    prop = current_property(property_uid)
    form = PropertyForm(obj=prop)
    if form.validate_on_submit():
        outcome = attempt(
            form, lambda: property_service.update_property(prop, values_of(form, PropertyForm.FIELDS))
        )
        if outcome.ok:
            flash("Property saved." if outcome.value else "Nothing changed.", "success")
            return redirect(url_for("manager.property_overview", property_uid=prop.id))
        return page("manager/properties/form.html", form, outcome.status, prop=prop)
    return page("manager/properties/form.html", form, prop=prop)


def _time(text: str | None) -> time | None:
    try:
        return time.fromisoformat(text or "")
    except ValueError:
        return None


@bp.route("/properties/<int:property_uid>/settings", methods=["GET", "POST"])
def property_settings(property_uid: int):
    """Edit a property's settings: currency, check-in/out times, deposit, tax, contact."""
    prop = current_property(property_uid)
    form = SettingsForm()
    if form.validate_on_submit():
        outcome = attempt(form, lambda: property_service.update_settings(prop, form.values()))
        if outcome.ok:
            flash("Settings saved." if outcome.value else "Nothing changed.", "success")
            return redirect(url_for("manager.property_overview", property_uid=prop.id))
        return page("manager/properties/settings.html", form, outcome.status, prop=prop)
    if not form.is_submitted():
        for name in ("currency", "deposit_percent", "tax_rate", "contact_email", "contact_phone"):
            form[name].data = prop.setting(name)
        form.checkin_time.data = _time(prop.setting("checkin_time"))
        form.checkout_time.data = _time(prop.setting("checkout_time"))
    return page("manager/properties/settings.html", form, prop=prop)


def _set_published(property_uid: int, published: bool):
    prop = current_property(property_uid)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    outcome = attempt(form, lambda: property_service.set_published(prop, published))
    if not outcome.ok:
        return _overview(prop, outcome.status, form.form_errors)
    flash(f"{prop.name} is {'published' if published else 'unpublished'}.", "success")
    return redirect(url_for("manager.property_overview", property_uid=prop.id))


@bp.route("/properties/<int:property_uid>/publish", methods=["POST"])
def property_publish(property_uid: int):
    """Publish a property."""
    return _set_published(property_uid, True)


@bp.route("/properties/<int:property_uid>/unpublish", methods=["POST"])
def property_unpublish(property_uid: int):
    """Unpublish a property."""
    return _set_published(property_uid, False)
