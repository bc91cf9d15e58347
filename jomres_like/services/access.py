"""Who may see which property: managers their assigned ones, super managers all of them."""

from __future__ import annotations

from sqlalchemy import Select, select

from ..extensions import db
from ..models import Property, User, manager_properties
from . import NotFound, PermissionDenied


def can_manage_properties(user: User | None) -> bool:
    """Managers and super managers reach the manager pages; nobody else."""
    return bool(user is not None and user.is_authenticated and user.is_manager)


def visible_properties_query(user: User) -> Select:
    """A query of the live properties ``user`` manages, ordered by id."""
    query = select(Property).where(Property.deleted.is_(False)).order_by(Property.id)
    if user.is_super_manager:
        return query
    if not user.is_manager:
        return query.where(Property.id.is_(None))
    return query.join(manager_properties, manager_properties.c.property_id == Property.id).where(
        manager_properties.c.user_id == user.id
    )


def visible_properties(user: User) -> list[Property]:
    """The live properties ``user`` manages."""
    return list(db.session.scalars(visible_properties_query(user)))


def visible_property_ids(user: User) -> list[int]:
    """The ids of the live properties ``user`` manages."""
    return [prop.id for prop in visible_properties(user)]


def get_property(user: User, property_uid: int) -> Property:
    """Return the property if ``user`` manages it; otherwise :class:`NotFound`, never revealing it exists."""
    if not can_manage_properties(user):
        raise PermissionDenied("Only managers can manage properties.")
    prop = db.session.get(Property, property_uid)
    if prop is None or prop.deleted or not manages(user, prop):
        raise NotFound("No such property.")
    return prop


def manages(user: User, prop: Property) -> bool:
    """Whether ``user`` manages ``prop`` (super managers manage every property)."""
    if user.is_super_manager:
        return True
    if not user.is_manager:
        return False
    return db.session.execute(
        select(manager_properties.c.user_id).where(
            manager_properties.c.user_id == user.id, manager_properties.c.property_id == prop.id
        )
    ).first() is not None


def manager_ids(property_uid: int) -> Select:
    """A query of the ids of the active managers assigned to a property (super managers never are)."""
    return (
        select(manager_properties.c.user_id)
        .join(User, User.id == manager_properties.c.user_id)
        .where(manager_properties.c.property_id == property_uid, User.active.is_(True))
    )


def managers_of(property_uid: int) -> list[User]:
    """The active managers assigned to a property, by id."""
    query = select(User).where(User.id.in_(manager_ids(property_uid))).order_by(User.id)
    return list(db.session.scalars(query))
