"""Small checks shared by the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from . import ValidationError


def require_text(value: Any, field: str, label: str, max_length: int = 255, required: bool = True) -> str:
    """Return ``value`` stripped; refuse a missing required value or one that is too long."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise ValidationError(f"{label} is required.", field=field)
    if len(text) > max_length:
        raise ValidationError(f"{label} must be at most {max_length} characters.", field=field)
    return text


def money(value: Any, field: str, label: str) -> Decimal:
    """Return ``value`` as a non-negative amount with two decimals."""
    try:
        amount = Decimal(str(value if value not in (None, "") else "0"))
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(f"{label} must be a number.", field=field) from exc
    if not amount.is_finite():
        raise ValidationError(f"{label} must be a number.", field=field)
    if amount < 0:
        raise ValidationError(f"{label} cannot be negative.", field=field)
    if amount >= Decimal("10000000000"):
        raise ValidationError(f"{label} is too large.", field=field)
    return amount.quantize(Decimal("0.01"))


def a_date(value: Any, field: str, label: str) -> date:
    """Return ``value`` as a date (accepts ``date`` or ISO ``YYYY-MM-DD``)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{label} must be a date (YYYY-MM-DD).", field=field) from exc


def date_range(start: Any, end: Any, start_field: str, end_field: str, what: str = "Departure") -> tuple:
    """Return ``(start, end)`` as dates, refusing an end that is not after the start."""
    first = a_date(start, start_field, start_field.replace("_", " ").capitalize())
    last = a_date(end, end_field, end_field.replace("_", " ").capitalize())
    if last <= first:
        raise ValidationError(f"{what} must be after {start_field.replace('_', ' ')}.", field=end_field)
    if (last - first).days > 3660:
        raise ValidationError("The date range is too long.", field=end_field)
    return first, last


def whole_number(value: Any, field: str, label: str, minimum: int = 0, maximum: int = 100000) -> int:
    """Return ``value`` as an int within ``[minimum, maximum]``."""
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{label} must be a whole number.", field=field) from exc
    if isinstance(value, float) and value != number:
        raise ValidationError(f"{label} must be a whole number.", field=field)
    if number < minimum or number > maximum:
        raise ValidationError(f"{label} must be between {minimum} and {maximum}.", field=field)
    return number


def optional_date(value: Any, field: str, label: str) -> date | None:
    """Return ``value`` as a date, or ``None`` when it is blank."""
    if value in (None, ""):
        return None
    return a_date(value, field, label)


def open_range(start: date | None, end: date | None, end_field: str, label: str) -> None:
    """Refuse an end before the start of an inclusive range whose ends may be open (``None``)."""
    if start is not None and end is not None and end < start:
        raise ValidationError(f"{label} cannot end before it starts.", field=end_field)


def flag(value: Any, field: str, label: str) -> bool:
    """Return ``value`` as a boolean (``True``/``False``, 1/0, "1"/"0", "true"/"false", "y"/"n", "on")."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "on"):
        return True
    if text in ("0", "false", "no", "n", "off", ""):
        return False
    raise ValidationError(f"{label} must be yes or no.", field=field)


def percentage(value: Any, field: str, label: str) -> Decimal:
    """Return ``value`` as a percentage between 0 and 100, two decimals."""
    amount = money(value, field, label)
    if amount > 100:
        raise ValidationError(f"{label} cannot be more than 100 %.", field=field)
    return amount
