"""The data model, one module per aggregate."""

from .bookings import BlackBooking, Booking, BookingNote, Deposit, Guest, black_booking_rooms, booking_rooms
from .events import WebhookEvent
from .extras import BookingExtra, BookingGuestType, Coupon, Extra, GuestType
from .invoices import INVOICE_STATUSES, Invoice, InvoiceLine
from .oauth import OAuthClient, OAuthToken
from .properties import DEFAULT_PROPERTY_SETTINGS, Property, Room, Tariff
from .sessions import LoginFailure, ShownSecret
from .settings import SiteSetting
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
from .webhooks import DELIVERY_STATUSES, MODES, DeliveryAttempt, Webhook, WebhookDelivery

__all__ = [
    "black_booking_rooms",
    "BlackBooking",
    "Booking",
    "BookingExtra",
    "BookingGuestType",
    "booking_rooms",
    "BookingNote",
    "Coupon",
    "DEFAULT_PROPERTY_SETTINGS",
    "DELIVERY_STATUSES",
    "DeliveryAttempt",
    "Deposit",
    "Extra",
    "Guest",
    "GuestType",
    "Invoice",
    "INVOICE_STATUSES",
    "InvoiceLine",
    "LoginFailure",
    "manager_properties",
    "MODES",
    "OAuthClient",
    "OAuthToken",
    "Property",
    "ROLE_ADMIN",
    "ROLE_LABELS",
    "ROLE_MANAGER",
    "ROLE_REGISTERED",
    "ROLE_SUPER",
    "ROLES",
    "Room",
    "ShownSecret",
    "SiteSetting",
    "Tariff",
    "User",
    "Webhook",
    "WebhookDelivery",
    "WebhookEvent",
]
