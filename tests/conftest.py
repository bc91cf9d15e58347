"""Shared fixtures: the app on an isolated database, clients, and factories that return callables.

The database is ``DATABASE_URL`` when set (CI runs the suite on PostgreSQL and MariaDB), otherwise a SQLite
file in a temporary folder. The schema is created once per session; every test starts with empty tables.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import timedelta

import pytest
from dbtools import drop_everything, empty_tables, make_test_config
from flask import has_app_context
from sqlalchemy import text

from jomres_like import create_app
from jomres_like.extensions import db
from jomres_like.models import ROLE_ADMIN, ROLE_MANAGER, ROLE_REGISTERED, ROLE_SUPER
from jomres_like.timeutil import utc_today

TODAY = utc_today()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The database under test: ``DATABASE_URL`` or a fresh SQLite file.

    Under pytest-xdist each worker gets a database of its own beside ``DATABASE_URL``'s (``test_gw0``...),
    created empty by the server-side user the URL names.
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or url.startswith("sqlite"):
        return url
    return worker_database(url, worker)


def worker_database(url: str, worker: str) -> str:
    """Create (afresh) the database ``<name>_<worker>`` on ``url``'s server and return its URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if base.get_backend_name() == "postgresql":
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            charset = "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            connection.execute(text(f"CREATE DATABASE `{name}` {charset}"))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create the schema once per session, from empty."""
    app = create_app(make_test_config(database_url, tmp_path_factory.mktemp("schema")))
    with app.app_context():
        drop_everything()
        db.create_all()
    yield
    with app.app_context():
        db.session.remove()
        drop_everything()
        db.engine.dispose()


@pytest.fixture
def app_config(database_url, tmp_path) -> dict:
    """The configuration mapping the ``app`` fixture passes to ``create_app``; tests may change it."""
    return make_test_config(database_url, tmp_path)


@pytest.fixture
def app(_schema, app_config):
    """The application with empty tables."""
    application = create_app(app_config)
    yield application
    with application.app_context():
        db.session.remove()
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context for the whole test (service tests)."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def live_database(app, database_url, tmp_path) -> str:
    """The database of live (gunicorn) servers: a fresh SQLite file, or ``DATABASE_URL`` (the ``app`` fixture
    empties its tables afterwards)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'live.db'}"
    return database_url


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@contextmanager
def _in_context(app):
    """Use the current app context, or push one; yield whether one was pushed."""
    if has_app_context():
        yield False
    else:
        with app.app_context():
            yield True


def _persist(app, build):
    """Run ``build`` in a context, commit, and return the object usable outside that context."""
    with _in_context(app) as pushed:
        obj = build()
        db.session.commit()
        if pushed:
            db.session.refresh(obj)
            db.session.expunge(obj)
        return obj


@pytest.fixture
def make_user(app):
    """``make_user(username, role="manager", properties=[ids], password=None)`` -> User."""

    def factory(username: str, role: str = ROLE_MANAGER, properties=(), password: str | None = None):
        from jomres_like.services.users import create_user, set_assignments

        def build():
            user = create_user(username, password or username + "-pass", role, f"{username}@example.com")
            if properties:
                set_assignments(user, [getattr(p, "id", p) for p in properties])
            return user

        return _persist(app, build)

    return factory


@pytest.fixture
def make_property(app):
    """``make_property(name="Hotel", managers=[users])`` -> Property."""

    def factory(name: str = "Test Hotel", managers=(), **values):
        from jomres_like.models import User
        from jomres_like.services.properties import create_property

        def build():
            people = [db.session.get(User, getattr(m, "id", m)) for m in managers]
            return create_property({"name": name, **values}, managers=people)

        return _persist(app, build)

    return factory


def _property(prop):
    from jomres_like.models import Property

    return db.session.get(Property, getattr(prop, "id", prop))


@pytest.fixture
def make_room(app):
    """``make_room(prop, number="101", room_type="Double")`` -> Room."""

    def factory(prop, number: str = "101", room_type: str = "Double", **values):
        from jomres_like.services.rooms import add_room

        return _persist(
            app, lambda: add_room(_property(prop), {"number": number, "room_type": room_type, **values})
        )

    return factory


@pytest.fixture
def make_tariff(app):
    """``make_tariff(prop, room_type="Double", rate=100)`` -> Tariff covering the next year.

    A tariff prices one of the property's room types: a property without a room of ``room_type`` gets one.
    """

    def factory(prop, room_type: str = "Double", rate=100, **values):
        from jomres_like.services.rooms import add_room
        from jomres_like.services.tariffs import room_types, save_tariff

        def build():
            target = _property(prop)
            if room_type not in room_types(target):
                add_room(target, {"number": f"R{os.urandom(3).hex()}", "room_type": room_type})
            return save_tariff(target, fields)

        fields = {
            "room_type": room_type,
            "rate_per_night": rate,
            "start_date": TODAY - timedelta(days=10),
            "end_date": TODAY + timedelta(days=365),
            **values,
        }
        return _persist(app, build)

    return factory


@pytest.fixture
def make_guest(app):
    """``make_guest(prop, firstname="Ann", surname="Guest")`` -> Guest."""

    def factory(prop, firstname: str = "Ann", surname: str = "Guest", **values):
        from jomres_like.services.guests import create_guest

        return _persist(
            app,
            lambda: create_guest(
                _property(prop),
                {"firstname": firstname, "surname": surname, "email": "ann@example.com", **values},
            ),
        )

    return factory


@pytest.fixture
def make_booking(app, make_guest, make_room):
    """``make_booking(prop, rooms=[room], guest=None, arrival=+1, departure=+3, **values)`` -> Booking."""

    def factory(prop, rooms=None, guest=None, arrival=None, departure=None, **values):
        from jomres_like.services.bookings import create_booking

        rooms = rooms or [make_room(prop, number=f"R{os.urandom(3).hex()}")]
        guest = guest or make_guest(prop)
        fields = {
            "arrival": arrival or TODAY + timedelta(days=1),
            "departure": departure or TODAY + timedelta(days=3),
            "room_uids": [getattr(r, "id", r) for r in rooms],
            "guest_uid": getattr(guest, "id", guest),
            "contract_total": values.pop("contract_total", 200),
            **values,
        }
        if fields["arrival"] < TODAY:  # the tests' stays in the past are recorded ones
            fields.setdefault("past_stay", True)
        return _persist(app, lambda: create_booking(_property(prop), fields))

    return factory


@pytest.fixture
def demo(app):
    """Seed the demo data of SPEC section 3."""
    from jomres_like.demo import seed_demo

    with app.app_context():
        seed_demo()
        db.session.commit()


@pytest.fixture
def login(client):
    """``login(username, password=None)`` logs the test client in."""

    def do(username: str, password: str | None = None):
        response = client.post(
            "/login", data={"username": username, "password": password or username + "-pass"}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return do


ROLES_ALL = (ROLE_ADMIN, ROLE_SUPER, ROLE_MANAGER, ROLE_REGISTERED)
