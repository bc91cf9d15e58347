"""The bases of every form: each text field, declared now or later, refuses text no field may hold.

``BaseForm`` is a Flask-WTF form (CSRF) for the pages; ``PlainForm`` is a WTForms form without CSRF for the
sub-forms inside them (WTForms builds those with their own ``Meta``) and for query-string filters. Both give
every ``StringField`` (text, textarea, email, URL, password, search, hidden...) the check of
:func:`jomres_like.services.validation.text_problem`, the same one the API's schemas apply.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field, Form, StringField
from wtforms.validators import ValidationError

from .services.validation import text_problem


def storable_text(form: Form, field: Field) -> None:
    """WTForms validator: refuse text no field may hold (NUL, lone surrogate, control character)."""
    problem = text_problem(field.data) if isinstance(field.data, str) else None
    if problem:
        raise ValidationError(problem)


class TextCheckMeta:
    """A form ``Meta`` mixin giving every text field :func:`storable_text` as its first validator."""

    def bind_field(self, form: Form, unbound_field, options: dict) -> Field:
        """Bind the field as WTForms does; a text field gets the check in a list of its own."""
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, StringField):
            field.validators = [storable_text, *field.validators]
        return field


class BaseForm(FlaskForm):
    """A page form: Flask-WTF's CSRF protection and the text check on every text field."""

    class Meta(TextCheckMeta):
        pass


class PlainForm(Form):
    """A form without CSRF (a sub-form, a query-string filter), with the text check on every text field."""

    class Meta(TextCheckMeta):
        pass
