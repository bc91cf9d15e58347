"""Bookings (Jomres contracts): create, modify, cancel, no-show, check in and out."""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Booking, Guest, Property
from ..timeutil import utc_today
from . import Conflict, NotFound, ValidationError
from .availability import check_capacity, check_rooms_free, load_rooms
from .booking_options import changed_options, current_options, price_booking, read_options, store_options
from .events import json_value, raise_event
from .guests import create_guest, get_guest
from .validation import Errors, date_range, money, require_text, whole_number

EDITABLE = ("arrival", "departure", "room_uids", "guest_uid", "adults", "children", "contract_total",
            "deposit_required", "special_reqs", "past_stay", "extras", "coupon_code", "guest_types")
OPTIONS = ("extras", "coupon_code", "guest_types")


def get_booking(prop: Property, contract_uid: int) -> Booking:
    """Return a booking of ``prop`` or raise :class:`NotFound`."""
    booking = db.session.get(Booking, contract_uid)
    if booking is None or booking.property_id != prop.id:
        raise NotFound("No such booking.")
    return booking


def _resolve_guest(prop: Property, values: dict[str, Any]) -> Guest:
    if values.get("guest_uid") not in (None, ""):
        try:
            return get_guest(prop, int(values["guest_uid"]))
        except (TypeError, ValueError) as exc:
            raise ValidationError("Guest must be a guest id.", field="guest_uid") from exc
        except NotFound as exc:
            raise ValidationError("Unknown guest for this property.", field="guest_uid") from exc
    new_guest = values.get("guest")
    if isinstance(new_guest, dict) and any(new_guest.values()):
        return create_guest(prop, new_guest)
    raise ValidationError("A booking needs a guest.", field="guest_uid")


def _booking_number() -> str:
    return str(secrets.randbelow(90_000_000) + 10_000_000)


def _past_stay(values: dict[str, Any]) -> bool:
    return values.get("past_stay") in (True, 1, "1", "true", "on", "y")


def _refuse_past_arrival(arrival: date, values: dict[str, Any]) -> None:
    if arrival < utc_today() and not _past_stay(values):
        raise ValidationError(
            "Arrival is in the past; mark the booking as a past stay being recorded to enter one.",
            field="arrival",
        )


def create_booking(prop: Property, values: dict[str, Any]) -> Booking:
    """Validate and create a booking; raise ``booking_added``. Every input error is reported at once.

    ``values``: ``arrival``, ``departure``, ``room_uids``, ``guest_uid`` or ``guest`` (a dict for a new
    guest), ``adults``, ``children``, ``contract_total`` (priced from the tariffs when missing),
    ``deposit_required`` (the property's deposit percent when missing), ``special_reqs``, ``extras``
    (``[{"extras_uid", "quantity"}]``; the auto-select extras when missing), ``coupon_code``,
    ``guest_types`` (``[{"guest_type_uid", "count"}]``: then they are the guests), and ``past_stay`` (true to
    record a stay whose arrival is before today; such arrivals are refused otherwise). The people must fit
    the rooms' capacity. Priced as :mod:`.booking_options` says.
    """
    errors = Errors()
    dates = errors.check(date_range, values.get("arrival"), values.get("departure"), "arrival", "departure")
    adults = errors.check(whole_number, values.get("adults", 1), "adults", "Adults", 1, 100)
    children = errors.check(whole_number, values.get("children", 0), "children", "Children", 0, 100)
    special_reqs = errors.check(
        require_text, values.get("special_reqs", ""), "special_reqs", "Special requests", 5000, False
    )
    rooms = errors.check(load_rooms, prop, values.get("room_uids"))
    if dates:
        errors.check(_refuse_past_arrival, dates[0], values)
    options = errors.check(read_options, prop, values, rooms, dates[0]) if dates and rooms else None
    if options is not None and adults is not None and children is not None:
        adults, children = errors.check(options.people, adults, children) or (adults, children)
    if rooms and adults is not None and children is not None:
        errors.check(check_capacity, rooms, adults, children)
    total = deposit = None
    discount = Decimal("0")
    if values.get("contract_total") not in (None, ""):
        total = errors.check(money, values["contract_total"], "contract_total", "Total")
    elif options is not None and adults is not None and children is not None:
        price = errors.check(price_booking, prop, rooms, dates[0], dates[1], adults + children, options)
        if price is not None:
            total, discount = price.total, price.discount
    if values.get("deposit_required") not in (None, ""):
        deposit = errors.check(money, values["deposit_required"], "deposit_required", "Deposit")
    elif total is not None:
        percent = prop.setting("deposit_percent") or 0
        deposit = errors.check(money, total * percent / 100, "deposit_required", "Deposit")
    if total is not None and deposit is not None and deposit > total:
        errors.add("deposit_required", "The deposit cannot exceed the total.")
    guest = errors.check(_resolve_guest, prop, values)
    errors.raise_any()
    arrival, departure = dates
    check_rooms_free(rooms, arrival, departure)
    booking = Booking(
        property_id=prop.id,
        guest_id=guest.id,
        booking_number=_booking_number(),
        arrival=arrival,
        departure=departure,
        adults=adults,
        children=children,
        contract_total=total,
        deposit_required=deposit,
        special_reqs=special_reqs,
        discount=discount,
    )
    booking.rooms = rooms
    store_options(booking, options)
    db.session.add(booking)
    db.session.flush()
    raise_event("booking_added", property_uid=prop.id, contract_uid=booking.id)
    return booking


