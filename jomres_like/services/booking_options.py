"""What a booking adds to its rooms: extras with quantities, guest types with counts, a coupon; and its price.

The price of a booking (when no total is entered by hand):

- the room tariffs for the nights (``tariffs.price_stay``, per person for per-person tariffs);
- plus each extra's price times its quantity, once per booking; prices include tax, and the tax part
  (``price * quantity * rate / (100 + rate)``) is shown beside it, not added;
- plus or minus each guest type's variance, per guest of that type and per night: a fixed amount, or a
  percentage of the night's room rate (so, over the stay, that percentage of the room tariffs' total);
  the sum so far never goes below zero;
- minus the coupon's discount: a percentage of that sum, or a fixed amount (at most the sum).

A total entered by hand is the total: the extras, guest types and coupon are recorded, and the discount is 0.

Occupancy: when a booking names guest types, their counts are its guests (``adults`` the non-child types,
``children`` the child types); each count is at most its type's ``maximum``, and their sum at most the
rooms' capacity (the sum of their ``max_people``). A booking with guest types needs a non-child one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from ..extensions import db
from ..models import Booking, BookingExtra, BookingGuestType, Coupon, Extra, GuestType, Property, Room
from . import NotFound, ValidationError
from .coupons import check_window, usable_coupon
from .extras import get_extra, live_extras
from .guest_types import get_guest_type
from .tariffs import price_stay
from .validation import whole_number

CENT = Decimal("0.01")
MAX_LINES = 50


@dataclass
class Options:
    """The extras (with quantities), guest types (with counts) and coupon chosen for a booking."""

    extras: list[tuple[Extra, int]] = field(default_factory=list)
    guest_types: list[tuple[GuestType, int]] = field(default_factory=list)
    coupon: Coupon | None = None

    def people(self, adults: int, children: int) -> tuple[int, int]:
        """``(adults, children)``: counted from the guest types when there are any, else as given."""
        if not self.guest_types:
            return adults, children
        grown = sum(count for kind, count in self.guest_types if not kind.is_child)
        young = sum(count for kind, count in self.guest_types if kind.is_child)
        if grown < 1:
            raise ValidationError("A booking with guest types needs at least one guest of a non-child type.",
                                  field="guest_types")
        return grown, young

    def extras_key(self) -> list[list[int]]:
        """``[[extras_uid, quantity], ...]``: for comparing and for the event's changes."""
        return sorted([extra.id, quantity] for extra, quantity in self.extras)

    def guest_types_key(self) -> list[list[int]]:
        """``[[guest_type_uid, count], ...]``: for comparing and for the event's changes."""
        return sorted([kind.id, count] for kind, count in self.guest_types)


def _items(values: Any, name: str, id_keys: tuple[str, ...], amount_key: str) -> list[tuple[int, int]]:
    """``[(id, amount), ...]`` from a list of objects (``{"extras_uid": 3, "quantity": 2}``); amounts of 0
    left out, an id named twice refused."""
    if values in (None, ""):
        return []
    if not isinstance(values, (list, tuple)) or len(values) > MAX_LINES:
        raise ValidationError(f"{name} must be a list of at most {MAX_LINES} objects.", field=name)
    found: dict[int, int] = {}
    for index, item in enumerate(values):
        if not isinstance(item, dict):
            raise ValidationError(f"{name} item {index + 1} must be an object.", field=name)
        key = next((k for k in id_keys if item.get(k) not in (None, "")), None)
        if key is None:
            raise ValidationError(f"{name} item {index + 1} needs {id_keys[0]}.", field=name)
        uid = whole_number(item[key], name, f"{name} item {index + 1}: {id_keys[0]}", 1, 2**31 - 1)
        label = f"{name} item {index + 1}: {amount_key}"
        amount = whole_number(item.get(amount_key, 1), name, label, 0, 1000)
        if uid in found:
            raise ValidationError(f"{name}: {id_keys[0]} {uid} is named twice.", field=name)
        if amount:
            found[uid] = amount
    return list(found.items())


