"""The manager pages, one module per area; importing this module attaches them all to the blueprint."""

from . import (  # noqa: F401 - attach the views
    blackbookings,
    booking_actions,
    bookings,
    coupons,
    dashboard,
    extras,
    guest_types,
    guests,
    invoices,
    properties,
    rooms,
    tariffs,
)
