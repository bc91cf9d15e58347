"""services.access: who sees which property, and child records fetched through their property."""

from __future__ import annotations

import pytest

from jomres_like.services import NotFound, PermissionDenied
from jomres_like.services import access as service
from jomres_like.services.blackbookings import create_black_booking, get_black_booking
from jomres_like.services.bookings import get_booking
from jomres_like.services.guests import get_guest
from jomres_like.services.invoices import create_invoice, get_invoice
from jomres_like.services.notes import get_note, save_note
from jomres_like.services.properties import delete_property
from jomres_like.services.rooms import get_room
from jomres_like.services.tariffs import get_tariff
from jomres_like.services.users import update_user

from .helpers import days


@pytest.fixture
def world(ctx, make_user, make_property):
    """Properties 1 and 2 of ``manager``, 3 of ``manager2``; a super manager, an admin, a registered user."""
    manager, manager2 = make_user("manager"), make_user("manager2")
    people = {
        "manager": manager,
        "manager2": manager2,
        "super": make_user("super", role="super_manager"),
        "admin": make_user("admin", role="administrator"),
        "registered": make_user("registered", role="registered"),
    }
    props = [make_property("One", managers=[manager]), make_property("Two", managers=[manager]),
             make_property("Three", managers=[manager2])]
    return people, props


@pytest.mark.parametrize(
    ("who", "visible"),
    [("manager", [0, 1]), ("manager2", [2]), ("super", [0, 1, 2]), ("admin", []), ("registered", [])],
)
def test_visible_properties_by_role(world, who, visible):
    people, props = world
    user = people[who]

    assert service.visible_properties(user) == [props[i] for i in visible]
    assert service.visible_property_ids(user) == [props[i].id for i in visible]
    for index, prop in enumerate(props):
        assert service.manages(user, prop) is (index in visible)


@pytest.mark.parametrize(
    ("who", "allowed", "error"),
    [
        ("manager", [0, 1], NotFound),
        ("manager2", [2], NotFound),
        ("super", [0, 1, 2], NotFound),
        ("admin", [], PermissionDenied),
        ("registered", [], PermissionDenied),
    ],
)
def test_get_property_by_role(world, who, allowed, error):
    people, props = world
    for index, prop in enumerate(props):
        if index in allowed:
            assert service.get_property(people[who], prop.id) is prop
        else:
            with pytest.raises(error):
                service.get_property(people[who], prop.id)
    with pytest.raises(error):
        service.get_property(people[who], 999999)


def test_deleted_properties_are_hidden_from_everyone(world):
    people, props = world
    delete_property(props[0])
    for who in ("manager", "super"):
        assert props[0] not in service.visible_properties(people[who])
        with pytest.raises(NotFound):
            service.get_property(people[who], props[0].id)


def test_managers_of_lists_active_assigned_managers_only(world):
    people, props = world
    assert service.managers_of(props[0].id) == [people["manager"]]
    assert service.managers_of(props[2].id) == [people["manager2"]]
    update_user(people["manager"], {"active": False})
    assert service.managers_of(props[0].id) == []


@pytest.mark.parametrize(("who", "can"), [("manager", True), ("super", True), ("admin", False),
                                          ("registered", False), (None, False)])
def test_only_managers_reach_the_manager_pages(world, who, can):
    people, _ = world
    assert service.can_manage_properties(people.get(who)) is can


def test_children_of_another_property_are_not_found(world, make_room, make_tariff, make_booking):
    _, props = world
    mine, theirs = props[0], props[2]
    room = make_room(theirs)
    tariff = make_tariff(theirs)
    booking = make_booking(theirs, rooms=[room])
    note = save_note(booking, "Theirs")
    line = {"description": "x", "unit_price": 1}
    invoice = create_invoice(theirs, {"contract_uid": booking.id, "lines": [line]})
    black = create_black_booking(theirs, {"start": days(20), "end": days(21), "room_uids": [room.id]})
    own_booking = make_booking(mine)
    getters = [
        (get_booking, booking.id), (get_guest, booking.guest_id), (get_room, room.id),
        (get_tariff, tariff.id), (get_invoice, invoice.id), (get_black_booking, black.id),
    ]

    for getter, uid in getters:
        assert getter(theirs, uid).id == uid
        with pytest.raises(NotFound):
            getter(mine, uid)
    with pytest.raises(NotFound):
        get_note(own_booking, note.id)