def read_extras(prop: Property, values: Any, rooms: list[Room], arrival: date,
                keep: list[int] = ()) -> list[tuple[Extra, int]]:
    """The extras ``values`` names, each checked: a live extra of ``prop``, a quantity within its maximum,
    offered for ``arrival`` and for one of the ``rooms``' types. Extras in ``keep`` (already on the
    booking) are taken even if deleted or no longer offered, at their quantity."""
    chosen = []
    types = {room.room_type for room in rooms}
    for uid, quantity in _items(values, "extras", ("extras_uid", "extra_uid"), "quantity"):
        extra = db.session.get(Extra, uid) if uid in keep else None
        if extra is None or extra.property_id != prop.id:
            try:
                extra = get_extra(prop, uid)
            except NotFound as exc:
                raise ValidationError(f"Unknown extra {uid} for this property.", field="extras") from exc
        if quantity > extra.max_quantity:
            raise ValidationError(f"{extra.name}: at most {extra.max_quantity} per booking.", field="extras")
        if uid not in keep:
            if not offered(extra, arrival):
                raise ValidationError(f"{extra.name} is not offered for arrivals on {arrival.isoformat()}.",
                                      field="extras")
            if extra.room_type and extra.room_type not in types:
                raise ValidationError(f"{extra.name} is only for {extra.room_type} rooms.", field="extras")
        chosen.append((extra, quantity))
    return chosen


def offered(extra: Extra, arrival: date) -> bool:
    """Whether ``extra`` is offered for a stay arriving on ``arrival`` (its validity, both ends included)."""
    return not (extra.valid_from and arrival < extra.valid_from) and not (
        extra.valid_to and arrival > extra.valid_to
    )


def auto_extras(extras: list[Extra], rooms: list[Room], arrival: date) -> list[dict]:
    """The auto-select extras among ``extras`` offered for this stay, one of each, as ``extras`` items."""
    types = {room.room_type for room in rooms}
    return [
        {"extras_uid": extra.id, "quantity": 1}
        for extra in extras
        if extra.auto_select
        and offered(extra, arrival)
        and (not extra.room_type or extra.room_type in types)
    ]


def read_guest_types(prop: Property, values: Any, rooms: list[Room],
                     keep: list[int] = ()) -> list[tuple[GuestType, int]]:
    """The guest types ``values`` names, each a live type of ``prop`` (or one in ``keep``, already on the
    booking) with a count within its maximum, all of them within the rooms' capacity."""
    chosen = []
    for uid, count in _items(values, "guest_types", ("guest_type_uid",), "count"):
        kind = db.session.get(GuestType, uid) if uid in keep else None
        if kind is None or kind.property_id != prop.id:
            try:
                kind = get_guest_type(prop, uid)
            except NotFound as exc:
                message = f"Unknown guest type {uid} for this property."
                raise ValidationError(message, field="guest_types") from exc
        if count > kind.maximum:
            raise ValidationError(f"{kind.name}: at most {kind.maximum} per booking.", field="guest_types")
        chosen.append((kind, count))
    capacity = sum(room.max_people for room in rooms)
    people = sum(count for _kind, count in chosen)
    if people > capacity:
        raise ValidationError(f"{people} guests do not fit: the rooms take {capacity}.", field="guest_types")
    return chosen


def read_options(prop: Property, values: dict[str, Any], rooms: list[Room], arrival: date) -> Options:
    """The options of a new booking; auto-select extras are added when ``values`` names no ``extras``."""
    extras = values.get("extras")
    if "extras" not in values:
        extras = auto_extras(live_extras(prop), rooms, arrival)
    return Options(
        extras=read_extras(prop, extras, rooms, arrival),
        guest_types=read_guest_types(prop, values.get("guest_types"), rooms),
        coupon=usable_coupon(prop, values.get("coupon_code"), arrival),
    )


def current_options(booking: Booking) -> Options:
    """The options a booking has now."""
    return Options(
        extras=[(line.extra, line.quantity) for line in booking.extras],
        guest_types=[(line.guest_type, line.count) for line in booking.guest_types],
        coupon=booking.coupon,
    )


