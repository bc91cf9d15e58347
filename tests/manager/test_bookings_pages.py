"""Booking pages: list with filters and pagination, new, view, edit, and the state actions."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import Booking, Deposit, Guest, Room
from jomres_like.timeutil import utc_today

from .helpers import count, events, get

TODAY = utc_today()


def _ids(app, property_uid: int = 1) -> dict:
    with app.app_context():
        rooms = db.session.scalars(
            select(Room.id).where(Room.property_id == property_uid).order_by(Room.id)
        ).all()
        guest = db.session.scalar(
            select(Guest.id).where(Guest.property_id == property_uid).order_by(Guest.id)
        )
        bookings = db.session.scalars(
            select(Booking.id).where(Booking.property_id == property_uid).order_by(Booking.id)
        ).all()
        return {"rooms": rooms, "guest": guest, "bookings": bookings}


def _new(room: int, guest: int | str = "", start: int = 100, nights: int = 2, **extra) -> dict:
    form = {
        "arrival": (TODAY + timedelta(days=start)).isoformat(),
        "departure": (TODAY + timedelta(days=start + nights)).isoformat(),
        "room_uids": [str(room)],
        "guest_uid": str(guest),
        "adults": "2",
        "children": "0",  # the demo's Doubles sleep two
    }
    form.update(extra)
    return form


def test_list_shows_the_propertys_bookings(app, manager):
    """The list shows property 1's bookings and none of property 3's."""
    body = manager.get("/manager/properties/1/bookings").get_data(as_text=True)
    with app.app_context():
        own = db.session.scalars(select(Booking).where(Booking.property_id == 1)).all()
        other = db.session.scalars(select(Booking).where(Booking.property_id == 3)).all()
        assert all(b.booking_number in body for b in own)
        assert not any(b.booking_number in body for b in other)


def test_list_filters_by_status_search_and_dates(app, manager):
    """Status, guest-name search and a date window narrow the list."""
    ids = _ids(app)
    manager.post(f"/manager/properties/1/bookings/{ids['bookings'][0]}/cancel", data={"reason": "test"})
    with app.app_context():
        first = db.session.get(Booking, ids["bookings"][0])
        number, arrival = first.booking_number, first.arrival
        others = [db.session.get(Booking, uid).booking_number for uid in ids["bookings"][1:]]
    body = manager.get("/manager/properties/1/bookings?status=cancelled").get_data(as_text=True)
    assert number in body and not any(n in body for n in others)
    body = manager.get("/manager/properties/1/bookings?q=Sherman").get_data(as_text=True)  # the 4th guest
    assert others[-1] in body and number not in body
    window = f"start={arrival.isoformat()}&end={(arrival + timedelta(days=1)).isoformat()}"
    body = manager.get(f"/manager/properties/1/bookings?{window}").get_data(as_text=True)
    assert number in body and others[1] not in body


def test_list_with_a_bad_filter_is_a_400_with_the_error(manager):
    """A malformed date in the query string is shown as a field error, never a 500."""
    response = manager.get("/manager/properties/1/bookings?start=yesterday&status=bogus&page=x")
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)


class TestPagination:
    """Two bookings per page."""

    @pytest.fixture
    def app_config(self, app_config):
        """A small page size."""
        return {**app_config, "JOMRES_PAGE_SIZE": 2}

    def test_pages_split_the_list(self, manager):
        """Four demo bookings make two pages; page 2 links back."""
        first = manager.get("/manager/properties/1/bookings").get_data(as_text=True)
        second = manager.get("/manager/properties/1/bookings?page=2").get_data(as_text=True)
        assert "Page 1 of 2" in first and "page=2" in first
        assert "Page 2 of 2" in second and "page=1" in second
        assert manager.get("/manager/properties/1/bookings?page=99").status_code == 200


def test_new_booking_for_an_existing_guest_is_priced_from_the_tariffs(app, manager):
    """A blank total is priced from the tariffs (Double, 95 a night in the demo)."""
    ids = _ids(app)
    response = manager.post("/manager/properties/1/bookings/new", data=_new(ids["rooms"][0], ids["guest"]))
    assert response.status_code == 302
    uid = events(app, "booking_added")[-1].data["contract_uid"]
    booking = get(app, Booking, uid)
    assert booking.contract_total == Decimal("190.00") and booking.guest_id == ids["guest"]
    assert booking.deposit_required == Decimal("38.00")  # the demo's 20 % deposit


def test_new_booking_without_a_guest_is_a_form_error(app, manager):
    """No guest chosen and no new guest named: the guest field says so; nothing is written."""
    ids = _ids(app)
    before = count(app, Booking)
    response = manager.post("/manager/properties/1/bookings/new", data=_new(ids["rooms"][0]))
    assert response.status_code == 422
    assert "needs a guest" in response.get_data(as_text=True)
    assert count(app, Booking) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"departure": (TODAY + timedelta(days=99)).isoformat()}, "must be after"),
        ({"arrival": "31/12/2030"}, "Not a valid date"),
        ({"room_uids": []}, "Choose at least one room"),
        ({"contract_total": "-5"}, "cannot be negative"),
        ({"adults": "0"}, "Number must be between"),
    ],
)
def test_new_booking_with_bad_input_is_a_form_error(app, manager, change, message):
    """Bad dates, no room, a negative total or no adult: 422 with the message; nothing written."""
    ids = _ids(app)
    before = count(app, Booking)
    form = {**_new(ids["rooms"][0], ids["guest"]), **change}
    response = manager.post("/manager/properties/1/bookings/new", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(app, Booking) == before


def test_new_booking_with_another_propertys_room_is_refused(app, manager):
    """A room id of property 3 is not a choice on property 1's form."""
    other_room = _ids(app, 3)["rooms"][0]
    response = manager.post("/manager/properties/1/bookings/new", data=_new(other_room, _ids(app)["guest"]))
    assert response.status_code == 422


