"""The webhook form, with one auth sub-form per registered method built from the method's field schema.

Without JavaScript every method's fieldset is rendered; only the one named by the ``auth_method`` select is
validated and used (``static/js/webhook_form.js`` shows that one alone). Events come grouped by resource, each
group with an "all" box that stands for every event of the group.
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


#: (group key, label, event name prefixes), most specific prefix first; the rest go to "other"
EVENT_GROUPS = (
    ("booking_notes", "Booking notes", ("booking_note_",)),
    ("bookings", "Bookings", ("booking_", "guest_checked", "deposit_")),
    ("blackbookings", "Black bookings", ("blackbooking_",)),
    ("guests", "Guests", ("guest_",)),
    ("invoices", "Invoices", ("invoice_",)),
    ("tariffs", "Tariffs", ("tariff",)),
    ("rooms", "Rooms", ("room",)),
    ("properties", "Properties", ("property_",)),
    ("webhooks", "Webhooks and deliveries", ("webhook_", "delivery_")),
)
OTHER_GROUP = ("other", "Other events")


def events_by_group() -> list[tuple[str, str, list[str]]]:
    """The catalogue's events by resource: ``[(key, label, [event names])]``, empty groups left out."""
    found: dict[str, list[str]] = {}
    for name in signals.CATALOGUE:
        key = next((key for key, _label, prefixes in EVENT_GROUPS if name.startswith(prefixes)),
                   OTHER_GROUP[0])
        found.setdefault(key, []).append(name)
    labels = [(key, label) for key, label, _prefixes in EVENT_GROUPS] + [OTHER_GROUP]
    return [(key, label, found[key]) for key, label in labels if key in found]


EVENT_NAME_CHOICES = [
    SelectChoice("current", "Current: the names of the event catalogue (booking_added, property_updated...)"),
    SelectChoice("jomres_legacy", "Jomres legacy: the older names receivers written for Jomres know "
                 "(property_added, property_saved, invoice_saved, booking_note_save, blackbooking_added)"),
]


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as checkboxes, so it works without JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AuthSettingsField(FormField):
    """One auth method's settings, validated only when that method is the chosen one."""

    def __init__(self, form_class: type[Form], method_name: str = "", **kwargs: Any):
        super().__init__(form_class, **kwargs)
        self.method_name = method_name

    def validate(self, form, extra_validators=()) -> bool:
        """Validate the sub-form if its method is chosen; another method's input is ignored."""
        if form.auth_method.data != self.method_name:
            return True
        return super().validate(form, extra_validators)


class WebhookFormBase(BaseForm):
    """The fields every webhook has; :func:`webhook_form` adds one ``auth_<method>`` sub-form per method."""

    url = URLField("URL", validators=[InputRequired(), Length(max=2048)])
    description = StringField("Description", validators=[Length(max=255)])
    auth_method = SelectField("Authentication", default="none")
    events = MultiCheckboxField("Events (none ticked: every event)", choices=[
        SelectChoice(name, f"{name}: {event.description}") for name, event in signals.CATALOGUE.items()
    ], validate_choice=True)
    event_groups = MultiCheckboxField("All events of a group", choices=[
        SelectChoice(key, f"All {label.lower()}") for key, label, _names in events_by_group()
    ], validate_choice=True)
    enabled = BooleanField("Enabled", default=True)
    mode = RadioField("Processing mode", choices=MODE_CHOICES, default="deferred")
    event_names = RadioField("Event names", choices=EVENT_NAME_CHOICES, default="current")
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
            "events": self.chosen_events(),
            "enabled": bool(self.enabled.data),
            "mode": self.mode.data,
            "event_names": self.event_names.data,
            "include_record": bool(self.include_record.data),
            "wait_for_confirmation": bool(self.wait_for_confirmation.data),
        }

    def chosen_events(self) -> list[str]:
        """The events ticked one by one plus those of every group whose "all" box is ticked, in catalogue
        order."""
        wanted = set(self.events.data or [])
        groups = set(self.event_groups.data or [])
        for key, _label, names in events_by_group():
            if key in groups:
                wanted.update(names)
        return [name for name in signals.CATALOGUE if name in wanted]

    def grouped_events(self) -> list[tuple[str, Field, list[Field]]]:
        """For the template: each group's label, its "all" box and the boxes of its events."""
        options = {option.data: option for option in self.events}
        alls = {option.data: option for option in self.event_groups}
        return [(label, alls[key], [options[name] for name in names if name in options])
                for key, label, names in events_by_group() if key in alls]

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


def _auth_field(spec: authmethods.AuthField, method: type[authmethods.AuthMethod]) -> Field:
    # No "required" validator: the method validates its own settings, and only the chosen method's.
    help_text = (f"Required for {method.label}. " if spec.required else "Optional. ") + (spec.help or "")
    kwargs = {"description": help_text.strip(), "validators": [Length(max=2048)],
              "render_kw": {"autocomplete": "off"} if spec.secret else {}}
    if spec.secret or spec.kind == "password":
        return PasswordField(spec.label, **kwargs)
    if spec.kind == "url":
        return URLField(spec.label, **kwargs)
    return StringField(spec.label, **kwargs)


def _auth_form_class(method: type[authmethods.AuthMethod]) -> type[Form]:
    fields = {spec.name: _auth_field(spec, method) for spec in method.fields}
    return type(f"{method.name.capitalize()}AuthForm", (PlainForm,), fields)


def webhook_form(webhook=None, stored_settings: dict | None = None, **kwargs: Any) -> WebhookFormBase:
    """A webhook form with every registered method's sub-form; filled from ``webhook`` when editing."""
    registry = authmethods.methods()
    attrs = {f"auth_{name}": AuthSettingsField(_auth_form_class(method), method_name=name, label=method.label)
             for name, method in registry.items()}
    form_class = type("WebhookForm", (WebhookFormBase,), attrs)
    form = form_class(obj=webhook, **kwargs)
    form.auth_method.choices = [SelectChoice(name, method.label) for name, method in registry.items()]
    form.secrets_stored = {}
    if not form.event_groups.raw_data:  # a group whose every event is wanted shows its "all" box ticked
        ticked = set(form.events.data or [])
        form.event_groups.data = [key for key, _label, names in events_by_group() if set(names) <= ticked]
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
