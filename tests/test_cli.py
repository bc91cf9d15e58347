"""The ``flask`` commands of this package: ``setup`` and ``users``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from jomres_like import create_app
from jomres_like.extensions import db
from jomres_like.logs import get_logger
from jomres_like.models import Property, User
from jomres_like.services.users import authenticate


def count(app, model) -> int:
    """Rows of ``model``."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def fresh(tmp_path, app_config, monkeypatch):
    """``fresh(**config)``: an app on a brand-new SQLite file (no tables at all)."""
    monkeypatch.delenv("JOMRES_DEMO", raising=False)
    made = []

    def factory(**overrides):
        config = {**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}", **overrides}
        made.append(create_app(config))
        return made[-1]

    yield factory
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_setup_migrates_an_empty_database_and_seeds_the_demo(fresh):
    app = fresh()
    result = app.test_cli_runner().invoke(args=["setup"])

    assert result.exit_code == 0, result.output
    assert "Seeded demo data: Fawlty Towers, Best West Hotel, Grand Budapest." in result.output
    with app.app_context():
        assert [p.name for p in db.session.scalars(select(Property).order_by(Property.id))] == [
            "Fawlty Towers", "Best West Hotel", "Grand Budapest"]
        for name in ("manager", "manager2", "super", "admin"):
            assert authenticate(name, name) is not None


def test_setup_twice_seeds_once(fresh):
    app = fresh()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["setup"]).exit_code == 0
    users = count(app, User)

    again = runner.invoke(args=["setup"])

    assert again.exit_code == 0 and "Seeded" not in again.output
    assert "Database is up to date." in again.output
    assert count(app, User) == users == 4


@pytest.mark.parametrize("how", ["env", "option", "config"])
def test_setup_without_demo(fresh, monkeypatch, how):
    if how == "env":
        monkeypatch.setenv("JOMRES_DEMO", "0")
    app = fresh(**({"JOMRES_DEMO": False} if how == "config" else {}))
    args = ["setup", "--no-demo"] if how == "option" else ["setup"]

    result = app.test_cli_runner().invoke(args=args)

    assert result.exit_code == 0, result.output
    assert "Seeded" not in result.output
    assert count(app, User) == count(app, Property) == 0


def test_setup_does_not_seed_a_database_with_users(fresh):
    app = fresh()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["setup", "--no-demo"]).exit_code == 0
    assert runner.invoke(args=["users", "create", "owner", "--password", "owner-pass"]).exit_code == 0

    result = runner.invoke(args=["setup", "--demo"])

    assert "Seeded" not in result.output
    assert count(app, User) == 1 and count(app, Property) == 0


def test_setup_stamps_a_schema_made_by_create_all(runner, app):
    result = runner.invoke(args=["setup", "--no-demo"])
    assert result.exit_code == 0, result.output
    assert "Database is up to date." in result.output


def test_setup_keeps_the_log_channels_working(fresh, tmp_path):
    app = fresh()
    assert app.test_cli_runner().invoke(args=["setup", "--no-demo"]).exit_code == 0
    with app.app_context():
        get_logger("Core").info("after the migrations")
    assert "after the migrations" in (tmp_path / "logs" / "Core.application.log").read_text()


def test_users_create_a_manager_with_properties(runner, app, make_property):
    one, two = make_property("One"), make_property("Two")

    result = runner.invoke(args=["users", "create", "sybil", "--password", "sybil-pass", "--role", "manager",
                                 "--email", "sybil@example.com", "--property", str(one.id),
                                 "--property", str(two.id)])

    assert result.exit_code == 0, result.output
    assert "Created manager sybil" in result.output
    with app.app_context():
        user = authenticate("sybil", "sybil-pass")
        assert (user.role, user.email) == ("manager", "sybil@example.com")
        assert [p.id for p in user.properties] == [one.id, two.id]
    assert "sybil-pass" not in result.output


def test_users_create_prompts_for_the_password(runner, app):
    result = runner.invoke(args=["users", "create", "polly"], input="polly-pass\npolly-pass\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert authenticate("polly", "polly-pass").role == "registered"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "create", "basil", "--password", "other-pass"], "The username 'basil' is taken."),
        (["users", "create", "BASIL", "--password", "other-pass"], "The username 'BASIL' is taken."),
        (["users", "create", "manuel", "--password", "abc"], "Password must be at least 5 characters."),
        (["users", "create", "manuel", "--password", "manuel-pass", "--role", "manager", "--property", "999"],
         "Unknown property."),
        (["users", "create", "manuel", "--password", "manuel-pass", "--property", "1"],
         "Only managers are assigned to properties."),
        (["users", "create", "manuel", "--password", "manuel-pass", "--role", "owner"], "Invalid value"),
    ],
)
def test_users_create_refuses_cleanly(runner, app, make_user, make_property, args, message):
    make_user("basil")
    make_property("One")

    result = runner.invoke(args=args)

    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert count(app, User) == 1  # nothing half-written


def test_users_list(runner, make_user, make_property):
    prop = make_property("One")
    make_user("basil", properties=[prop])
    make_user("root", role="administrator")

    result = runner.invoke(args=["users", "list"])

    assert result.exit_code == 0
    assert result.output.splitlines() == [f"1\tbasil\tmanager\tactive\t{prop.id}",
                                          "2\troot\tadministrator\tactive\t-"]
