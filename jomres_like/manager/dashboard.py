"""The manager's dashboard: their properties with counts, upcoming and recent bookings."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select

from ..extensions import db
from ..models import Booking, Guest, Room
from ..services.access import visible_properties
from ..services.availability import current_or_future
from ..timeutil import utc_today
from .blueprint import bp

RECENT = 10


def _counts(model, property_ids: list[int], *conditions) -> dict[int, int]:
    query = (
        select(model.property_id, func.count(model.id))
        .where(model.property_id.in_(property_ids), *conditions)
        .group_by(model.property_id)
    )
    return dict(db.session.execute(query).all())


@bp.route("/")
def dashboard():
    """The user's properties with counts, then upcoming and recently made bookings across them."""
    properties = visible_properties(current_user)
    ids = [prop.id for prop in properties]
    counts = {
        "rooms": _counts(Room, ids, Room.deleted.is_(False)),
        "guests": _counts(Guest, ids, Guest.deleted.is_(False)),
        "upcoming": _counts(Booking, ids, current_or_future()),
    }
    live = select(Booking).where(Booking.property_id.in_(ids))
    upcoming = db.session.scalars(
        live.where(current_or_future())
        .order_by(Booking.arrival, Booking.id)
        .limit(RECENT)
    ).all()
    recent = db.session.scalars(
        live.order_by(Booking.created_at.desc(), Booking.id.desc()).limit(RECENT)
    ).all()
    return render_template(
        "manager/dashboard.html",
        properties=properties,
        counts=counts,
        upcoming=upcoming,
        recent=recent,
        today=utc_today(),
    )
