"""Optional extra pages: list, new, edit, delete."""

from __future__ import annotations

from flask import flash, redirect, url_for

from ..services import extras as extra_service
from .blueprint import bp
from .common import attempt, child, current_property, page
from .forms import ActionForm, values_of
from .option_forms import ExtraForm

EXTRAS = "/properties/<int:property_uid>/extras"


@bp.route(EXTRAS)
def extras(property_uid: int):
    """A property's optional extras."""
    prop = current_property(property_uid)
    return page(
        "manager/extras/list.html",
        prop=prop,
        extras=extra_service.live_extras(prop),
        action_form=ActionForm(),
    )


def _form(prop, extra=None, **kwargs) -> ExtraForm:
    form = ExtraForm(obj=extra, **kwargs)
    form.set_choices(extra_service.room_types(prop), extra.room_type if extra is not None else "")
    return form


@bp.route(EXTRAS + "/new", methods=["GET", "POST"])
def extra_new(property_uid: int):
    """Add an optional extra."""
    prop = current_property(property_uid)
    form = _form(prop)
    if form.validate_on_submit():
        outcome = attempt(form, lambda: extra_service.create_extra(prop, values_of(form, ExtraForm.FIELDS)))
        if outcome.ok:
            flash(f"Extra {outcome.value.name} added.", "success")
            return redirect(url_for("manager.extras", property_uid=prop.id))
        return page("manager/extras/form.html", form, outcome.status, prop=prop, extra=None)
    return page("manager/extras/form.html", form, prop=prop, extra=None)


@bp.route(EXTRAS + "/<int:extras_uid>/edit", methods=["GET", "POST"])
def extra_edit(property_uid: int, extras_uid: int):
    """Edit an optional extra."""
    prop = current_property(property_uid)
    extra = child(extra_service.get_extra, prop, extras_uid)
    form = _form(prop, extra)
    if form.validate_on_submit():
        outcome = attempt(form, lambda: extra_service.update_extra(extra, values_of(form, ExtraForm.FIELDS)))
        if outcome.ok:
            flash("Extra saved." if outcome.value else "Nothing changed.", "success")
            return redirect(url_for("manager.extras", property_uid=prop.id))
        return page("manager/extras/form.html", form, outcome.status, prop=prop, extra=extra)
    return page("manager/extras/form.html", form, prop=prop, extra=extra, action_form=ActionForm())


@bp.route(EXTRAS + "/<int:extras_uid>/delete", methods=["POST"])
def extra_delete(property_uid: int, extras_uid: int):
    """Delete an optional extra; bookings keep it."""
    prop = current_property(property_uid)
    extra = child(extra_service.get_extra, prop, extras_uid)
    form = ActionForm()
    outcome = attempt(form, lambda: extra_service.delete_extra(extra)) if form.validate_on_submit() else None
    if outcome is None or not outcome.ok:
        return page(
            "manager/extras/form.html",
            _form(prop, extra, formdata=None),
            outcome.status if outcome else 400,
            prop=prop,
            extra=extra,
            action_form=form,
        )
    flash("Extra deleted.", "success")
    return redirect(url_for("manager.extras", property_uid=prop.id))