def modify_booking(booking: Booking, values: dict[str, Any]) -> dict:
    """Change a booking's dates, rooms, guest, amounts or requests; raise ``booking_modified``.

    Every input error is reported at once. Moving the arrival to a day before today needs ``past_stay``;
    changed rooms or people must fit the rooms' capacity.
    """
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Cannot change {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    if booking.cancelled:
        raise Conflict("A cancelled booking cannot be changed.", field="booking")
    prop = booking.property
    errors = Errors()
    dates = errors.check(
        date_range, values.get("arrival", booking.arrival), values.get("departure", booking.departure),
        "arrival", "departure",
    )
    if dates and dates[0] != booking.arrival:
        errors.check(_refuse_past_arrival, dates[0], values)
    rooms = list(booking.rooms)
    if "room_uids" in values:
        rooms = errors.check(load_rooms, prop, values["room_uids"])
    # options named, or kept ones whose rules depend on the rooms and dates (capacity, coupon window)
    has_options = bool(set(OPTIONS) & set(values) or booking.guest_types or booking.coupon_id)
    options = None
    if has_options and dates and rooms:
        options = errors.check(changed_options, booking, values, rooms, dates[0])

    new: dict[str, Any] = dict(zip(("arrival", "departure"), dates or (), strict=False))
    rules = {
        "adults": (whole_number, "Adults", 1, 100),
        "children": (whole_number, "Children", 0, 100),
        "special_reqs": (require_text, "Special requests", 5000, False),
    }
    for name, (rule, *args) in rules.items():
        if name in values:
            value = errors.check(rule, values[name], name, *args)
            if value is not None:
                new[name] = value
    for name, label in (("contract_total", "Total"), ("deposit_required", "Deposit")):
        if name in values and values[name] not in (None, ""):
            value = errors.check(money, values[name], name, label)
            if value is not None:
                new[name] = value
    if values.get("guest_uid") not in (None, "") and str(values["guest_uid"]) != str(booking.guest_id):
        guest = errors.check(_resolve_guest, prop, {"guest_uid": values["guest_uid"]})
        if guest is not None:
            new["guest_id"] = guest.id
    option_changes = _option_changes(booking, options)
    adults, children = new.get("adults", booking.adults), new.get("children", booking.children)
    if options is not None:
        adults, children = errors.check(options.people, adults, children) or (adults, children)
        new["adults"], new["children"] = adults, children
    moved = rooms is not None and sorted(r.id for r in rooms) != sorted(r.id for r in booking.rooms)
    if rooms and (moved or (adults, children) != (booking.adults, booking.children)):
        errors.check(check_capacity, rooms, adults, children)
    # new options: priced again, unless a new total is entered with them (the edit form sends the old one)
    if option_changes and new.get("contract_total", booking.contract_total) == booking.contract_total:
        price = errors.check(price_booking, prop, rooms, dates[0], dates[1], adults + children, options)
        if price is not None:
            new["contract_total"], new["discount"] = price.total, price.discount
    total = new.get("contract_total", booking.contract_total)
    if new.get("deposit_required", booking.deposit_required) > total:
        errors.add("deposit_required", "The deposit cannot exceed the total.")
    errors.raise_any()
    if dates != (booking.arrival, booking.departure) or "room_uids" in values:
        check_rooms_free(rooms, dates[0], dates[1], ignore_booking=booking.id)

    changes: dict[str, list] = {}
    for name, value in new.items():
        old = getattr(booking, name)
        if old != value:
            key = "guest_uid" if name == "guest_id" else name
            changes[key] = [json_value(old), json_value(value)]
            setattr(booking, name, value)
    old_rooms = sorted(room.id for room in booking.rooms)
    new_rooms = sorted(room.id for room in rooms)
    if old_rooms != new_rooms:
        booking.rooms = rooms
        changes["room_uids"] = [old_rooms, new_rooms]
    if option_changes:
        store_options(booking, options)
        changes.update(option_changes)
    if changes:
        db.session.flush()
        raise_event("booking_modified", property_uid=prop.id, contract_uid=booking.id, changes=changes)
    return changes


def _option_changes(booking: Booking, options) -> dict[str, list]:
    """``{"extras"|"guest_types"|"coupon_id": [old, new]}`` for the options that ``options`` changes."""
    if options is None:
        return {}
    before = current_options(booking)
    pairs = {
        "extras": (before.extras_key(), options.extras_key()),
        "guest_types": (before.guest_types_key(), options.guest_types_key()),
        "coupon_id": (booking.coupon_id, options.coupon.id if options.coupon is not None else None),
    }
    return {name: [old, new] for name, (old, new) in pairs.items() if old != new}


def _transition(booking: Booking, event: str, attribute: str, value: bool, refuse: str | None) -> None:
    if refuse:
        raise Conflict(refuse, field="booking")
    old = getattr(booking, attribute)
    setattr(booking, attribute, value)
    db.session.flush()
    raise_event(event, property_uid=booking.property_id, contract_uid=booking.id,
                changes={attribute: [old, value]})


def cancel_booking(booking: Booking, reason: str = "") -> None:
    """Cancel a booking that has not been checked in; raise ``booking_cancelled``."""
    reason = require_text(reason, "reason", "Reason", 255, required=False)
    refuse = None
    if booking.cancelled:
        refuse = "This booking is already cancelled."
    elif booking.booked_in:
        refuse = "A checked-in booking cannot be cancelled; check the guest out instead."
    if refuse is None:  # a refused cancellation must not overwrite the first reason
        booking.cancelled_reason = reason
    _transition(booking, "booking_cancelled", "cancelled", True, refuse)


def mark_noshow(booking: Booking) -> None:
    """Mark a booking whose guest never came; raise ``booking_marked_noshow``."""
    refuse = None
    if booking.cancelled:
        refuse = "A cancelled booking cannot be marked as a no-show."
    elif booking.noshow:
        refuse = "This booking is already marked as a no-show."
    elif booking.booked_in:
        refuse = "The guest has checked in."
    _transition(booking, "booking_marked_noshow", "noshow", True, refuse)


def check_in(booking: Booking) -> None:
    """Check the guest in; raise ``guest_checkedin``."""
    refuse = None
    if booking.cancelled or booking.noshow:
        refuse = "A cancelled or no-show booking cannot be checked in."
    elif booking.booked_in:
        refuse = "The guest is already checked in."
    _transition(booking, "guest_checkedin", "booked_in", True, refuse)


def undo_check_in(booking: Booking) -> None:
    """Undo a check-in; raise ``guest_checkedin_undone``."""
    refuse = None
    if not booking.booked_in:
        refuse = "The guest is not checked in."
    elif booking.booked_out:
        refuse = "Undo the check-out first."
    _transition(booking, "guest_checkedin_undone", "booked_in", False, refuse)


def check_out(booking: Booking) -> None:
    """Check the guest out; raise ``guest_checkedout``."""
    refuse = None
    if not booking.booked_in:
        refuse = "The guest must be checked in before checking out."
    elif booking.booked_out:
        refuse = "The guest is already checked out."
    _transition(booking, "guest_checkedout", "booked_out", True, refuse)


def undo_check_out(booking: Booking) -> None:
    """Undo a check-out; raise ``guest_checkedout_undone``."""
    refuse = None if booking.booked_out else "The guest is not checked out."
    _transition(booking, "guest_checkedout_undone", "booked_out", False, refuse)


def bookings_query(prop: Property, *, start=None, end=None, status: str | None = None, search: str = ""):
    """A query of ``prop``'s bookings, newest arrival first, filtered by dates, status and guest name."""
    query = select(Booking).where(Booking.property_id == prop.id)
    if start is not None:
        query = query.where(Booking.departure > start)
    if end is not None:
        query = query.where(Booking.arrival < end)
    if status == "cancelled":
        query = query.where(Booking.cancelled.is_(True))
    elif status == "active":
        query = query.where(Booking.cancelled.is_(False), Booking.noshow.is_(False))
    elif status == "checked_in":
        query = query.where(Booking.booked_in.is_(True), Booking.booked_out.is_(False))
    if search:
        like = f"%{search.strip()}%"
        query = query.join(Guest, Guest.id == Booking.guest_id).where(
            (Guest.surname.ilike(like)) | (Guest.firstname.ilike(like)) | (Booking.booking_number.ilike(like))
        )
    return query.order_by(Booking.arrival.desc(), Booking.id.desc())
