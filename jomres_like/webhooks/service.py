"""The webhook rules shared by the manager's and administrator's pages and the REST API.

Managers own their webhooks; administrators own the site-wide ones (``owner_id`` ``None``); super managers
and registered users may not manage webhooks at all. These functions validate, change and ``flush()``;
they never commit: the request does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, delete, func, select

from .. import crypto, signals
from ..deferred import marks
from ..extensions import db
from ..logs import get_logger
from ..models import DeliveryAttempt, User, Webhook, WebhookDelivery
from ..models.webhooks import MODES
from ..services import NotFound, PermissionDenied, ValidationError, site
from . import authmethods, dispatch, signing, ssrf

#: What a stored secret auth setting looks like in JSON; sending it back keeps the stored value.
SECRET_MASK = authmethods.MASK

FIELDS = ("url", "auth_method", "auth_settings", "events", "enabled", "mode", "include_record",
          "wait_for_confirmation", "description", "event_names")
#: Keys a client may send back unchanged (from a GET) that are not settable; they are ignored.
READ_ONLY = ("id", "secret", "last_status", "consecutive_failures", "disabled_reason", "site_wide",
             "created_at", "updated_at", "last_delivery_at")
DEFAULTS: dict[str, Any] = {"auth_method": "none", "auth_settings": {}, "events": [], "enabled": True,
                            "mode": "deferred", "include_record": False, "wait_for_confirmation": True,
                            "description": "", "event_names": "current"}

log = get_logger("Webhooks")


# ---- Access ---------------------------------------------------------------------------------------------


def check_can_manage(user: User | None) -> None:
    """Raise :class:`PermissionDenied` unless ``user`` is a manager or an administrator."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.active:
        raise PermissionDenied("Please log in to manage webhooks.")
    if user.is_super_manager:
        raise PermissionDenied("Super managers cannot manage webhooks.")
    if not (user.is_admin or user.is_manager):
        raise PermissionDenied("Only managers and administrators can manage webhooks.")


def _visible_query(user: User) -> Select:
    check_can_manage(user)
    query = select(Webhook).order_by(Webhook.id)
    if user.is_admin:
        return query.where(Webhook.owner_id.is_(None))
    return query.where(Webhook.owner_id == user.id)


def visible_webhooks(user: User) -> list[Webhook]:
    """The webhooks ``user`` manages: a manager's own, an administrator's site-wide ones."""
    return list(db.session.scalars(_visible_query(user)))


def get_webhook(user: User, webhook_id: int) -> Webhook:
    """Return the webhook if ``user`` manages it; :class:`NotFound` otherwise, never revealing it exists."""
    check_can_manage(user)
    try:
        webhook_id = int(webhook_id)
    except (TypeError, ValueError) as exc:
        raise NotFound("No such webhook.") from exc
    webhook = db.session.scalar(_visible_query(user).where(Webhook.id == webhook_id))
    if webhook is None:
        raise NotFound("No such webhook.")
    return webhook


def get_delivery(user: User, delivery_id: int) -> WebhookDelivery:
    """Return a delivery of a webhook ``user`` manages; :class:`NotFound` otherwise."""
    check_can_manage(user)
    try:
        delivery = db.session.get(WebhookDelivery, int(delivery_id))
    except (TypeError, ValueError, OverflowError) as exc:
        raise NotFound("No such delivery.") from exc
    if delivery is None:
        raise NotFound("No such delivery.")
    get_webhook(user, delivery.webhook_id)
    return delivery


# ---- Validation -----------------------------------------------------------------------------------------


def _flag(value: Any, field: str, errors: dict[str, str]) -> bool | None:
    if isinstance(value, bool):
        return value
    errors[field] = f"{field.replace('_', ' ').capitalize()} must be true or false."
    return None


def _events(value: Any, errors: dict[str, str]) -> list[str] | None:
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        errors["events"] = "Events must be a list of event names."
        return None
    wanted, unknown = signals.catalogue_events(value)  # legacy names stand for their current events
    if unknown:
        errors["events"] = "Unknown events: " + ", ".join(unknown[:10]) + "."
        return None
    return wanted


def _description(value: Any, errors: dict[str, str]) -> str | None:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors["description"] = "Description must be text."
        return None
    text = value.strip()
    if len(text) > 255:
        errors["description"] = "Description must be at most 255 characters."
        return None
    return text


