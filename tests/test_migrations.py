"""Migrations: they build the whole schema on an empty database, match the models, and undo cleanly."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import MetaData, inspect

from jomres_like import create_app
from jomres_like.extensions import db


def drop_all_tables() -> None:
    """Drop every table in the database, whether the models know it or not."""
    db.session.remove()
    found = MetaData()
    found.reflect(db.engine)
    found.drop_all(db.engine)


def model_tables() -> set[str]:
    """The tables the models declare."""
    return set(db.metadata.tables)


def upgrade_and_check(app) -> None:
    """``flask db upgrade`` then ``flask db check`` on ``app``'s (empty) database."""
    runner = app.test_cli_runner()
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []

    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output + repr(upgraded.exception)
    with app.app_context():
        assert set(inspect(db.engine).get_table_names()) == model_tables() | {"alembic_version"}

    checked = runner.invoke(args=["db", "check"])
    assert checked.exit_code == 0, f"models and migrations differ: {checked.exception}"


@pytest.fixture
def sqlite_app(app_config, tmp_path):
    """An app on a brand-new SQLite file."""
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}"})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_migrations_build_an_empty_sqlite_database(sqlite_app):
    upgrade_and_check(sqlite_app)


def test_db_check_notices_a_difference(sqlite_app):
    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with sqlite_app.app_context():
        db.metadata.tables["site_settings"].drop(db.engine)

    result = runner.invoke(args=["db", "check"])

    assert result.exit_code != 0
    assert "site_settings" in str(result.exception) + result.output


def test_migrations_downgrade_to_base_on_sqlite(sqlite_app):
    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0

    result = runner.invoke(args=["db", "downgrade", "base"])

    assert result.exit_code == 0, result.output + repr(result.exception)
    with sqlite_app.app_context():
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    again = runner.invoke(args=["db", "upgrade"])
    assert again.exit_code == 0, repr(again.exception)


def test_migrations_build_an_empty_database_of_database_url(_schema, app_config):
    """On the CI database (PostgreSQL, MariaDB): from nothing, then the test schema is put back."""
    if not os.environ.get("DATABASE_URL"):
        pytest.skip("DATABASE_URL is not set; the SQLite test above covers the default database")
    app = create_app(app_config)
    with app.app_context():
        drop_all_tables()
    try:
        upgrade_and_check(app)
    finally:
        with app.app_context():
            drop_all_tables()
            db.create_all()  # the rest of the suite expects the create_all schema
            db.session.remove()
            db.engine.dispose()
