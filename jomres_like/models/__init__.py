"""The data model, one module per aggregate."""

from .bookings import BlackBooking, Booking, BookingNote, Deposit, Guest, black_booking_rooms, booking_rooms
from .events import WebhookEvent
from .invoices import INVOICE_STATUSES, Invoice, InvoiceLine
from .oauth import OAuthClient, OAuthToken  # noqa: F401 - app keys and tokens
from .properties import DEFAULT_PROPERTY_SETTINGS, Property, Room, Tariff
from .settings import SiteSetting
from .webhooks import DELIVERY_STATUSES, MODES, DeliveryAttempt, Webhook, WebhookDelivery
from .users import (
    ROLE_ADMIN,
    ROLE_LABELS,
    ROLE_MANAGER,
    ROLE_REGISTERED,
    ROLE_SUPER,
    ROLES,
    User,
    manager_properties,
)

__all__ = [
    "DELIVERY_STATUSES",
    "DeliveryAttempt",
    "MODES",
    "Webhook",
    "WebhookDelivery",
    "BlackBooking",
    "Booking",
    "BookingNote",
    "DEFAULT_PROPERTY_SETTINGS",
    "Deposit",
    "Guest",
    "INVOICE_STATUSES",
    "Invoice",
    "InvoiceLine",
    "Property",
    "ROLES",
    "ROLE_ADMIN",
    "ROLE_LABELS",
    "ROLE_MANAGER",
    "ROLE_REGISTERED",
    "ROLE_SUPER",
    "Room",
    "SiteSetting",
    "Tariff",
    "User",
    "WebhookEvent",
    "black_booking_rooms",
    "booking_rooms",
]
