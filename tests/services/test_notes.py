"""services.notes: booking notes and deposits, and their events."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jomres_like.extensions import db
from jomres_like.models import BookingNote
from jomres_like.services import NotFound, ValidationError
from jomres_like.services import notes as service
from jomres_like.services.actor import set_actor


@pytest.fixture
def booking(prop, make_booking):
    """A booking for 200 with a deposit of 40."""
    return make_booking(prop, contract_total=200, deposit_required=40)


def test_save_note_raises_booking_note_saved(prop, booking, manager, events):
    set_actor(manager)
    note = service.save_note(booking, "  Guest arrives late. ")

    assert (note.text, note.author_id, note.booking_id) == ("Guest arrives late.", manager.id, booking.id)
    event = events.one("booking_note_saved")
    assert event.data == {"property_uid": prop.id, "contract_uid": booking.id, "note_id": note.id}
    assert event.event_metadata == {}
    assert event.user_id == manager.id


def test_changing_a_note_records_the_change(prop, booking, events):
    note = service.save_note(booking, "First")
    events.mark()

    service.save_note(booking, "Second", note)

    assert note.text == "Second"
    assert events.one("booking_note_saved").event_metadata == {"changes": {"text": ["First", "Second"]}}


def test_saving_an_unchanged_note_raises_nothing(booking, events):
    note = service.save_note(booking, "Same")
    events.mark()
    assert service.save_note(booking, " Same ", note) is note
    assert events.rows() == []


@pytest.mark.parametrize("text", ["", "   ", None, "x" * 5001])
def test_save_note_refuses_empty_or_huge_text(booking, events, text):
    with pytest.raises(ValidationError) as error:
        service.save_note(booking, text)
    assert error.value.field == "text"
    assert events.rows() == []


def test_delete_note_raises_booking_note_deleted(prop, booking, events):
    note = service.save_note(booking, "Bye")
    note_id = note.id
    events.mark()

    service.delete_note(note)

    assert db.session.get(BookingNote, note_id) is None
    event = events.one("booking_note_deleted")
    assert event.data == {"property_uid": prop.id, "contract_uid": booking.id, "note_id": note_id}


def test_get_note_refuses_a_note_of_another_booking(prop, booking, make_booking):
    other = make_booking(prop)
    note = service.save_note(other, "Elsewhere")
    with pytest.raises(NotFound):
        service.get_note(booking, note.id)
    assert service.get_note(other, note.id) is note


def test_a_deposit_covering_the_requirement_marks_it_paid(prop, booking, events):
    deposit = service.save_deposit(booking, "40", "PAY-1")

    assert (deposit.amount, deposit.reference) == (Decimal("40.00"), "PAY-1")
    assert (booking.deposit_paid, booking.deposit_ref) == (True, "PAY-1")
    event = events.one("deposit_saved")
    assert event.data == {"property_uid": prop.id, "contract_uid": booking.id, "depositref": "PAY-1"}
    assert event.event_metadata == {"changes": {"deposit_paid": [False, True], "deposit_ref": ["", "PAY-1"]}}


def test_partial_deposits_add_up_within_one_transaction(booking, events):
    service.save_deposit(booking, 15, "PART-1")
    assert booking.deposit_paid is False
    service.save_deposit(booking, 25, "PART-2")

    assert booking.deposit_paid is True
    assert [row.data["depositref"] for row in events.rows("deposit_saved")] == ["PART-1", "PART-2"]


@pytest.mark.parametrize(
    ("amount", "reference", "field"),
    [
        (-1, "R", "amount"),
        ("-0.01", "R", "amount"),
        (0, "R", "amount"),
        ("0.00", "R", "amount"),
        ("0.004", "R", "amount"),  # rounds to 0.00
        ("", "R", "amount"),
        (None, "R", "amount"),
        ("ten", "R", "amount"),
        (10, "", "reference"),
        (10, "x" * 81, "reference"),
    ],
)
def test_save_deposit_refuses_bad_values(booking, events, amount, reference, field):
    with pytest.raises(ValidationError) as error:
        service.save_deposit(booking, amount, reference)
    assert error.value.field == field
    assert booking.deposits == []
    assert (booking.deposit_paid, booking.deposit_ref) == (False, "")
    assert events.rows() == []


def test_a_zero_deposit_is_refused_with_a_clear_message(booking, events):
    with pytest.raises(ValidationError, match="Amount must be more than 0."):
        service.save_deposit(booking, "0", "FREE")
    assert booking.deposits == []
    assert events.rows() == []
