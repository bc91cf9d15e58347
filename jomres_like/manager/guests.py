"""Guest pages: list with search, new, edit, delete."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from sqlalchemy import or_, select

from ..models import Guest
from ..services import guests as guest_service
from .blueprint import bp
from .common import attempt, child, current_property, page, paginate
from .forms import ActionForm, GuestForm, SearchForm, values_of

GUESTS = "/properties/<int:property_uid>/guests"


@bp.route(GUESTS)
def guests(property_uid: int):
    """A property's guests, searchable by name or email, a page at a time."""
    prop = current_property(property_uid)
    search = SearchForm(request.args)
    query = select(Guest).where(Guest.property_id == prop.id, Guest.deleted.is_(False))
    status = 200
    if not search.validate():
        status = 400
    elif search.q.data and search.q.data.strip():
        like = f"%{search.q.data.strip()}%"
        query = query.where(
            or_(Guest.firstname.ilike(like), Guest.surname.ilike(like), Guest.email.ilike(like))
        )
    pagination = paginate(query.order_by(Guest.surname, Guest.firstname, Guest.id))
    return page(
        "manager/guests/list.html",
        status=status,
        prop=prop,
        search=search,
        pagination=pagination,
        action_form=ActionForm(),
    )


@bp.route(GUESTS + "/new", methods=["GET", "POST"])
def guest_new(property_uid: int):
    """Add a guest."""
    prop = current_property(property_uid)
    form = GuestForm()
    if form.validate_on_submit():
        outcome = attempt(form, lambda: guest_service.create_guest(prop, values_of(form, GuestForm.FIELDS)))
        if outcome.ok:
            flash(f"Guest {outcome.value.full_name} added.", "success")
            return redirect(url_for("manager.guests", property_uid=prop.id))
        return page("manager/guests/form.html", form, outcome.status, prop=prop, guest=None)
    return page("manager/guests/form.html", form, prop=prop, guest=None)


@bp.route(GUESTS + "/<int:guest_uid>/edit", methods=["GET", "POST"])
def guest_edit(property_uid: int, guest_uid: int):
    """Edit a guest."""
    prop = current_property(property_uid)
    guest = child(guest_service.get_guest, prop, guest_uid)
    form = GuestForm(obj=guest)
    if form.validate_on_submit():
        outcome = attempt(form, lambda: guest_service.update_guest(guest, values_of(form, GuestForm.FIELDS)))
        if outcome.ok:
            flash("Guest saved." if outcome.value else "Nothing changed.", "success")
            return redirect(url_for("manager.guests", property_uid=prop.id))
        return page("manager/guests/form.html", form, outcome.status, prop=prop, guest=guest)
    return page("manager/guests/form.html", form, prop=prop, guest=guest, action_form=ActionForm())


@bp.route(GUESTS + "/<int:guest_uid>/delete", methods=["POST"])
def guest_delete(property_uid: int, guest_uid: int):
    """Delete a guest who has no current or future booking."""
    prop = current_property(property_uid)
    guest = child(guest_service.get_guest, prop, guest_uid)
    form = ActionForm()
    outcome = attempt(form, lambda: guest_service.delete_guest(guest)) if form.validate_on_submit() else None
    if outcome is None or not outcome.ok:
        return page(
            "manager/guests/form.html",
            GuestForm(obj=guest, formdata=None),
            outcome.status if outcome else 400,
            prop=prop,
            guest=guest,
            action_form=form,
        )
    flash("Guest deleted.", "success")
    return redirect(url_for("manager.guests", property_uid=prop.id))
