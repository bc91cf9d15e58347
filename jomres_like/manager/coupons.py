"""Coupon pages: list, new, edit, delete."""

from __future__ import annotations

from flask import flash, redirect, url_for

from ..services import coupons as coupon_service
from .blueprint import bp
from .common import attempt, child, current_property, page
from .forms import ActionForm, values_of
from .option_forms import CouponForm

COUPONS = "/properties/<int:property_uid>/coupons"


@bp.route(COUPONS)
def coupons(property_uid: int):
    """A property's coupons."""
    prop = current_property(property_uid)
    return page(
        "manager/coupons/list.html",
        prop=prop,
        coupons=coupon_service.live_coupons(prop),
        action_form=ActionForm(),
    )


def _form(prop, coupon=None, **kwargs) -> CouponForm:
    form = CouponForm(obj=coupon, **kwargs)
    return form


@bp.route(COUPONS + "/new", methods=["GET", "POST"])
def coupon_new(property_uid: int):
    """Add a coupon."""
    prop = current_property(property_uid)
    form = _form(prop)
    if form.validate_on_submit():
        outcome = attempt(
            form, lambda: coupon_service.create_coupon(prop, values_of(form, CouponForm.FIELDS))
        )
        if outcome.ok:
            flash(f"Coupon {outcome.value.code} added.", "success")
            return redirect(url_for("manager.coupons", property_uid=prop.id))
        return page("manager/coupons/form.html", form, outcome.status, prop=prop, coupon=None)
    return page("manager/coupons/form.html", form, prop=prop, coupon=None)


@bp.route(COUPONS + "/<int:coupon_id>/edit", methods=["GET", "POST"])
def coupon_edit(property_uid: int, coupon_id: int):
    """Edit a coupon."""
    prop = current_property(property_uid)
    coupon = child(coupon_service.get_coupon, prop, coupon_id)
    form = _form(prop, coupon)
    if form.validate_on_submit():
        outcome = attempt(
            form, lambda: coupon_service.update_coupon(coupon, values_of(form, CouponForm.FIELDS))
        )
        if outcome.ok:
            flash("Coupon saved." if outcome.value else "Nothing changed.", "success")
            return redirect(url_for("manager.coupons", property_uid=prop.id))
        return page("manager/coupons/form.html", form, outcome.status, prop=prop, coupon=coupon)
    return page("manager/coupons/form.html", form, prop=prop, coupon=coupon, action_form=ActionForm())


@bp.route(COUPONS + "/<int:coupon_id>/delete", methods=["POST"])
def coupon_delete(property_uid: int, coupon_id: int):
    """Delete a coupon; bookings that used it keep their discount."""
    prop = current_property(property_uid)
    coupon = child(coupon_service.get_coupon, prop, coupon_id)
    form = ActionForm()
    outcome = (
        attempt(form, lambda: coupon_service.delete_coupon(coupon)) if form.validate_on_submit() else None
    )
    if outcome is None or not outcome.ok:
        return page(
            "manager/coupons/form.html",
            _form(prop, coupon, formdata=None),
            outcome.status if outcome else 400,
            prop=prop,
            coupon=coupon,
            action_form=form,
        )
    flash("Coupon deleted.", "success")
    return redirect(url_for("manager.coupons", property_uid=prop.id))