def test_booking_of_another_property_is_404_under_this_one(app, manager):
    """A booking id of property 3 under property 1's URL is not found."""
    other = _ids(app, 3)["bookings"][0]
    assert manager.get(f"/manager/properties/1/bookings/{other}").status_code == 404
    assert manager.get(f"/manager/properties/1/bookings/{other}/edit").status_code == 404
    assert manager.post(f"/manager/properties/1/bookings/{other}/cancel").status_code == 404


def test_view_shows_details_notes_and_actions(app, manager):
    """The booking page shows the guest, the notes and the check-in button."""
    uid = _ids(app)["bookings"][0]
    body = manager.get(f"/manager/properties/1/bookings/{uid}").get_data(as_text=True)
    assert "Basil Fawlty" in body and "Booked by phone" in body and "Check in" in body


def test_check_in_out_and_undo(app, manager):
    """Each state button changes the flag and raises its event."""
    uid = _ids(app)["bookings"][0]
    base = f"/manager/properties/1/bookings/{uid}"
    for path, event in (
        ("/checkin", "guest_checkedin"),
        ("/checkout", "guest_checkedout"),
        ("/checkout/undo", "guest_checkedout_undone"),
        ("/checkin/undo", "guest_checkedin_undone"),
    ):
        assert manager.post(base + path).status_code == 302, path
        assert events(app, event)[-1].data["contract_uid"] == uid
    booking = get(app, Booking, uid)
    assert not booking.booked_in and not booking.booked_out


def test_noshow_then_check_in_is_refused(app, manager):
    """A no-show cannot be checked in: 409 with the reason shown."""
    uid = _ids(app)["bookings"][1]
    base = f"/manager/properties/1/bookings/{uid}"
    assert manager.post(base + "/noshow").status_code == 302
    assert get(app, Booking, uid).noshow
    response = manager.post(base + "/checkin")
    assert response.status_code == 409
    assert "cannot be checked in" in response.get_data(as_text=True)
    assert not get(app, Booking, uid).booked_in


def test_cancelling_twice_is_refused(app, manager):
    """The second cancel answers 409 and raises nothing."""
    uid = _ids(app)["bookings"][0]
    assert (
        manager.post(f"/manager/properties/1/bookings/{uid}/cancel", data={"reason": "x"}).status_code == 302
    )
    response = manager.post(f"/manager/properties/1/bookings/{uid}/cancel", data={"reason": "again"})
    assert response.status_code == 409 and "already cancelled" in response.get_data(as_text=True)
    assert len(events(app, "booking_cancelled")) == 1


