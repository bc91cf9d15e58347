"""Notes on bookings, and deposits paid against them."""

from __future__ import annotations

from decimal import Decimal

from ..extensions import db
from ..models import Booking, BookingNote, Deposit
from . import NotFound
from .actor import get_actor
from .events import raise_event
from .validation import Errors, money, require_text


def get_note(booking: Booking, note_id: int) -> BookingNote:
    """Return a note of ``booking`` or raise :class:`NotFound`."""
    note = db.session.get(BookingNote, note_id)
    if note is None or note.booking_id != booking.id:
        raise NotFound("No such note.")
    return note


def save_note(booking: Booking, text: str, note: BookingNote | None = None) -> BookingNote:
    """Create or change a note on a booking; raise ``booking_note_saved``."""
    text = require_text(text, "text", "Note", 5000)
    changes = None
    if note is None:
        actor = get_actor()
        note = BookingNote(booking_id=booking.id, text=text, author_id=actor.id if actor else None)
        db.session.add(note)
    elif note.text != text:
        changes = {"text": [note.text, text]}
        note.text = text
    else:
        return note
    db.session.flush()
    raise_event("booking_note_saved", property_uid=booking.property_id, contract_uid=booking.id,
                note_id=note.id, changes=changes)
    return note


def delete_note(note: BookingNote) -> None:
    """Delete a note; raise ``booking_note_deleted``."""
    booking = note.booking
    note_id = note.id
    db.session.delete(note)
    db.session.flush()
    raise_event("booking_note_deleted", property_uid=booking.property_id, contract_uid=booking.id,
                note_id=note_id)


def save_deposit(booking: Booking, amount, reference: str) -> Deposit:
    """Record a deposit payment; mark the deposit paid once it is covered; raise ``deposit_saved``.

    A bad amount and a bad reference are reported together.
    """
    errors = Errors()
    amount = errors.check(money, amount, "amount", "Amount")
    if amount == 0:  # money() refuses negatives; a missing amount reads as 0
        errors.add("amount", "Amount must be more than 0.")
    reference = errors.check(require_text, reference, "reference", "Reference", 80)
    errors.raise_any()
    deposit = Deposit(amount=amount, reference=reference)
    booking.deposits.append(deposit)  # through the relationship, so an already loaded list stays right
    db.session.flush()
    paid = sum((d.amount for d in booking.deposits), Decimal("0"))
    changes = {}
    if not booking.deposit_paid and paid >= booking.deposit_required:
        booking.deposit_paid = True
        changes["deposit_paid"] = [False, True]
    if booking.deposit_ref != reference:
        changes["deposit_ref"] = [booking.deposit_ref, reference]
        booking.deposit_ref = reference
    db.session.flush()
    raise_event("deposit_saved", property_uid=booking.property_id, contract_uid=booking.id,
                depositref=reference, changes=changes or None)
    return deposit