def _url(value: Any, errors: dict[str, str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors["url"] = "URL is required."
        return None
    if len(value.strip()) > 2048:
        errors["url"] = "URL must be at most 2048 characters."
        return None
    try:
        return ssrf.validate_url(value.strip(), development=site.development_mode())
    except ValidationError as exc:
        errors["url"] = exc.errors.get("url") or exc.message
        return None


def _method(name: Any, errors: dict[str, str]) -> type[authmethods.AuthMethod] | None:
    try:
        return authmethods.get_method(name)
    except authmethods.UnknownAuthMethod:
        errors["auth_method"] = "Choose one of: " + ", ".join(authmethods.methods()) + "."
        return None


def _settings(method: type[authmethods.AuthMethod], value: Any, stored: dict,
              errors: dict[str, str]) -> dict | None:
    """Validate ``stored`` updated with ``value`` as a whole (see :func:`authmethods.merge_settings`)."""
    value = {} if value is None else value
    if not isinstance(value, dict):
        errors["auth_settings"] = "Auth settings must be an object."
        return None
    known = {field.name for field in method.fields}
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        errors["auth_settings"] = f"Unknown settings for {method.name}: " + ", ".join(unknown[:10]) + "."
        return None
    try:
        return method.validate_settings(authmethods.merge_settings(method, value, stored))
    except ValidationError as exc:
        for key, message in (exc.errors or {"auth_settings": exc.message}).items():
            errors[key if key.startswith("auth_settings") else f"auth_settings.{key}"] = message
        return None


_CHECKS = {"url": _url, "events": _events, "description": _description}
_FLAGS = ("enabled", "include_record", "wait_for_confirmation")


def _validate(values: dict, current: dict, stored_settings: dict, partial: bool = False) -> dict:
    """Validate ``values`` over ``current``; return the clean values or raise one ValidationError.

    ``partial`` (an update): only the named fields; the auth settings when either auth field is named,
    over ``stored_settings`` for the same method, from nothing for another (its required fields are due).
    """
    if not isinstance(values, dict):
        raise ValidationError("Expected an object with the webhook's fields.")
    unknown = sorted(str(key) for key in values if key not in FIELDS and key not in READ_ONLY)
    if unknown:
        raise ValidationError("Unknown fields: " + ", ".join(unknown[:10]) + ".", field=unknown[0])
    named = [key for key in FIELDS if key in values] if partial else list(FIELDS)
    merged = {**current, **{key: values[key] for key in FIELDS if key in values}}
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name in named:
        if name in _CHECKS:
            clean[name] = _CHECKS[name](merged.get(name), errors)
        elif name in _FLAGS:
            clean[name] = _flag(merged.get(name), name, errors)
        elif name in ("mode", "event_names"):  # a choice of words
            allowed = MODES if name == "mode" else signals.EVENT_NAMES
            if merged.get(name) not in allowed:
                errors[name] = f"{name.replace('_', ' ').capitalize()} must be {' or '.join(allowed)}."
            clean[name] = merged.get(name)
    if "auth_method" in named or "auth_settings" in named:
        method = _method(merged.get("auth_method"), errors)
        clean["auth_method"] = merged.get("auth_method")
        if method is not None:
            same_method = method.name == current.get("auth_method")
            clean["auth_settings"] = _settings(method, values.get("auth_settings"),
                                               stored_settings if same_method else {}, errors)
    if errors:
        message = next(iter(errors.values())) if len(errors) == 1 else "Please correct: " + "; ".join(
            f"{key}: {text}" for key, text in errors.items())
        raise ValidationError(message, errors=errors)
    return clean


# ---- Changes --------------------------------------------------------------------------------------------


def stored_auth_settings(webhook: Webhook) -> dict:
    """The webhook's decrypted auth settings (secrets included: never render or log them)."""
    try:
        return crypto.decrypt_json(webhook.auth_settings_encrypted, {}) or {}
    except crypto.DecryptionError:
        log.warning("Auth settings of webhook %s cannot be decrypted", webhook.id)
        return {}


def _current(webhook: Webhook) -> dict:
    return {"url": webhook.url, "auth_method": webhook.auth_method, "events": list(webhook.events or []),
            "enabled": webhook.enabled, "mode": webhook.mode, "include_record": webhook.include_record,
            "wait_for_confirmation": webhook.wait_for_confirmation, "description": webhook.description or "",
            "event_names": webhook.event_names or "current"}


def create_webhook(user: User, values: dict) -> tuple[Webhook, str]:
    """Create a webhook for ``user`` (site-wide for administrators); return it and its plaintext secret."""
    check_can_manage(user)
    clean = _validate(values, dict(DEFAULTS), {})
    webhook = Webhook(owner_id=None if user.is_admin else user.id)
    secret = signing.set_secret(webhook)
    _apply(webhook, clean)
    db.session.add(webhook)
    db.session.flush()
    log.info("Webhook %s created for %s: %s (%s)", webhook.id, "site" if webhook.site_wide else user.username,
             webhook.url, webhook.auth_method)
    return webhook, secret


def _apply(webhook: Webhook, clean: dict) -> None:
    settings = clean.pop("auth_settings", None)
    for name, value in clean.items():
        setattr(webhook, name, value)
    if settings is not None:
        webhook.auth_settings_encrypted = crypto.encrypt_json(settings) if settings else None


def update_webhook(webhook: Webhook, values: dict) -> dict:
    """Change only the fields ``values`` names (see :func:`_validate`); return ``{field: [old, new]}``."""
    stored = stored_auth_settings(webhook)
    current = _current(webhook)
    clean = _validate(values, current, stored, partial=True)
    changes: dict[str, Any] = {}
    for name, value in clean.items():
        if name != "auth_settings" and value != current[name]:
            changes[name] = [current[name], value]
    settings = clean.get("auth_settings")
    if settings is not None and (settings != stored or "auth_method" in changes):
        keys = set(stored) | set(settings)  # the names only: values may be secret
        changes["auth_settings"] = sorted(key for key in keys if "auth_method" in changes
                                          or stored.get(key) != settings.get(key))
    if "auth_settings" in changes or "url" in changes:
        webhook.token_cache_encrypted = None  # a new identity or token endpoint needs a new token
        webhook.token_expires_at = None
    enabling = clean.get("enabled") and not webhook.enabled
    _apply(webhook, clean)
    if enabling:
        _clear_health(webhook)
    elif "url" in changes:
        marks.clear(webhook.id)  # another receiver: its speed is not known yet
    db.session.flush()
    if changes:
        log.info("Webhook %s updated: %s", webhook.id, ", ".join(sorted(changes)))
    return changes


def _clear_health(webhook: Webhook) -> None:
    marks.clear(webhook.id)
    webhook.disabled_reason = ""
    webhook.consecutive_failures = 0
    webhook.failing_since = None


def set_enabled(webhook: Webhook, enabled: bool) -> None:
    """Enable or disable ``webhook``; re-enabling clears the disabled reason and the failure counters."""
    if enabled and not webhook.enabled:
        _clear_health(webhook)
    webhook.enabled = bool(enabled)
    db.session.flush()
    log.info("Webhook %s %s", webhook.id, "enabled" if enabled else "disabled")


def delete_webhook(webhook: Webhook) -> None:
    """Delete ``webhook`` with its deliveries and their attempts."""
    delivery_ids = select(WebhookDelivery.id).where(WebhookDelivery.webhook_id == webhook.id)
    db.session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(delivery_ids)),
                       execution_options={"synchronize_session": False})
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id),
                       execution_options={"synchronize_session": False})
    log.info("Webhook %s deleted", webhook.id)
    marks.clear(webhook.id)  # SQLite may give its id to the next webhook
    db.session.delete(webhook)
    db.session.flush()


