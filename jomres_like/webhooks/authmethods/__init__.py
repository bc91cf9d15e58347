"""The registry of webhook auth methods: a base class, one module per method, string keys.

A method is a subclass of :class:`AuthMethod` decorated with :func:`register` in its own module of this
package; every module here is imported the first time the registry is used, so a new method joins by one
module. Each method's deferred processor, Jomres' ``07320watcher_authmethod_process_<method>`` (and
``07310...`` for immediate webhooks), is registered with the deferred tasks when the app is set up
(:func:`..attempt.init_app`; :func:`processor_name` names them).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from ...deferred.registry import UnknownProcessor as UnknownProcessor  # a task naming no known method
from ...services import ValidationError
from ..transport import AttemptResult, post, webhook_session

if TYPE_CHECKING:
    from ...models import Webhook

FIELD_KINDS = ("text", "url", "password")
PROCESSOR_PREFIXES = ("07320watcher_authmethod_process_", "07310watcher_authmethod_process_")
MASK = "********"
MAX_SETTING_LENGTH = 2048


class DuplicateAuthMethod(Exception):
    """Two auth methods were registered under the same name."""


class UnknownAuthMethod(ValidationError):
    """No auth method has this name."""


@dataclass(frozen=True)
class AuthField:
    """One setting of an auth method, as its form and the API show it."""

    name: str
    label: str
    kind: str = "text"
    required: bool = True
    secret: bool = False
    help: str = ""

    def __post_init__(self):
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"Unknown field kind {self.kind!r}")


class AuthMethod:
    """Base class: how a webhook request is authenticated, and the settings that needs."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    fields: ClassVar[tuple[AuthField, ...]] = ()

    @classmethod
    def validate_settings(cls, values: dict) -> dict:
        """Return the cleaned settings of this method; raise ValidationError naming every bad field."""
        if values is None:
            values = {}
        if not isinstance(values, dict):
            raise ValidationError("The auth settings must be an object.", field="auth_settings")
        cleaned: dict[str, str] = {}
        errors: dict[str, str] = {}
        for spec in cls.fields:
            raw = values.get(spec.name)
            if raw is None:
                raw = ""
            if not isinstance(raw, str):
                errors[spec.name] = f"{spec.label} must be text."
                continue
            value = raw if spec.secret else raw.strip()
            if not value.strip():
                if spec.required:
                    errors[spec.name] = f"{spec.label} is required."
                continue
            if len(value) > MAX_SETTING_LENGTH:
                errors[spec.name] = f"{spec.label} is longer than {MAX_SETTING_LENGTH} characters."
                continue
            if spec.kind == "url":
                try:
                    value = _validate_url(value)
                except ValidationError as exc:
                    errors[spec.name] = exc.message
                    continue
            cleaned[spec.name] = value
        cls.check_settings(cleaned, errors)
        if errors:
            first = next(iter(errors))
            raise ValidationError(errors[first], field=first, errors=errors)
        return cleaned

    @classmethod
    def check_settings(cls, cleaned: dict, errors: dict) -> None:
        """Hook for rules across fields: add messages to ``errors``."""

    @classmethod
    def send(cls, webhook: Webhook, body: bytes, headers: dict, settings: dict) -> AttemptResult:
        """POST ``body`` with ``headers`` to the webhook's URL, authenticated the method's way."""
        return post(webhook.url, body, headers, secrets=cls.secret_values(settings),
                    session=webhook_session(webhook.id))

    @classmethod
    def secret_values(cls, settings: dict) -> list[str]:
        """The secret setting values, to keep out of excerpts and logs."""
        return [str(settings.get(spec.name) or "") for spec in cls.fields if spec.secret]


def _validate_url(value: str) -> str:
    from ...services.site import development_mode
    from ..ssrf import validate_url

    return validate_url(value, development=development_mode())


_registry: dict[str, type[AuthMethod]] = {}


def register(cls: type[AuthMethod]) -> type[AuthMethod]:
    """Class decorator: add an auth method to the registry (a second one with its name raises)."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    existing = _registry.get(cls.name)
    if existing is not None and existing is not cls:
        raise DuplicateAuthMethod(f"An auth method named {cls.name!r} is already registered")
    _registry[cls.name] = cls
    return cls


@cache
def _load() -> None:
    """Import every module of this package once, so that each registers its method (imports are locked,
    registering a class again changes nothing: two threads racing here do no harm)."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def methods() -> dict[str, type[AuthMethod]]:
    """Every registered auth method by name (``none`` first, then alphabetical)."""
    _load()
    return dict(sorted(_registry.items(), key=lambda item: (item[0] != "none", item[0])))


def get_method(name: str) -> type[AuthMethod]:
    """The auth method called ``name``; raises :class:`UnknownAuthMethod`."""
    _load()
    try:
        return _registry[name]
    except (KeyError, TypeError):
        raise UnknownAuthMethod(f"Unknown auth method {name!r}.", field="auth_method") from None


def merge_settings(method: type[AuthMethod], values: dict, stored: dict) -> dict:
    """The ``stored`` settings of ``method`` updated with ``values``, the keys given, for an edit.

    An omitted key keeps its stored value; so does a secret given as ``""`` or ``********`` (what a form or
    a GET shows of it; with nothing stored, it is blank). ``None`` clears an optional setting and keeps a
    required one, which cannot be cleared. Any other value replaces the stored one; the caller validates
    the result as a whole.
    """
    merged = {spec.name: stored[spec.name] for spec in method.fields if stored.get(spec.name)}
    specs = {spec.name: spec for spec in method.fields}
    for key, value in (values or {}).items():
        spec = specs.get(key)
        if spec is None:
            merged[key] = value  # unknown: left for the validation to name
        elif value is None:
            if not spec.required:
                merged.pop(key, None)
        elif spec.secret and value in ("", MASK):
            merged.setdefault(key, "")  # never the mask itself as a secret
        else:
            merged[key] = value
    return merged


def public_settings(method: type[AuthMethod], settings: dict) -> dict[str, Any]:
    """Settings safe to show: secret fields become ``********`` when set (never their value)."""
    shown: dict[str, Any] = {}
    for spec in method.fields:
        value = settings.get(spec.name)
        if spec.secret:
            shown[spec.name] = MASK if value else ""
        else:
            shown[spec.name] = value or ""
    return shown


def processor_name(method_name: str, immediate: bool = False) -> str:
    """The processor name of an auth method (``07320...`` deferred, ``07310...`` immediate)."""
    return PROCESSOR_PREFIXES[1 if immediate else 0] + method_name