def _refused(manager, url: str, data: dict, uid: int) -> str:
    """Post a note or deposit form that fails: it redirects (303) to the booking, whose page shows why."""
    response = manager.post(url, data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/manager/properties/1/bookings/{uid}")
    page = manager.get(response.headers["Location"])
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_notes_are_added_edited_and_deleted(app, manager):
    """Notes go through their events; a blank note is a form error."""
    uid = _ids(app)["bookings"][0]
    base = f"/manager/properties/1/bookings/{uid}/notes"
    assert manager.post(base, data={"text": "Wants a quiet room"}).status_code == 302
    note_id = events(app, "booking_note_saved")[-1].data["note_id"]
    assert "Wants a quiet room" in manager.get(f"/manager/properties/1/bookings/{uid}").get_data(as_text=True)
    assert manager.get(f"{base}/{note_id}/edit").status_code == 200
    assert manager.post(f"{base}/{note_id}/edit", data={"text": "Quiet room, 2nd floor"}).status_code == 302
    assert (
        events(app, "booking_note_saved")[-1].event_metadata["changes"]["text"][1] == "Quiet room, 2nd floor"
    )
    assert manager.post(f"{base}/{note_id}/delete").status_code == 302
    assert events(app, "booking_note_deleted")[-1].data["note_id"] == note_id
    assert "This field is required" in _refused(manager, base, {"text": "   "}, uid)
    assert manager.get(f"{base}/999999/edit").status_code == 404


def test_deposit_is_recorded_and_a_bad_amount_refused(app, manager):
    """A deposit covering the requirement marks it paid; a negative one is a form error."""
    uid = _ids(app)["bookings"][0]
    base = f"/manager/properties/1/bookings/{uid}/deposits"
    required = get(app, Booking, uid).deposit_required
    assert "cannot be negative" in _refused(manager, base, {"amount": "-1", "reference": "BAD"}, uid)
    assert manager.post(base, data={"amount": str(required), "reference": "PAY-1"}).status_code == 302
    assert get(app, Booking, uid).deposit_paid
    assert events(app, "deposit_saved")[-1].data["depositref"] == "PAY-1"


@pytest.mark.parametrize("amount", ["0", "0.00", "-5"])
def test_a_deposit_of_zero_or_less_is_a_form_error(app, manager, amount):
    """No payment of 0 or less: the amount field says why; no deposit row, no event."""
    uid = _ids(app)["bookings"][0]
    deposits, raised = count(app, Deposit), len(events(app, "deposit_saved"))
    page = _refused(manager, f"/manager/properties/1/bookings/{uid}/deposits",
                    {"amount": amount, "reference": "NOTHING"}, uid)
    message = "cannot be negative" if amount.startswith("-") else "Amount must be more than 0."
    assert message in page
    assert count(app, Deposit) == deposits
    assert len(events(app, "deposit_saved")) == raised
    assert get(app, Booking, uid).deposit_ref != "NOTHING"


def test_edit_changes_rooms_and_amounts(app, manager):
    """The edit form moves the booking to another room and records the changes."""
    ids = _ids(app)
    uid = ids["bookings"][0]
    page = manager.get(f"/manager/properties/1/bookings/{uid}/edit").get_data(as_text=True)
    assert 'type="date"' in page and 'type="checkbox"' in page
    booking = get(app, Booking, uid)
    form = {
        "arrival": booking.arrival.isoformat(),
        "departure": booking.departure.isoformat(),
        "room_uids": [str(ids["rooms"][1])],
        "guest_uid": str(booking.guest_id),
        "adults": "1",
        "children": "0",
        "contract_total": "500",
        "deposit_required": "100",
        "special_reqs": "",
    }
    # room 2 is taken by the demo from day 7; the first booking runs days 2 to 5
    assert manager.post(f"/manager/properties/1/bookings/{uid}/edit", data=form).status_code == 302
    changes = events(app, "booking_modified")[-1].event_metadata["changes"]
    assert changes["room_uids"] == [[ids["rooms"][0]], [ids["rooms"][1]]]
    assert changes["contract_total"][1] == 500.0
    form["deposit_required"] = "900"
    response = manager.post(f"/manager/properties/1/bookings/{uid}/edit", data=form)
    assert response.status_code == 422 and "cannot exceed the total" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/manager/properties/99999999999999999999999/bookings",
        "/manager/properties/1/bookings/99999999999999999999999",
        "/manager/properties/1/bookings/1/notes/99999999999999999999999/edit",
        "/manager/properties/1/guests/99999999999999999999999/edit",
    ],
)
def test_huge_ids_in_urls_are_404(manager, path):
    """An id no row can have is not found, on every database (never a driver overflow)."""
    assert manager.get(path).status_code == 404


