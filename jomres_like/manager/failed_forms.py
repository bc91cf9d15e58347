"""A failed form of the booking page, kept in the session across the redirect (Post/Redirect/Get).

The note and deposit forms post to URLs that have no page of their own: answering their errors there left
an address that re-posted on reload. Their view keeps what was typed and the errors instead, redirects to
the booking, and the booking page shows the form once, with each error beside its field.
"""

from __future__ import annotations

from flask import session
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

KEY = "failed_booking_form"
#: what is kept of each typed value: the session is a cookie, and a value that failed is shown for fixing
MAX_KEPT = 300


def keep(contract_uid: int, form_name: str, form: FlaskForm) -> None:
    """Keep ``form``'s typed values and errors for the next showing of booking ``contract_uid``."""
    fields = [(name, field) for name, field in form._fields.items() if name != "csrf_token"]
    session[KEY] = {
        "contract_uid": contract_uid,
        "form": form_name,
        "data": {name: str(field._value() or "")[:MAX_KEPT] for name, field in fields},
        "errors": {name: [str(e) for e in field.errors] for name, field in fields if field.errors},
        "form_errors": [str(e) for e in form.form_errors],
    }


def restore(contract_uid: int, classes: dict[str, type[FlaskForm]]) -> dict[str, FlaskForm]:
    """The kept form of booking ``contract_uid`` (``{form_name: form}``, with its errors), taken once."""
    kept = session.pop(KEY, None)
    if not isinstance(kept, dict) or kept.get("contract_uid") != contract_uid:
        return {}
    form_class = classes.get(kept.get("form"))
    if form_class is None:
        return {}
    form = form_class(formdata=MultiDict(kept.get("data") or {}))
    for name, messages in (kept.get("errors") or {}).items():
        if name in form._fields:
            form[name].errors = list(messages)
    form.form_errors.extend(kept.get("form_errors") or [])
    return {kept["form"]: form}
