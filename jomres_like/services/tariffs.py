"""Tariffs: nightly rates per room type over date ranges, and the price of a stay."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Property, Room, Tariff
from . import NotFound, ValidationError
from .events import apply_changes, raise_event
from .validation import Errors, date_range, money, require_text, whole_number

PRICING_TYPES = ("per_room", "per_person")


def get_tariff(prop: Property, tariff_id: int) -> Tariff:
    """Return a tariff of ``prop`` or raise :class:`NotFound`."""
    tariff = db.session.get(Tariff, tariff_id)
    if tariff is None or tariff.property_id != prop.id:
        raise NotFound("No such tariff.")
    return tariff


def room_types(prop: Property) -> list[str]:
    """The room types of ``prop``'s live rooms, sorted: what a tariff may price."""
    query = select(Room.room_type).where(Room.property_id == prop.id, Room.deleted.is_(False)).distinct()
    return sorted(db.session.scalars(query))  # from the rows: rooms added in this transaction count


def clean_tariff(values: dict[str, Any], allowed_types: Collection[str]) -> dict[str, Any]:
    """Validate one tariff's fields and return them typed; every error is reported at once.

    ``room_type`` must be one of ``allowed_types`` (the property's room types).
    """
    errors = Errors()
    dates = errors.check(
        date_range, values.get("start_date"), values.get("end_date"), "start_date", "end_date", "End date"
    )
    cleaned = {
        "name": errors.check(require_text, values.get("name", ""), "name", "Name", 255, required=False),
        "room_type": errors.check(require_text, values.get("room_type"), "room_type", "Room type", 80),
        "start_date": dates[0] if dates else None,
        "end_date": dates[1] if dates else None,
        "rate_per_night": errors.check(
            money, values.get("rate_per_night"), "rate_per_night", "Rate per night"
        ),
        "min_nights": errors.check(
            whole_number, values.get("min_nights", 1), "min_nights", "Minimum nights", 1, 365
        ),
        "max_nights": errors.check(
            whole_number, values.get("max_nights", 365), "max_nights", "Maximum nights", 1, 3650
        ),
        "pricing_type": values.get("pricing_type") or "per_room",
    }
    if cleaned["room_type"] and cleaned["room_type"] not in allowed_types:
        choices = ", ".join(allowed_types) if allowed_types else "none yet: add a room first"
        errors.add("room_type", f"Room type must be one of the property's room types ({choices}).")
    if None not in (cleaned["min_nights"], cleaned["max_nights"]) and (
        cleaned["max_nights"] < cleaned["min_nights"]
    ):
        errors.add("max_nights", "Maximum nights cannot be less than minimum nights.")
    if cleaned["pricing_type"] not in PRICING_TYPES:
        errors.add("pricing_type", f"Pricing type must be one of {', '.join(PRICING_TYPES)}.")
    errors.raise_any()
    return cleaned


def _range(tariff_or_values) -> list[str]:
    get = tariff_or_values.get if isinstance(tariff_or_values, dict) else tariff_or_values.__getattribute__
    return [get("start_date").isoformat(), get("end_date").isoformat()]


def _raise(prop: Property, ranges: list[list[str]], pricing_types: set[str]) -> None:
    unique = sorted({tuple(r) for r in ranges})
    raise_event(
        "tariffs_updated",
        property_uid=prop.id,
        metadata={"date_ranges": [list(r) for r in unique], "pricing_types": sorted(pricing_types)},
    )


def save_tariff(prop: Property, values: dict[str, Any], tariff: Tariff | None = None) -> Tariff:
    """Create or change one tariff; raise ``tariffs_updated`` with the affected date ranges."""
    allowed = set(room_types(prop))
    if tariff is not None:
        allowed.add(tariff.room_type)  # an unchanged type stays valid after its last room went
    cleaned = clean_tariff(values, sorted(allowed))
    ranges = [_range(cleaned)]
    types = {cleaned["pricing_type"]}
    if tariff is None:
        tariff = Tariff(property_id=prop.id, **cleaned)
        db.session.add(tariff)
    else:
        ranges.append(_range(tariff))
        types.add(tariff.pricing_type)
        if not apply_changes(tariff, cleaned):
            return tariff  # nothing changed: no event
    db.session.flush()
    db.session.expire(prop, ["tariffs"])  # price_stay must see this tariff within the same transaction
    _raise(prop, ranges, types)
    return tariff


