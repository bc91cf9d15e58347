"""The registry of webhook auth methods: a base class, one module per method, string keys.

A method is a subclass of :class:`AuthMethod` decorated with :func:`register` in its own module of this
package; every module here is imported the first time the registry is used, so a new method joins by one
module. Each method also provides the deferred processor Jomres calls
``07320watcher_authmethod_process_<method>`` (and ``07310...`` for immediate webhooks): see
:func:`get_processor`.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ...services import ValidationError
from ..http import AttemptResult, post, webhook_session

if TYPE_CHECKING:
    from ...models import Webhook, WebhookDelivery

FIELD_KINDS = ("text", "url", "password")
PROCESSOR_PREFIXES = ("07320watcher_authmethod_process_", "07310watcher_authmethod_process_")
MASK = "********"
MAX_SETTING_LENGTH = 2048


class DuplicateAuthMethod(Exception):
    """Two auth methods were registered under the same name."""


class UnknownAuthMethod(ValidationError):
    """No auth method has this name."""


class UnknownProcessor(LookupError):
    """No deferred processor has this name."""


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
_loaded = False
_lock = threading.Lock()


def register(cls: type[AuthMethod]) -> type[AuthMethod]:
    """Class decorator: add an auth method to the registry (a second one with its name raises)."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    existing = _registry.get(cls.name)
    if existing is not None and existing is not cls:
        raise DuplicateAuthMethod(f"An auth method named {cls.name!r} is already registered")
    _registry[cls.name] = cls
    return cls


def _load() -> None:
    """Import every module of this package once, so that each registers its method."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            for module in pkgutil.iter_modules(__path__):
                importlib.import_module(f"{__name__}.{module.name}")
            _loaded = True


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


def get_processor(name: str) -> Callable[[WebhookDelivery, Webhook], AttemptResult]:
    """The processor ``07320watcher_authmethod_process_<method>``: signs and sends a stored delivery."""
    for prefix in PROCESSOR_PREFIXES:
        if isinstance(name, str) and name.startswith(prefix):
            method_name = name[len(prefix):]
            break
    else:
        raise UnknownProcessor(f"Failed to find {name!r}")
    _load()
    if method_name not in _registry:
        raise UnknownProcessor(f"Failed to find {name!r}")

    def processor(delivery: WebhookDelivery, webhook: Webhook) -> AttemptResult:
        """Sign and send the stored delivery now.

        The pipeline passes plain records of both (:mod:`..snapshot`), which the session does not track: a
        method that changes its webhook writes the change with a statement (the OAuth token cache does).
        """
        # deliver() looks the method up from the webhook; imported here because delivery imports this registry
        from ..delivery import deliver

        return deliver(delivery, webhook)

    processor.__name__ = name
    return processor


def processor_name(method_name: str, immediate: bool = False) -> str:
    """The processor name of an auth method (``07320...`` deferred, ``07310...`` immediate)."""
    return PROCESSOR_PREFIXES[1 if immediate else 0] + method_name
