"""The webhook form, with one auth sub-form per registered method built from the method's field schema.

Without JavaScript every method's fieldset is rendered; the one named by the ``auth_method`` select is used.
Secret fields are password inputs that are never filled in; left blank on edit they keep the stored value.
The form parses and types the input; :mod:`jomres_like.webhooks.service` owns the rules.
"""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    Field,
    Form,
    FormField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from .. import signals
from ..forms import BaseForm, PlainForm
from ..services import ServiceError
from . import authmethods

MODE_CHOICES = [
    SelectChoice("deferred", "Deferred (recommended): sent in the background, retried until confirmed"),
    SelectChoice("immediate", "Immediate (not recommended): sent inside the request that raised the event"),
]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes, so it works without JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WebhookFormBase(BaseForm):
    """The fields every webhook has; :func:`webhook_form` adds one ``auth_<method>`` sub-form per method."""

    url = URLField("URL", validators=[InputRequired(), Length(max=2048)])
    description = StringField("Description", validators=[Length(max=255)])
    auth_method = SelectField("Authentication", default="none")
    events = MultiCheckboxField("Events (none ticked: every event)", choices=[
        SelectChoice(name, f"{name}: {event.description}") for name, event in signals.CATALOGUE.items()
    ], validate_choice=True)
    enabled = BooleanField("Enabled", default=True)
    mode = RadioField("Processing mode", choices=MODE_CHOICES, default="deferred")
    include_record = BooleanField("Include the full record in the payload", default=False)
    wait_for_confirmation = BooleanField("Retry until the receiver answers 2xx", default=True)

    def auth_subform(self, name: str) -> Form | None:
        """The sub-form of the auth method ``name``."""
        field = self._fields.get(f"auth_{name}")
        return field.form if field is not None else None

    def to_values(self) -> dict[str, Any]:
        """The data as :func:`service.create_webhook` and ``update_webhook`` take it."""
        method = self.auth_method.data
        sub = self.auth_subform(method)
        settings = {name: field.data or "" for name, field in sub._fields.items()} if sub is not None else {}
        return {
            "url": (self.url.data or "").strip(),
            "description": (self.description.data or "").strip(),
            "auth_method": method,
            "auth_settings": settings,
            "events": list(self.events.data or []),
            "enabled": bool(self.enabled.data),
            "mode": self.mode.data,
            "include_record": bool(self.include_record.data),
            "wait_for_confirmation": bool(self.wait_for_confirmation.data),
        }

    def attach_errors(self, error: ServiceError) -> None:
        """Show a service error on the matching fields (``auth_settings.x`` on the chosen sub-form)."""
        sub = self.auth_subform(self.auth_method.data)
        for key, message in (error.errors or {"": error.message}).items():
            target: Field | None = self._fields.get(key) if key and key != "csrf_token" else None
            if key.startswith("auth_settings.") and sub is not None:
                target = sub._fields.get(key.split(".", 1)[1])
            if target is not None:
                target.errors = [*target.errors, message]
            else:
                self.form_errors.append(message)


def _auth_field(spec: authmethods.AuthField) -> Field:
    # No "required" validator: the other methods' fieldsets are posted blank; the method validates its own.
    help_text = ("Required. " if spec.required else "Optional. ") + (spec.help or "")
    kwargs = {"description": help_text.strip(), "validators": [Length(max=2048)],
              "render_kw": {"autocomplete": "off"} if spec.secret else {}}
    if spec.secret or spec.kind == "password":
        return PasswordField(spec.label, **kwargs)
    if spec.kind == "url":
        return URLField(spec.label, **kwargs)
    return StringField(spec.label, **kwargs)


def _auth_form_class(method: type[authmethods.AuthMethod]) -> type[Form]:
    fields = {spec.name: _auth_field(spec) for spec in method.fields}
    return type(f"{method.name.capitalize()}AuthForm", (PlainForm,), fields)


def webhook_form(webhook=None, stored_settings: dict | None = None, **kwargs: Any) -> WebhookFormBase:
    """A webhook form with every registered method's sub-form; filled from ``webhook`` when editing."""
    registry = authmethods.methods()
    attrs = {f"auth_{name}": FormField(_auth_form_class(method), label=method.label)
             for name, method in registry.items()}
    form_class = type("WebhookForm", (WebhookFormBase,), attrs)
    form = form_class(obj=webhook, **kwargs)
    form.auth_method.choices = [SelectChoice(name, method.label) for name, method in registry.items()]
    form.secrets_stored = {}
    if webhook is not None:
        stored = stored_settings or {}
        method = registry.get(webhook.auth_method)
        sub = form.auth_subform(webhook.auth_method)
        for spec in method.fields if method is not None and sub is not None else ():
            if spec.secret or spec.kind == "password":
                form.secrets_stored[spec.name] = bool(stored.get(spec.name))
            elif not sub[spec.name].raw_data:  # not posted: show what is stored
                sub[spec.name].data = stored.get(spec.name, "")
    return form
