"""Helpers shared by the page views: load what the user may see, run a service call, show its errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, current_app, render_template, request
from flask_login import current_user
from wtforms import Form

from ..extensions import db
from ..models import Property
from ..services import NotFound, ServiceError
from ..services.access import get_property

#: ids above this cannot exist (the columns are 32-bit); refusing them early keeps drivers from overflowing
MAX_ID = 2**31 - 1


def real_id(value: int) -> int:
    """``value`` if it can be a row id; 404 otherwise."""
    if not 0 < value <= MAX_ID:
        abort(404)
    return value


def current_property(property_uid: int) -> Property:
    """The property ``property_uid`` if the current user manages it; 404 otherwise (never 403)."""
    real_id(property_uid)
    try:
        return get_property(current_user, property_uid)
    except ServiceError:
        abort(404)


def child(getter: Callable[..., Any], *args: Any) -> Any:
    """Fetch a record through its parent (``get_booking(prop, uid)``...); 404 when it is not there."""
    real_id(args[-1])
    try:
        return getter(*args)
    except NotFound:
        abort(404)


def _find_field(form: Form, name: str):
    """The field ``name`` of ``form``, or of an entry of one of its lists (``lines-2-unit_price``)."""
    field = form._fields.get(name)
    if field is not None:
        return field
    for top in form:
        if top.type == "FieldList" and name.startswith(f"{top.name}-"):
            for entry in top.entries:
                for sub in entry.form if entry.type == "FormField" else ():
                    if sub.name == name:
                        return sub
    return None


def attach_errors(form: Form, error: ServiceError, aliases: dict[str, str] | None = None) -> None:
    """Show a service error on the form: on the matching field when there is one, else above the form."""
    messages = error.errors or {"": error.message}
    for field_name, message in messages.items():
        name = (aliases or {}).get(field_name, field_name)
        field = _find_field(form, name) if name else None
        if field is not None and name != "csrf_token":
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)


class Outcome:
    """The result of :func:`attempt`: ``ok``, the service's return ``value``, and the error's HTTP status."""

    def __init__(self, ok: bool, value: Any = None, status: int = 200):
        self.ok = ok
        self.value = value
        self.status = status


def attempt(form: Form, action: Callable[[], Any], aliases: dict[str, str] | None = None) -> Outcome:
    """Run one service call and commit; on a service error roll back and put the message on ``form``."""
    try:
        value = action()
    except ServiceError as error:
        db.session.rollback()
        attach_errors(form, error, aliases)
        return Outcome(False, status=error.status if error.status in (404, 409) else 422)
    db.session.commit()
    return Outcome(True, value)


def page(template: str, form: Form | None = None, status: int | None = None, **context: Any):
    """Render a page; a form with errors after a POST answers 422 unless ``status`` says otherwise."""
    if status is None:
        status = 422 if form is not None and request.method == "POST" and has_errors(form) else 200
    return render_template(template, form=form, **context), status


def has_errors(form: Form) -> bool:
    """Whether any field, or the form itself, has an error."""
    return bool(form.form_errors) or any(field.errors for field in form)


def page_size() -> int:
    """The number of rows per list page."""
    return int(current_app.config.get("JOMRES_PAGE_SIZE", 20))


def page_number() -> int:
    """The ``page`` query argument as a positive number (1 when missing or not a number)."""
    number = request.args.get("page", 1, type=int) or 1
    return max(1, min(number, 100000))


def paginate(query):
    """A flask-sqlalchemy page of ``query`` for the current ``page`` argument."""
    return db.paginate(query, page=page_number(), per_page=page_size(), error_out=False, count=True)
