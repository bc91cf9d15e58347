"""The event catalogue of SPEC section 5 and its documented signals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jomres_like import signals

CONTRACT = ("property_uid", "contract_uid")

# SPEC section 5, table by table.
SPEC = {
    **{name: CONTRACT for name in ("booking_added", "booking_modified", "booking_cancelled",
                                   "booking_marked_noshow", "guest_checkedin", "guest_checkedin_undone",
                                   "guest_checkedout", "guest_checkedout_undone", "blackbooking_created",
                                   "blackbooking_deleted")},
    "booking_note_saved": CONTRACT + ("note_id",),
    "booking_note_deleted": CONTRACT + ("note_id",),
    "deposit_saved": CONTRACT + ("depositref",),
    **{name: ("property_uid", "guest_uid") for name in ("guest_saved", "guest_updated", "guest_deleted")},
    **{name: ("property_uid", "invoice_uid") for name in ("invoice_created", "invoice_updated",
                                                          "invoice_cancelled")},
    "tariffs_updated": ("property_uid",),
    **{name: ("property_uid", "room_uid") for name in ("room_added", "room_updated", "room_deleted")},
    **{name: ("property_uid",) for name in ("property_created", "property_updated", "property_published",
                                            "property_unpublished", "property_deleted",
                                            "property_settings_updated")},
    "webhook_test": ("webhook_id",),
}

LEGACY = {"property_added": ("property_uid",), "property_saved": ("property_uid",),
          "invoice_saved": ("property_uid", "invoice_uid"), "booking_note_save": CONTRACT + ("note_uid",),
          "blackbooking_added": CONTRACT}


@pytest.mark.parametrize(("name", "keys"), sorted(SPEC.items()))
def test_every_spec_event_is_in_the_catalogue_with_its_ids(name, keys):
    event = signals.CATALOGUE[name]
    assert event.name == name
    assert event.keys == keys
    assert event.description
    assert event.context == ("global" if name == "webhook_test" else "property")


def test_the_catalogue_has_nothing_the_spec_lacks():
    later = {"extra_saved", "extra_deleted", "coupon_saved", "coupon_updated", "coupon_deleted",
             "review_saved", "review_deleted", "review_published", "review_unpublished", "guest_type_saved",
             "guest_type_deleted", "user_created"}
    assert set(signals.CATALOGUE) - set(SPEC) <= later


@pytest.mark.parametrize(("name", "keys"), sorted(LEGACY.items()))
def test_legacy_names_are_known(name, keys):
    assert signals.LEGACY_EVENTS[name].keys == keys
    assert name not in signals.CATALOGUE


def test_each_event_has_one_documented_signal():
    assert set(signals.EVENT_SIGNALS) == set(signals.CATALOGUE)
    for name, signal in signals.EVENT_SIGNALS.items():
        assert signal.name == name
        assert "event" in signal.__doc__
    assert len({id(s) for s in signals.EVENT_SIGNALS.values()}) == len(signals.EVENT_SIGNALS)
    assert signals.event_raised not in signals.EVENT_SIGNALS.values()


def test_the_services_raise_only_catalogue_events():
    sources = [path.read_text() for path in (Path(signals.__file__).parent / "services").glob("*.py")]
    called = {name for text in sources for name in re.findall(r"""raise_event\(\s*["']([a-z_]+)["']""", text)}
    literals = {name for text in sources for name in re.findall(r"""["']([a-z_]+)["']""", text)}
    assert called, "no raise_event call found"
    assert called <= set(signals.CATALOGUE)
    # every catalogue event but the test event is named by some service
    assert set(signals.CATALOGUE) - literals == {"webhook_test"}
