"""Tariff pages: list, new, edit, delete."""

from __future__ import annotations

from flask import flash, redirect, url_for

from ..services import tariffs as tariff_service
from .blueprint import bp
from .common import attempt, child, current_property, page
from .forms import ActionForm, TariffForm, values_of

TARIFFS = "/properties/<int:property_uid>/tariffs"


def _room_types(prop, tariff=None) -> list[str]:
    kinds = set(tariff_service.room_types(prop))
    if tariff is not None:
        kinds.add(tariff.room_type)  # the service keeps an unchanged type valid
    return sorted(kinds)


@bp.route(TARIFFS)
def tariffs(property_uid: int):
    """A property's tariffs."""
    prop = current_property(property_uid)
    return page("manager/tariffs/list.html", prop=prop, tariffs=list(prop.tariffs), action_form=ActionForm())


@bp.route(TARIFFS + "/new", methods=["GET", "POST"])
def tariff_new(property_uid: int):
    """Add a tariff."""
    prop = current_property(property_uid)
    form = TariffForm()
    form.set_room_types(_room_types(prop))
    if form.validate_on_submit():
        outcome = attempt(form, lambda: tariff_service.save_tariff(prop, values_of(form, TariffForm.FIELDS)))
        if outcome.ok:
            flash("Tariff added.", "success")
            return redirect(url_for("manager.tariffs", property_uid=prop.id))
        return page(
            "manager/tariffs/form.html",
            form,
            outcome.status,
            prop=prop,
            tariff=None,
        )
    return page("manager/tariffs/form.html", form, prop=prop, tariff=None)


@bp.route(TARIFFS + "/<int:tariff_id>/edit", methods=["GET", "POST"])
def tariff_edit(property_uid: int, tariff_id: int):
    """Edit a tariff."""
    prop = current_property(property_uid)
    tariff = child(tariff_service.get_tariff, prop, tariff_id)
    form = TariffForm(obj=tariff)
    form.set_room_types(_room_types(prop, tariff))
    if form.validate_on_submit():
        outcome = attempt(
            form, lambda: tariff_service.save_tariff(prop, values_of(form, TariffForm.FIELDS), tariff)
        )
        if outcome.ok:
            flash("Tariff saved.", "success")
            return redirect(url_for("manager.tariffs", property_uid=prop.id))
        return page(
            "manager/tariffs/form.html",
            form,
            outcome.status,
            prop=prop,
            tariff=tariff,
        )
    return page("manager/tariffs/form.html", form, prop=prop, tariff=tariff)


@bp.route(TARIFFS + "/<int:tariff_id>/delete", methods=["POST"])
def tariff_delete(property_uid: int, tariff_id: int):
    """Delete a tariff."""
    prop = current_property(property_uid)
    tariff = child(tariff_service.get_tariff, prop, tariff_id)
    form = ActionForm()
    outcome = (
        attempt(form, lambda: tariff_service.delete_tariff(tariff)) if form.validate_on_submit() else None
    )
    if outcome is None or not outcome.ok:
        return page(
            "manager/tariffs/list.html",
            status=outcome.status if outcome else 400,
            prop=prop,
            tariffs=list(prop.tariffs),
            action_form=form,
        )
    flash("Tariff deleted.", "success")
    return redirect(url_for("manager.tariffs", property_uid=prop.id))
