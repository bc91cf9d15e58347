"""Domain events as documented blinker signals.

Every change a service makes raises one event of SPEC section 5. Each event is a signal named after the
Jomres event, sent with ``sender`` the Flask app and one keyword argument, ``event``: the
:class:`~jomres_like.models.WebhookEvent` row just added to the session (flushed, not yet committed).
Subscribers live in the packages that consume events (for example ``jomres_like.webhooks``), so services
never import them.
"""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()


@dataclass(frozen=True)
class EventType:
    """One entry of the event catalogue: its name, the ids its ``data`` carries, and what it means."""

    name: str
    keys: tuple[str, ...]
    description: str
    context: str = "property"


_CONTRACT = ("property_uid", "contract_uid")

CATALOGUE: dict[str, EventType] = {
    event.name: event
    for event in (
        EventType("booking_added", _CONTRACT, "A booking was created."),
        EventType("booking_modified", _CONTRACT, "A booking's dates, rooms, guest or amounts changed."),
        EventType("booking_cancelled", _CONTRACT, "A booking was cancelled."),
        EventType("booking_marked_noshow", _CONTRACT, "A booking was marked as a no-show."),
        EventType("guest_checkedin", _CONTRACT, "The guest of a booking checked in."),
        EventType("guest_checkedin_undone", _CONTRACT, "A check-in was undone."),
        EventType("guest_checkedout", _CONTRACT, "The guest of a booking checked out."),
        EventType("guest_checkedout_undone", _CONTRACT, "A check-out was undone."),
        EventType("booking_note_saved", _CONTRACT + ("note_id",), "A note on a booking was saved."),
        EventType("booking_note_deleted", _CONTRACT + ("note_id",), "A note on a booking was deleted."),
        EventType("deposit_saved", _CONTRACT + ("depositref",), "A deposit payment was recorded."),
        EventType("blackbooking_created", _CONTRACT, "Rooms were taken out of service (black booking)."),
        EventType("blackbooking_deleted", _CONTRACT, "A black booking was removed."),
        EventType("guest_saved", ("property_uid", "guest_uid"), "A guest was created."),
        EventType("guest_updated", ("property_uid", "guest_uid"), "A guest's details changed."),
        EventType("guest_deleted", ("property_uid", "guest_uid"), "A guest was deleted."),
        EventType("extra_saved", ("property_uid", "extras_uid"), "An optional extra was created or changed."),
        EventType("extra_deleted", ("property_uid", "extras_uid"), "An optional extra was deleted."),
        EventType("coupon_saved", ("property_uid", "coupon_id"), "A coupon was created."),
        EventType("coupon_updated", ("property_uid", "coupon_id"), "A coupon changed."),
        EventType("coupon_deleted", ("property_uid", "coupon_id"), "A coupon was deleted."),
        EventType("guest_type_saved", ("property_uid", "guest_type_uid"), "A guest type was saved."),
        EventType("guest_type_deleted", ("property_uid", "guest_type_uid"), "A guest type was deleted."),
        EventType("invoice_created", ("property_uid", "invoice_uid"), "An invoice was created."),
        EventType("invoice_updated", ("property_uid", "invoice_uid"), "An invoice changed."),
        EventType("invoice_cancelled", ("property_uid", "invoice_uid"), "An invoice was cancelled."),
        EventType("tariffs_updated", ("property_uid",), "The property's tariffs changed."),
        EventType("room_added", ("property_uid", "room_uid"), "A room was added."),
        EventType("room_updated", ("property_uid", "room_uid"), "A room changed."),
        EventType("room_deleted", ("property_uid", "room_uid"), "A room was deleted."),
        EventType("property_created", ("property_uid",), "A property was created."),
        EventType("property_updated", ("property_uid",), "A property's details changed."),
        EventType("property_published", ("property_uid",), "A property was published."),
        EventType("property_unpublished", ("property_uid",), "A property was unpublished."),
        EventType("property_deleted", ("property_uid",), "A property was deleted."),
        EventType("property_settings_updated", ("property_uid",), "A property's settings changed."),
        EventType("webhook_test", ("webhook_id",), "A test event sent with 'Send test event'.", "global"),
    )
}

# Names older Jomres receivers use; the callback API accepts them (SPEC section 9).
LEGACY_EVENTS: dict[str, EventType] = {
    "property_added": EventType("property_added", ("property_uid",), "Legacy name of property_created."),
    "property_saved": EventType("property_saved", ("property_uid",), "Legacy name of property_updated."),
    "invoice_saved": EventType("invoice_saved", ("property_uid", "invoice_uid"), "Legacy invoice_updated."),
    "booking_note_save": EventType(
        "booking_note_save", _CONTRACT + ("note_uid",), "Legacy name of booking_note_saved."
    ),
    "blackbooking_added": EventType("blackbooking_added", _CONTRACT, "Legacy name of blackbooking_created."),
}

#: The older name each current event is sent under by a webhook whose event names are ``jomres_legacy``
#: (the names Jomres' public responder and older integrations know); events not named here keep theirs.
LEGACY_NAMES: dict[str, str] = {
    "property_created": "property_added",
    "property_updated": "property_saved",
    "invoice_created": "invoice_saved",
    "invoice_updated": "invoice_saved",
    "booking_note_saved": "booking_note_save",
    "blackbooking_created": "blackbooking_added",
}

#: The older spelling of a data key, sent beside the current one to a ``jomres_legacy`` webhook (the keys
#: Jomres' public responder and older integrations read: ``note_uid``, the fake-event tool's ``extra_uid``).
LEGACY_DATA_KEYS: dict[str, str] = {"note_id": "note_uid", "extras_uid": "extra_uid"}

#: A webhook's choice of event names: the catalogue's (default) or Jomres' older ones.
EVENT_NAMES = ("current", "jomres_legacy")


def legacy_name(event: str) -> str:
    """The name ``event`` is sent under to a ``jomres_legacy`` webhook (its own when it has no older one)."""
    return LEGACY_NAMES.get(event, event)


def current_names(name: str) -> tuple[str, ...]:
    """The catalogue events ``name`` stands for: itself, or every event a legacy name is sent for."""
    if name in CATALOGUE:
        return (name,)
    return tuple(event for event, legacy in LEGACY_NAMES.items() if legacy == name)


def catalogue_events(names: list[str] | tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The catalogue events ``names`` (current or legacy) stand for, in catalogue order; the unknown names."""
    wanted = {event for name in names for event in current_names(name)}
    unknown = sorted({name for name in names if not current_names(name)})
    return [event for event in CATALOGUE if event in wanted], unknown


def current_name(name: str) -> str | None:
    """The one catalogue event a name raises (a legacy name: the last it stands for); None if unknown."""
    names = current_names(name)
    return names[-1] if names else None



# Other spellings of a data key that raising an event accepts: Jomres' fake-event tool says ``extra_uid``.
ID_ALIASES: dict[str, str] = {"extra_uid": "extras_uid"}

#: One signal per catalogue event, e.g. ``EVENT_SIGNALS["booking_added"]``.
EVENT_SIGNALS = {
    name: _signals.signal(name, doc=f"{event.description} Sent with ``event`` (a WebhookEvent row).")
    for name, event in CATALOGUE.items()
}

event_raised = _signals.signal(
    "event-raised",
    doc="Any domain event was raised; sent after the named signal with ``event`` (a WebhookEvent row).",
)
