"""services.users: creating users, hashed passwords, roles and manager assignments."""

from __future__ import annotations

import pytest

from jomres_like.models import ROLES
from jomres_like.services import Conflict, NotFound, ValidationError
from jomres_like.services import users as service


@pytest.mark.parametrize("role", ROLES)
def test_create_user_hashes_the_password(ctx, role):
    user = service.create_user(" sybil ", "s3cret-pass", role, "sybil@example.com")

    assert (user.username, user.role, user.email, user.active) == ("sybil", role, "sybil@example.com", True)
    assert "s3cret-pass" not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))
    assert user.check_password("s3cret-pass") is True
    assert user.check_password("wrong") is False


@pytest.mark.parametrize(
    ("username", "password", "role", "field"),
    [
        ("", "secret", "manager", "username"),
        ("two words", "secret", "manager", "username"),
        ("x" * 81, "secret", "manager", "username"),
        ("polly", "", "manager", "password"),
        ("polly", "abcd", "manager", "password"),
        ("polly", "x" * 201, "manager", "password"),
        ("polly", "secret", "owner", "role"),
    ],
)
def test_create_user_refuses_bad_values(ctx, username, password, role, field):
    with pytest.raises(ValidationError) as error:
        service.create_user(username, password, role)
    assert error.value.field == field


def test_usernames_are_unique_ignoring_case(ctx, make_user):
    make_user("Basil")
    with pytest.raises(Conflict) as error:
        service.create_user("basil", "another-pass")
    assert error.value.field == "username"


def test_authenticate_checks_password_and_active_flag(ctx, make_user):
    user = make_user("manuel", password="que-pass")
    assert service.authenticate("MANUEL", "que-pass") is user
    assert service.authenticate("manuel", "wrong") is None
    assert service.authenticate("nobody", "que-pass") is None
    service.update_user(user, {"active": False})
    assert service.authenticate("manuel", "que-pass") is None


def test_update_user_changes_password_email_and_role(prop, manager):
    service.set_assignments(manager, [prop.id])
    service.update_user(manager, {"email": "new@example.com", "password": "brand-new",
                                  "role": "super_manager"})

    assert manager.email == "new@example.com"
    assert manager.check_password("brand-new")
    assert (manager.role, manager.properties) == ("super_manager", [])


@pytest.mark.parametrize(("values", "field"), [({"role": "god"}, "role"), ({"password": "abc"}, "password")])
def test_update_user_refuses_bad_values(manager, values, field):
    with pytest.raises(ValidationError) as error:
        service.update_user(manager, values)
    assert error.value.field == field


def test_set_assignments_assigns_exactly_the_given_properties(manager, make_property):
    first, second = make_property("One"), make_property("Two")
    service.set_assignments(manager, [first.id, str(second.id)])
    assert [p.id for p in manager.properties] == [first.id, second.id]
    service.set_assignments(manager, [second.id])
    assert [p.id for p in manager.properties] == [second.id]


@pytest.mark.parametrize("ids", [[999999], ["one"], [None]])
def test_set_assignments_refuses_unknown_properties(manager, prop, ids):
    with pytest.raises(ValidationError) as error:
        service.set_assignments(manager, ids)
    assert error.value.field == "properties"


def test_set_assignments_refuses_a_deleted_property(manager, prop):
    from jomres_like.services.properties import delete_property

    delete_property(prop)
    with pytest.raises(ValidationError):
        service.set_assignments(manager, [prop.id])


@pytest.mark.parametrize("role", ["administrator", "super_manager", "registered"])
def test_only_managers_are_assigned_properties(ctx, make_user, prop, role):
    user = make_user("someone", role=role)
    with pytest.raises(ValidationError):
        service.set_assignments(user, [prop.id])


def test_get_and_find_user(ctx, make_user):
    user = make_user("polly")
    assert service.get_user(user.id) is user
    assert service.find_user(" POLLY ") is user
    assert service.find_user("") is None
    with pytest.raises(NotFound):
        service.get_user(999999)


@pytest.mark.parametrize(
    "flag, active", [("0", False), ("false", False), ("", False), ("1", True), (True, True)]
)
def test_update_user_reads_active_flags_from_text(ctx, make_user, flag, active):
    from jomres_like.extensions import db as database
    from jomres_like.models import User
    from jomres_like.services.users import update_user

    user = database.session.get(User, make_user("flaggy").id)
    update_user(user, {"active": flag})
    assert user.active is active