def delete_tariff(tariff: Tariff) -> None:
    """Delete a tariff; raise ``tariffs_updated`` for its date range."""
    prop = tariff.property
    ranges, types = [_range(tariff)], {tariff.pricing_type}
    db.session.delete(tariff)
    db.session.flush()
    db.session.expire(prop, ["tariffs"])  # price_stay must not see the deleted tariff
    _raise(prop, ranges, types)


def _unchanged(old: list[Tariff], cleaned: list[dict[str, Any]]) -> bool:
    """True when storing ``cleaned`` would price every stay as ``old`` does, with the same values.

    Pricing takes the first tariff of a room type, in Property.tariffs' order (start date, then id), that
    covers a night. So the order only matters among tariffs of one room type starting on the same day
    (new rows get ids in list order); tariffs of other room types may come in any order.
    """
    if len(old) != len(cleaned):
        return False
    stored: dict[tuple, list[Tariff]] = {}
    for tariff in sorted(old, key=lambda t: (t.start_date, t.id)):
        stored.setdefault((tariff.start_date, tariff.room_type), []).append(tariff)
    wanted: dict[tuple, list[dict[str, Any]]] = {}
    for values in cleaned:
        wanted.setdefault((values["start_date"], values["room_type"]), []).append(values)
    if stored.keys() != wanted.keys():
        return False
    return all(
        len(stored[key]) == len(wanted[key])
        and all(
            getattr(tariff, name) == value
            for tariff, values in zip(stored[key], wanted[key], strict=True)
            for name, value in values.items()
        )
        for key in stored
    )


def replace_tariffs(prop: Property, items: list[dict[str, Any]]) -> list[Tariff]:
    """Replace all tariffs of ``prop`` with ``items``; one ``tariffs_updated`` covering old and new ranges.

    Items equal to the stored tariffs change nothing and raise no event.
    """
    if not isinstance(items, list):
        raise ValidationError("Tariffs must be a list.", field="tariffs")
    old = list(prop.tariffs)
    allowed = sorted(set(room_types(prop)) | {tariff.room_type for tariff in old})
    cleaned, errors = [], Errors()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.add(f"tariffs.{index}", f"Tariff {index + 1} must be an object.")
            continue
        try:
            cleaned.append(clean_tariff(item, allowed))
        except ValidationError as exc:
            for field, message in exc.errors.items():
                errors.add(f"tariffs.{index}.{field}", f"Tariff {index + 1}: {message}")
    errors.raise_any()
    if _unchanged(old, cleaned):
        return old  # nothing changed: no event
    ranges = [_range(t) for t in old] + [_range(c) for c in cleaned]
    types = {t.pricing_type for t in old} | {c["pricing_type"] for c in cleaned}
    for tariff in old:
        db.session.delete(tariff)
    db.session.flush()
    new = [Tariff(property_id=prop.id, **values) for values in cleaned]
    db.session.add_all(new)
    db.session.flush()
    db.session.expire(prop, ["tariffs"])
    if ranges:
        _raise(prop, ranges, types)
    return new


def price_stay(prop: Property, rooms: list[Room], arrival: date, departure: date, people: int = 1) -> Decimal:
    """Price a stay from the tariffs; refuse nights no tariff covers or lengths a tariff forbids."""
    nights = (departure - arrival).days
    tariffs = list(prop.tariffs)
    total = Decimal("0.00")
    for room in rooms:
        night = arrival
        while night < departure:
            tariff = next(
                (
                    t
                    for t in tariffs
                    if t.room_type == room.room_type
                    and t.start_date <= night < t.end_date
                    and t.min_nights <= nights <= t.max_nights
                ),
                None,
            )
            if tariff is None:
                raise ValidationError(
                    f"No tariff covers room {room.number} ({room.room_type}) on {night.isoformat()} "
                    f"for a stay of {nights} night{'' if nights == 1 else 's'}; enter the total by hand.",
                    field="contract_total",
                )
            rate = tariff.rate_per_night * (people if tariff.pricing_type == "per_person" else 1)
            total += rate
            night += timedelta(days=1)
    return total.quantize(Decimal("0.01"))
