"""Small checks shared by the services."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from . import Conflict, ValidationError
from .currencies import CURRENCIES

T = TypeVar("T")

# What no text field may hold: NUL (PostgreSQL refuses it), lone surrogates (not encodable as UTF-8, so no
# database driver can send them) and the other C0 controls but tab, LF and CR (no place in text people type;
# they would forge lines in logs and headers).
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """The message for the first character of ``text`` no field may hold (NUL, lone surrogate, control), or
    ``None`` when every character may be stored."""
    found = _UNSAFE_TEXT.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if code == 0:
        return "Must not contain a NUL character (U+0000)."
    if 0xD800 <= code <= 0xDFFF:
        return f"Must not contain a lone surrogate (U+{code:04X}): send valid Unicode text."
    return f"Must not contain the control character U+{code:04X}."


def check_text(value: Any, field: str, label: str) -> Any:
    """Return ``value`` unchanged; refuse a string holding a character no field may hold."""
    problem = text_problem(value) if isinstance(value, str) else None
    if problem:
        raise ValidationError(f"{label}: {problem}", field=field)
    return value


def require_text(value: Any, field: str, label: str, max_length: int = 255, required: bool = True) -> str:
    """Return ``value`` stripped; refuse it when required and missing, too long, or not storable text."""
    text = check_text("" if value is None else str(value).strip(), field, label)
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


# A mailbox as people type one: no spaces, one "@", a dot in the domain, no empty labels.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def email_address(value: Any, field: str, label: str, required: bool = False) -> str:
    """Return ``value`` as an e-mail address (stripped, ``""`` when optional and blank), or refuse it."""
    text = require_text(value, field, label, 255, required)
    if text and not _EMAIL.fullmatch(text):
        raise ValidationError(f"{label} must be an e-mail address such as name@example.com.", field=field)
    return text


def currency_code(value: Any, field: str = "currency", label: str = "Currency") -> str:
    """Return ``value`` as a current ISO 4217 currency code (upper case), or refuse it."""
    code = require_text(value, field, label, 3).upper()
    if code not in CURRENCIES:
        raise ValidationError(f"{label} must be an ISO 4217 currency code such as EUR or GBP.", field=field)
    return code


class Errors:
    """The field errors of one input, gathered so that every one is reported at once."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, rule: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """Return ``rule(*args, **kwargs)``; on a :class:`ValidationError` keep its messages, return None."""
        try:
            return rule(*args, **kwargs)
        except Conflict:
            raise  # a clash with stored data is not an input error: it is answered alone
        except ValidationError as error:
            for field, message in (error.errors or {"": error.message}).items():
                self.add(field, message)
            return None

    def add(self, field: str, message: str) -> None:
        """Record ``message`` for ``field`` (the first message of a field is kept)."""
        self.errors.setdefault(field, message)

    def raise_any(self) -> None:
        """Raise one :class:`ValidationError` carrying every error gathered, if there is any."""
        if self.errors:
            field, message = next(iter(self.errors.items()))
            raise ValidationError(message, field=field or None, errors=self.errors)


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
