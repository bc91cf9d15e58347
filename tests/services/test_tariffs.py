"""services.tariffs: tariff rules, pricing, and tariffs_updated with its date ranges and pricing types."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jomres_like.services import NotFound, ValidationError
from jomres_like.services import tariffs as service
from jomres_like.services.bookings import create_booking

from .helpers import days

TARIFF = {"name": "Summer", "room_type": "Double", "start_date": days(10), "end_date": days(40),
          "rate_per_night": "99.90", "min_nights": 2, "max_nights": 14}


@pytest.fixture(autouse=True)
def rooms(prop, make_room):
    """A Double and a Twin room: the room types these tariffs price."""
    return [make_room(prop, number="1", room_type="Double"), make_room(prop, number="2", room_type="Twin")]


def span(start: int, end: int) -> list[str]:
    """The ``[start, end)`` pair of days from today, as ISO strings."""
    return [days(start).isoformat(), days(end).isoformat()]


def test_save_tariff_creates_it_and_raises_tariffs_updated(prop, events):
    tariff = service.save_tariff(prop, TARIFF)

    assert (tariff.room_type, tariff.pricing_type) == ("Double", "per_room")
    assert tariff.rate_per_night == Decimal("99.90")
    assert (tariff.min_nights, tariff.max_nights) == (2, 14)
    event = events.one("tariffs_updated")
    assert event.data == {"property_uid": prop.id}
    assert event.event_metadata == {"date_ranges": [span(10, 40)], "pricing_types": ["per_room"]}


def test_changing_a_tariff_reports_the_old_and_new_ranges(prop, events):
    tariff = service.save_tariff(prop, TARIFF)
    events.mark()

    service.save_tariff(prop, {**TARIFF, "start_date": days(20), "end_date": days(50),
                               "pricing_type": "per_person"}, tariff)

    assert (tariff.start_date, tariff.pricing_type) == (days(20), "per_person")
    assert events.one("tariffs_updated").event_metadata == {
        "date_ranges": [span(10, 40), span(20, 50)], "pricing_types": ["per_person", "per_room"],
    }


def test_saving_an_unchanged_tariff_raises_nothing(prop, events):
    tariff = service.save_tariff(prop, TARIFF)
    events.mark()
    service.save_tariff(prop, {**TARIFF, "rate_per_night": 99.9}, tariff)
    assert events.rows() == []


def test_delete_tariff_raises_tariffs_updated_for_its_range(prop, events):
    tariff = service.save_tariff(prop, TARIFF)
    events.mark()

    service.delete_tariff(tariff)

    assert prop.tariffs == []
    assert events.one("tariffs_updated").event_metadata == {"date_ranges": [span(10, 40)],
                                                            "pricing_types": ["per_room"]}


def test_replace_tariffs_raises_one_event_covering_old_and_new(prop, events):
    service.save_tariff(prop, TARIFF)
    service.save_tariff(prop, {**TARIFF, "room_type": "Twin"})  # same range: reported once
    events.mark()

    new = service.replace_tariffs(prop, [
        {**TARIFF, "start_date": days(40), "end_date": days(60), "pricing_type": "per_person"},
    ])

    assert [t.start_date for t in prop.tariffs] == [days(40)] == [t.start_date for t in new]
    assert events.one("tariffs_updated").event_metadata == {
        "date_ranges": [span(10, 40), span(40, 60)], "pricing_types": ["per_person", "per_room"],
    }


def test_replace_tariffs_with_nothing_on_no_tariffs_raises_nothing(prop, events):
    assert service.replace_tariffs(prop, []) == []
    assert events.rows() == []


def test_replace_tariffs_with_the_stored_tariffs_changes_nothing_and_raises_nothing(prop, events):
    first = service.save_tariff(prop, {**TARIFF, "start_date": days(40), "end_date": days(60)})
    second = service.save_tariff(prop, {**TARIFF, "room_type": "Twin", "pricing_type": "per_person"})
    events.mark()

    # The same values as the API sends them: strings and numbers, listed in another order.
    kept = service.replace_tariffs(prop, [
        {**TARIFF, "room_type": "Twin", "start_date": days(10).isoformat(), "end_date": days(40).isoformat(),
         "rate_per_night": 99.9, "pricing_type": "per_person"},
        {**TARIFF, "start_date": days(40).isoformat(), "end_date": days(60).isoformat()},
    ])

    assert kept == prop.tariffs == [second, first]
    assert events.rows() == []


def test_replace_tariffs_with_room_types_of_one_start_date_in_another_order_raises_nothing(prop, events):
    double = service.save_tariff(prop, TARIFF)
    twin = service.save_tariff(prop, {**TARIFF, "room_type": "Twin", "rate_per_night": "80.00"})
    events.mark()

    kept = service.replace_tariffs(prop, [{**TARIFF, "room_type": "Twin", "rate_per_night": "80.00"}, TARIFF])

    assert kept == prop.tariffs == [double, twin]
    assert events.rows() == []


def test_replace_tariffs_reordering_one_room_type_on_one_start_date_raises_tariffs_updated(prop, events):
    # Both cover the same nights for Double rooms: pricing takes the first, so their order is a change.
    service.save_tariff(prop, TARIFF)
    service.save_tariff(prop, {**TARIFF, "name": "Promo", "rate_per_night": "80.00"})
    events.mark()

    new = service.replace_tariffs(prop, [{**TARIFF, "name": "Promo", "rate_per_night": "80.00"}, TARIFF])

    assert [t.name for t in prop.tariffs] == ["Promo", "Summer"] == [t.name for t in new]
    assert events.one("tariffs_updated").data == {"property_uid": prop.id}


@pytest.mark.parametrize(
    "change",
    [{"rate_per_night": "99.91"}, {"name": "Sale"}, {"max_nights": 15}, {"pricing_type": "per_person"}],
)
def test_replace_tariffs_with_one_value_changed_raises_tariffs_updated(prop, events, change):
    service.save_tariff(prop, TARIFF)
    events.mark()

    new = service.replace_tariffs(prop, [{**TARIFF, **change}])

    assert prop.tariffs == new
    assert events.one("tariffs_updated").data == {"property_uid": prop.id}


def test_replace_tariffs_with_a_tariff_dropped_raises_tariffs_updated(prop, events):
    service.save_tariff(prop, TARIFF)
    service.save_tariff(prop, {**TARIFF, "room_type": "Twin"})
    events.mark()

    service.replace_tariffs(prop, [TARIFF])

    assert [t.room_type for t in prop.tariffs] == ["Double"]
    assert events.one("tariffs_updated").event_metadata["date_ranges"] == [span(10, 40)]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"room_type": ""}, "room_type"),
        ({"start_date": "someday"}, "start_date"),
        ({"end_date": days(10)}, "end_date"),
        ({"end_date": days(5)}, "end_date"),
        ({"rate_per_night": -1}, "rate_per_night"),
        ({"rate_per_night": "cheap"}, "rate_per_night"),
        ({"min_nights": 0}, "min_nights"),
        ({"max_nights": 0}, "max_nights"),
        ({"min_nights": 5, "max_nights": 4}, "max_nights"),
        ({"pricing_type": "per_goat"}, "pricing_type"),
        ({"pricing_type": ["per_room"]}, "pricing_type"),
        ({"name": "x" * 256}, "name"),
    ],
)
def test_save_tariff_refuses_bad_values(prop, events, change, field):
    with pytest.raises(ValidationError) as error:
        service.save_tariff(prop, {**TARIFF, **change})
    assert field in error.value.errors
    assert events.rows() == []


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ("not a list", "tariffs"),
        ([1], "tariffs.0"),
        ([TARIFF, {**TARIFF, "rate_per_night": -1}], "tariffs.1.rate_per_night"),
    ],
)
def test_replace_tariffs_refuses_bad_items_and_keeps_the_old_ones(prop, events, items, field):
    """The error names the item and its field (``tariffs.<index>.<field>``); nothing changes."""
    kept = service.save_tariff(prop, TARIFF)
    events.mark()
    with pytest.raises(ValidationError) as error:
        service.replace_tariffs(prop, items)
    assert error.value.field == field
    assert prop.tariffs == [kept]
    assert events.rows() == []


def test_get_tariff_refuses_a_tariff_of_another_property(prop, other_prop, make_room):
    make_room(other_prop, room_type="Double")
    tariff = service.save_tariff(other_prop, TARIFF)
    with pytest.raises(NotFound):
        service.get_tariff(prop, tariff.id)
    assert service.get_tariff(other_prop, tariff.id) is tariff


def test_price_stay_uses_the_tariff_of_each_night(prop, make_room):
    room = make_room(prop)
    service.save_tariff(prop, {**TARIFF, "start_date": days(10), "end_date": days(12), "rate_per_night": 100,
                               "min_nights": 1})
    service.save_tariff(prop, {**TARIFF, "start_date": days(12), "end_date": days(20), "rate_per_night": 150,
                               "min_nights": 1})

    assert service.price_stay(prop, [room], days(11), days(14)) == Decimal("400.00")


def test_pricing_sees_tariffs_saved_and_deleted_in_the_same_transaction(prop, make_room, make_guest):
    room, guest = make_room(prop), make_guest(prop)
    first = service.save_tariff(prop, {**TARIFF, "rate_per_night": 100, "min_nights": 1})

    def price():
        return service.price_stay(prop, [room], days(11), days(13))

    assert price() == Decimal("200.00")
    service.delete_tariff(first)
    with pytest.raises(ValidationError, match="No tariff covers"):
        price()
    service.save_tariff(prop, {**TARIFF, "rate_per_night": 70, "min_nights": 1})
    assert price() == Decimal("140.00")
    booking = create_booking(prop, {"arrival": days(11), "departure": days(13), "room_uids": [room.id],
                                    "guest_uid": guest.id})
    assert booking.contract_total == Decimal("140.00")
