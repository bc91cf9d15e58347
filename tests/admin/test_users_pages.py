"""User pages: list, create with a role, edit, property assignments."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from jomres_like.extensions import db
from jomres_like.models import User


def _user(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            user.assigned = [prop.id for prop in user.properties]
            db.session.expunge(user)
        return user


def test_list_shows_users_roles_and_assignments(admin):
    """Every demo user is listed with their role and properties."""
    body = admin.get("/admin/users").get_data(as_text=True)
    assert all(name in body for name in ("admin", "super", "manager2"))
    assert "Super manager" in body and "Grand Budapest" in body


def test_create_a_manager_with_properties_who_can_log_in(app, admin, client):
    """The new manager gets a hashed password, the chosen properties, and can log in."""
    assert admin.get("/admin/users/new").status_code == 200
    data = {
        "username": "sybil",
        "email": "sybil@example.com",
        "role": "manager",
        "password": "s3cret-pw",
        "properties": ["1", "3"],
    }
    response = admin.post("/admin/users/new", data=data)
    assert response.status_code == 302
    user = _user(app, "sybil")
    assert user.assigned == [1, 3] and user.password_hash != "s3cret-pw"
    assert "s3cret-pw" not in admin.get("/admin/users").get_data(as_text=True)
    logs = "".join(path.read_text() for path in Path(app.config["JOMRES_LOG_DIR"]).glob("*.log*"))
    assert "User sybil created with role manager by admin" in logs and "s3cret-pw" not in logs
    admin.post("/logout")
    assert client.post("/login", data={"username": "sybil", "password": "s3cret-pw"}).status_code == 302
    assert client.get("/manager/properties/3").status_code == 200


def test_create_with_a_taken_name_or_short_password_is_a_form_error(app, admin):
    """A duplicate username (409) and a short password (422) are shown on their fields."""
    response = admin.post(
        "/admin/users/new", data={"username": "MANAGER", "role": "manager", "password": "longenough"}
    )
    assert response.status_code == 409 and "is taken" in response.get_data(as_text=True)
    response = admin.post(
        "/admin/users/new", data={"username": "newbie", "role": "registered", "password": "abc"}
    )
    assert response.status_code == 422 and "at least 5 characters" in response.get_data(as_text=True)
    assert _user(app, "newbie") is None


def test_properties_only_for_managers(app, admin):
    """Assigning properties to a registered user is refused and nothing is created."""
    data = {"username": "visitor", "role": "registered", "password": "visitor-pw", "properties": ["1"]}
    response = admin.post("/admin/users/new", data=data)
    assert response.status_code == 422 and "Only managers" in response.get_data(as_text=True)
    assert _user(app, "visitor") is None


def test_bad_role_is_a_form_error(admin):
    """A role outside the list is refused."""
    response = admin.post(
        "/admin/users/new", data={"username": "x1", "role": "emperor", "password": "longenough"}
    )
    assert response.status_code == 422


def test_edit_assignments_role_and_deactivate(app, admin, client):
    """Moving ``manager2`` to property 2 changes what they see; deactivating stops their login."""
    uid = _user(app, "manager2").id
    page = admin.get(f"/admin/users/{uid}/edit").get_data(as_text=True)
    assert 'type="checkbox"' in page and "checked" in page
    data = {"email": "m2@example.com", "role": "manager", "active": "y", "password": "", "properties": ["2"]}
    assert admin.post(f"/admin/users/{uid}/edit", data=data).status_code == 302
    user = _user(app, "manager2")
    assert user.assigned == [2] and user.email == "m2@example.com"
    assert user.check_password("manager2")  # a blank password field keeps the password
    data.pop("active")
    assert admin.post(f"/admin/users/{uid}/edit", data=data).status_code == 302
    assert not _user(app, "manager2").active
    admin.post("/logout")
    assert client.post("/login", data={"username": "manager2", "password": "manager2"}).status_code == 400


def test_new_password_is_set(app, admin):
    """A new password replaces the old one."""
    uid = _user(app, "super").id
    data = {"email": "super@example.com", "role": "super_manager", "active": "y", "password": "brand-new-pw"}
    assert admin.post(f"/admin/users/{uid}/edit", data=data).status_code == 302
    assert _user(app, "super").check_password("brand-new-pw")


def test_admin_cannot_demote_or_deactivate_themselves(app, admin):
    """Locking yourself out is refused with a form error."""
    uid = _user(app, "admin").id
    response = admin.post(f"/admin/users/{uid}/edit", data={"role": "manager", "active": "y", "email": ""})
    assert response.status_code == 422 and "cannot remove your own" in response.get_data(as_text=True)
    response = admin.post(f"/admin/users/{uid}/edit", data={"role": "administrator", "email": ""})
    assert response.status_code == 422
    user = _user(app, "admin")
    assert user.role == "administrator" and user.active


def test_unknown_user_is_404(admin):
    """Editing a user that does not exist is 404."""
    assert admin.get("/admin/users/99999/edit").status_code == 404


def test_huge_user_id_is_404(admin):
    """An id no row can have is not found."""
    assert admin.get("/admin/users/99999999999999999999999/edit").status_code == 404
