"""Guest type pages (Jomres customer types): list, new, edit, delete."""

from __future__ import annotations

from flask import flash, redirect, url_for

from ..services import guest_types as guest_type_service
from .blueprint import bp
from .common import attempt, child, current_property, page
from .forms import ActionForm, values_of
from .option_forms import GuestTypeForm

GUEST_TYPES = "/properties/<int:property_uid>/guest_types"


@bp.route(GUEST_TYPES)
def guest_types(property_uid: int):
    """A property's guest types."""
    prop = current_property(property_uid)
    return page(
        "manager/guest_types/list.html",
        prop=prop,
        guest_types=guest_type_service.live_guest_types(prop),
        action_form=ActionForm(),
    )


def _form(prop, guest_type=None, **kwargs) -> GuestTypeForm:
    form = GuestTypeForm(obj=guest_type, **kwargs)
    return form


@bp.route(GUEST_TYPES + "/new", methods=["GET", "POST"])
def guest_type_new(property_uid: int):
    """Add a guest type."""
    prop = current_property(property_uid)
    form = _form(prop)
    if form.validate_on_submit():
        outcome = attempt(
            form, lambda: guest_type_service.create_guest_type(prop, values_of(form, GuestTypeForm.FIELDS))
        )
        if outcome.ok:
            flash(f"Guest type {outcome.value.name} added.", "success")
            return redirect(url_for("manager.guest_types", property_uid=prop.id))
        return page("manager/guest_types/form.html", form, outcome.status, prop=prop, guest_type=None)
    return page("manager/guest_types/form.html", form, prop=prop, guest_type=None)


@bp.route(GUEST_TYPES + "/<int:guest_type_uid>/edit", methods=["GET", "POST"])
def guest_type_edit(property_uid: int, guest_type_uid: int):
    """Edit a guest type."""
    prop = current_property(property_uid)
    guest_type = child(guest_type_service.get_guest_type, prop, guest_type_uid)
    form = _form(prop, guest_type)
    if form.validate_on_submit():
        outcome = attempt(
            form,
            lambda: guest_type_service.update_guest_type(guest_type, values_of(form, GuestTypeForm.FIELDS)),
        )
        if outcome.ok:
            flash("Guest type saved." if outcome.value else "Nothing changed.", "success")
            return redirect(url_for("manager.guest_types", property_uid=prop.id))
        return page("manager/guest_types/form.html", form, outcome.status, prop=prop, guest_type=guest_type)
    return page(
        "manager/guest_types/form.html", form, prop=prop, guest_type=guest_type, action_form=ActionForm()
    )


@bp.route(GUEST_TYPES + "/<int:guest_type_uid>/delete", methods=["POST"])
def guest_type_delete(property_uid: int, guest_type_uid: int):
    """Delete a guest type; bookings keep their counts."""
    prop = current_property(property_uid)
    guest_type = child(guest_type_service.get_guest_type, prop, guest_type_uid)
    form = ActionForm()
    outcome = (
        attempt(form, lambda: guest_type_service.delete_guest_type(guest_type))
        if form.validate_on_submit()
        else None
    )
    if outcome is None or not outcome.ok:
        return page(
            "manager/guest_types/form.html",
            _form(prop, guest_type, formdata=None),
            outcome.status if outcome else 400,
            prop=prop,
            guest_type=guest_type,
            action_form=form,
        )
    flash("Guest type deleted.", "success")
    return redirect(url_for("manager.guest_types", property_uid=prop.id))