def rotate_secret(webhook: Webhook) -> str:
    """Give ``webhook`` a new signing secret (the old one keeps signing for 24 h); return it in plaintext."""
    secret = signing.rotate(webhook)
    db.session.flush()
    log.info("Signing secret of webhook %s rotated", webhook.id)
    return secret


def send_test(webhook: Webhook) -> WebhookDelivery:
    """Raise a ``webhook_test`` event for ``webhook`` alone; it is delivered after the commit."""
    return dispatch.send_test_event(webhook)


def redeliver(user: User, delivery_id: int) -> WebhookDelivery:
    """Send a delivery of one of ``user``'s webhooks again, with the same message id, after the commit."""
    return dispatch.redeliver(get_delivery(user, delivery_id))


# ---- Reading --------------------------------------------------------------------------------------------


def delivery_count(webhook: Webhook) -> int:
    """How many deliveries ``webhook`` has on record."""
    return db.session.scalar(
        select(func.count(WebhookDelivery.id)).where(WebhookDelivery.webhook_id == webhook.id)) or 0


def deliveries_query(webhook: Webhook) -> Select:
    """The webhook's deliveries, newest first (a query, for pagination)."""
    return (select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()))


def public_auth_settings(webhook: Webhook) -> dict:
    """The auth settings as shown to people: secret fields as :data:`SECRET_MASK` when stored."""
    try:
        method = authmethods.get_method(webhook.auth_method)
    except authmethods.UnknownAuthMethod:
        return {}
    return authmethods.public_settings(method, stored_auth_settings(webhook))


def webhook_to_json(webhook: Webhook) -> dict:
    """The webhook as the API shows it (never a secret)."""
    return {
        "id": webhook.id,
        "url": webhook.url,
        "auth_method": webhook.auth_method,
        "auth_settings": public_auth_settings(webhook),
        "events": list(webhook.events or []),
        "enabled": webhook.enabled,
        "mode": webhook.mode,
        "include_record": webhook.include_record,
        "wait_for_confirmation": webhook.wait_for_confirmation,
        "description": webhook.description or "",
        "event_names": webhook.event_names or "current",
        "site_wide": webhook.site_wide,
        "last_status": webhook.last_status,
        "consecutive_failures": webhook.consecutive_failures or 0,
        "disabled_reason": webhook.disabled_reason or "",
    }


def _iso(value) -> str | None:
    return value.isoformat() + ("Z" if value.tzinfo is None else "") if value is not None else None


def attempt_to_json(attempt: DeliveryAttempt) -> dict:
    """One attempt as JSON."""
    return {"number": attempt.number, "started_at": _iso(attempt.started_at),
            "duration_ms": attempt.duration_ms, "status_code": attempt.status_code,
            "response_excerpt": attempt.response_excerpt or "",
            "error": attempt.error or "", "redelivery": attempt.redelivery}


def delivery_to_json(delivery: WebhookDelivery) -> dict:
    """A delivery with its attempts, as the API shows it."""
    return {
        "id": delivery.id,
        "message_id": delivery.message_id,
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error or "",
        "created_at": _iso(delivery.created_at),
        "completed_at": _iso(delivery.completed_at),
        "attempt_log": [attempt_to_json(attempt) for attempt in delivery.attempt_log],
    }