def _edit_form(booking: Booking, **change) -> dict:
    form = {
        "arrival": booking.arrival.isoformat(),
        "departure": booking.departure.isoformat(),
        "room_uids": [str(room.id) for room in booking.rooms],
        "guest_uid": str(booking.guest_id),
        "adults": str(booking.adults),
        "children": str(booking.children),
        "contract_total": str(booking.contract_total),
        "deposit_required": str(booking.deposit_required),
        "special_reqs": booking.special_reqs or "",
    }
    return {**form, **change}


def _booking_with_rooms(app, uid: int) -> Booking:
    with app.app_context():
        booking = db.session.get(Booking, uid)
        booking.rooms  # noqa: B018 - loaded before the row is detached
        db.session.expunge(booking)
        return booking


def _live_guest_ids(app, property_uid: int) -> list[int]:
    with app.app_context():
        return db.session.scalars(
            select(Guest.id).where(Guest.property_id == property_uid, Guest.deleted.is_(False))
        ).all()


def test_edit_moves_the_booking_to_another_guest_of_the_property(app, manager):
    """Another live guest of the property is a valid choice; the change is saved and raised."""
    uid = _ids(app)["bookings"][0]
    booking = _booking_with_rooms(app, uid)
    other = next(gid for gid in _live_guest_ids(app, 1) if gid != booking.guest_id)
    response = manager.post(
        f"/manager/properties/1/bookings/{uid}/edit", data=_edit_form(booking, guest_uid=str(other))
    )
    assert response.status_code == 302
    assert get(app, Booking, uid).guest_id == other
    assert events(app, "booking_modified")[-1].event_metadata["changes"]["guest_uid"] == [
        booking.guest_id, other
    ]


@pytest.mark.parametrize("guest", ["other property", "deleted", "missing", "huge", "text", "blank"])
@pytest.mark.parametrize("path", ["edit", "new"])
def test_a_guest_not_offered_is_refused_and_the_form_lists_every_guest_again(app, manager, guest, path):
    """A guest of another property, a deleted or unknown one, or no number: 422, nothing written.

    The form shown again offers every live guest of the property (a POST validates against the one it names).
    """
    uid = _ids(app)["bookings"][0]
    booking = _booking_with_rooms(app, uid)
    with app.app_context():
        victim = db.session.get(Guest, _live_guest_ids(app, 1)[-1])
        victim.deleted = True
        db.session.commit()
        deleted = victim.id
    value = {
        "other property": str(_live_guest_ids(app, 3)[0]),
        "deleted": str(deleted),
        "missing": "999999",
        "huge": "99999999999999999999999",
        "text": "Basil",
        "blank": "",
    }[guest]
    if path == "edit":
        url, form = f"/manager/properties/1/bookings/{uid}/edit", _edit_form(booking, guest_uid=value)
    else:
        url, form = "/manager/properties/1/bookings/new", _new(booking.rooms[0].id, value, start=200)
    bookings, changed = count(app, Booking), len(events(app, "booking_modified"))
    response = manager.post(url, data=form)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("needs a guest" if path == "new" and guest == "blank" else "Not a valid choice") in body
    assert (count(app, Booking), len(events(app, "booking_modified"))) == (bookings, changed)
    assert get(app, Booking, uid).guest_id == booking.guest_id
    offered = {int(gid) for gid in re.findall(r'<option[^>]*value="(\d+)"', body)}
    assert offered == set(_live_guest_ids(app, 1)) and deleted not in offered


def test_saving_a_booking_loads_only_the_chosen_guest(app, manager):
    """A booking saved reads the guest it names, not the property's whole guest list."""
    uid = _ids(app)["bookings"][0]
    booking = _booking_with_rooms(app, uid)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        response = manager.post(
            f"/manager/properties/1/bookings/{uid}/edit", data=_edit_form(booking, special_reqs="Late")
        )
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 302
    guest_reads = [s for s in statements if re.search(r"\bFROM guests\b", s)]
    assert guest_reads and all("guests.id = " in s for s in guest_reads), guest_reads
