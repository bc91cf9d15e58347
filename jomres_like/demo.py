"""Demo data of SPEC section 3, seeded through the services on an empty database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from .extensions import db
from .models import ROLE_ADMIN, ROLE_MANAGER, ROLE_SUPER, User, WebhookEvent
from .services import (
    bookings,
    coupons,
    extras,
    guest_types,
    guests,
    invoices,
    notes,
    properties,
    rooms,
    site,
    tariffs,
    users,
)
from .templating import plural
from .timeutil import utc_today, utcnow

DEMO_USERS = (
    ("admin", "admin", ROLE_ADMIN),
    ("super", "super", ROLE_SUPER),
    ("manager", "manager", ROLE_MANAGER),
    ("manager2", "manager2", ROLE_MANAGER),
)

DEMO_PROPERTIES = (
    ("Fawlty Towers", "Torquay", "GB", "manager", "A well-run hotel on the English Riviera."),
    ("Best West Hotel", "Cardiff", "GB", "manager", "Comfortable rooms in the heart of the city."),
    ("Grand Budapest", "Zubrowka", "HU", "manager2", "A grand hotel in the Alpine republic."),
)

DEMO_GUESTS = (
    ("Basil", "Fawlty", "basil@example.com"),
    ("Sybil", "Fawlty", "sybil@example.com"),
    ("Manuel", "Garcia", "manuel@example.com"),
    ("Polly", "Sherman", "polly@example.com"),
)


DEMO_EXTRAS = (
    {"name": "Breakfast", "description": "Full English, per person and stay.", "price": 12, "tax_rate": 10,
     "max_quantity": 8},
    {"name": "Parking", "description": "A space in the hotel car park.", "price": 8, "max_quantity": 2},
    {"name": "Extra bed", "description": "A folding bed, family rooms.", "price": 20, "room_type": "Family"},
)

DEMO_GUEST_TYPES = (
    {"name": "Adult", "notes": "Guests of 12 and over.", "maximum": 8},
    {"name": "Child", "notes": "Under 12: half the room rate.", "maximum": 4, "is_child": True,
     "is_percentage": True, "posneg": False, "variance": 50},
)


def database_is_empty() -> bool:
    """True when no user exists yet."""
    return not db.session.scalar(select(func.count()).select_from(User))


def seed_demo() -> dict:
    """Create the demo users, properties, rooms, tariffs, guests, bookings, notes, invoices, extras, coupons
    and guest types.

    The events the seeding raises are kept as history and marked dispatched: nobody subscribed yet.
    """
    people = {name: users.create_user(name, password, role, f"{name}@example.com")
              for name, password, role in DEMO_USERS}
    today = utc_today()
    for index, (name, town, country, manager, description) in enumerate(DEMO_PROPERTIES):
        prop = properties.create_property(
            {"name": name, "town": town, "country": country, "description": description,
             "email": f"info{index + 1}@example.com"},
            managers=[people[manager]],
        )
        properties.set_published(prop, True)
        made = [
            rooms.add_room(prop, {"number": str(100 + n), "name": kind, "room_type": kind,
                                  "max_people": size})
            for n, (kind, size) in enumerate((("Double", 2), ("Double", 2), ("Twin", 2), ("Family", 4)), 1)
        ]
        rates = (("Double", 95 + 10 * index), ("Twin", 85 + 10 * index), ("Family", 140 + 10 * index))
        for kind, rate in rates:
            tariffs.save_tariff(prop, {
                "name": f"{kind} standard", "room_type": kind, "start_date": today - timedelta(days=30),
                "end_date": today + timedelta(days=400), "rate_per_night": rate, "min_nights": 1,
                "max_nights": 30,
            })
        people_here = [guests.create_guest(prop, {"firstname": first, "surname": last, "email": email,
                                                  "town": town, "country": country})
                       for first, last, email in DEMO_GUESTS]
        stays = ((2, 5, 0, 0), (7, 10, 1, 1), (12, 14, 2, 2), (-3, 1, 3, 0))
        for start, end, guest_index, room_index in stays:
            booking = bookings.create_booking(prop, {
                "arrival": today + timedelta(days=start), "departure": today + timedelta(days=end),
                "room_uids": [made[room_index].id], "guest_uid": people_here[guest_index].id, "adults": 2,
                "special_reqs": "Late arrival" if guest_index == 1 else "", "past_stay": start < 0,
            })
            if start < 0:
                bookings.check_in(booking)
            notes.save_note(booking, f"Booked by phone; guest {people_here[guest_index].full_name}.")
            invoices.create_invoice(prop, {
                "contract_uid": booking.id,
                "lines": [{"description": f"Accommodation, {plural(booking.nights, 'night')}", "quantity": 1,
                           "unit_price": booking.contract_total}],
                "due_date": booking.arrival,
            })
        for extra in DEMO_EXTRAS:
            extras.create_extra(prop, extra)
        for guest_type in DEMO_GUEST_TYPES:
            guest_types.create_guest_type(prop, guest_type)
        coupons.create_coupon(prop, {"code": "WELCOME10", "description": "10 % off a first stay.",
                                     "amount": 10, "is_percentage": True, "max_uses": 100})
    site.set_development_mode(True)  # the demo's webhooks go to loopback receivers
    db.session.execute(update(WebhookEvent).values(dispatched=True, dispatched_at=utcnow()))
    db.session.flush()
    return {"users": [name for name, _, _ in DEMO_USERS], "properties": [p[0] for p in DEMO_PROPERTIES]}