def changed_options(booking: Booking, values: dict[str, Any], rooms: list[Room], arrival: date) -> Options:
    """The options of ``booking`` after a change: the kinds ``values`` names are read again, the others kept.

    The coupon already on the booking is kept when its code is given again (only its arrivals window is
    checked again); a new code must be usable today.
    """
    options = current_options(booking)
    prop = booking.property
    if "extras" in values:
        options.extras = read_extras(prop, values["extras"], rooms, arrival,
                                     keep=[line.extra_id for line in booking.extras])
    if "guest_types" in values:
        options.guest_types = read_guest_types(prop, values["guest_types"], rooms,
                                               keep=[line.guest_type_id for line in booking.guest_types])
    elif options.guest_types:
        read_guest_types(prop, [{"guest_type_uid": k.id, "count": c} for k, c in options.guest_types], rooms,
                         keep=[k.id for k, _c in options.guest_types])  # the rooms may have changed
    if "coupon_code" in values:
        code = str(values["coupon_code"] or "").strip()
        old = booking.coupon
        if old is not None and code.lower() == old.code.lower():
            check_window(old, arrival)
        else:
            options.coupon = usable_coupon(prop, code, arrival, booking_id=booking.id)
    elif options.coupon is not None and arrival != booking.arrival:
        check_window(options.coupon, arrival)
    return options


@dataclass(frozen=True)
class Price:
    """A booking's price in parts; ``total`` is what the guest pays."""

    rooms: Decimal
    extras: Decimal
    guest_types: Decimal
    discount: Decimal
    total: Decimal


def price_booking(prop: Property, rooms: list[Room], arrival: date, departure: date, people: int,
                  options: Options) -> Price:
    """Price a booking as the module's docstring says."""
    nights = (departure - arrival).days
    room_total = price_stay(prop, rooms, arrival, departure, people)
    extras = sum((extra.price * quantity for extra, quantity in options.extras), Decimal("0"))
    variances = Decimal("0")
    for kind, count in options.guest_types:
        each = room_total * kind.variance / 100 if kind.is_percentage else kind.variance * nights
        variances += (each if kind.posneg else -each) * count
    subtotal = max(room_total + extras + variances, Decimal("0"))
    discount = Decimal("0")
    if options.coupon is not None:
        coupon = options.coupon
        discount = subtotal * coupon.amount / 100 if coupon.is_percentage else min(coupon.amount, subtotal)
    return Price(
        rooms=room_total.quantize(CENT),
        extras=extras.quantize(CENT),
        guest_types=variances.quantize(CENT),
        discount=discount.quantize(CENT),
        total=(subtotal - discount.quantize(CENT)).quantize(CENT),
    )


def tax_part(amount: Decimal, rate: Decimal) -> Decimal:
    """The tax included in ``amount`` at ``rate`` percent."""
    return (amount * rate / (100 + rate)).quantize(CENT) if rate else Decimal("0.00")


def store_options(booking: Booking, options: Options) -> None:
    """Put ``options`` on ``booking``: its extras at their current prices, its guest types, its coupon.

    Lines already on the booking are changed in place (their primary key is the booking and the extra).
    """
    had = {line.extra_id: line for line in booking.extras}
    lines = []
    for extra, quantity in options.extras:
        line = had.get(extra.id) or BookingExtra(extra_id=extra.id, extra=extra)
        line.quantity, line.unit_price, line.tax_rate = quantity, extra.price, extra.tax_rate
        lines.append(line)
    booking.extras = lines
    counted = {line.guest_type_id: line for line in booking.guest_types}
    kinds = []
    for kind, count in options.guest_types:
        line = counted.get(kind.id) or BookingGuestType(guest_type_id=kind.id, guest_type=kind)
        line.count = count
        kinds.append(line)
    booking.guest_types = kinds
    booking.coupon = options.coupon
    booking.coupon_id = options.coupon.id if options.coupon is not None else None
