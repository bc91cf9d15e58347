"""Database and configuration helpers shared by the fixtures (a module, so any conftest can import it)."""

from __future__ import annotations

from sqlalchemy import text

from jomres_like.extensions import db


def make_test_config(database_url: str, folder) -> dict:
    """The configuration of a test app on ``database_url`` with its folders under ``folder``."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "JOMRES_TEMP_DIR": str(folder / "temp"),
        "JOMRES_LOG_DIR": str(folder / "logs"),
        "JOMRES_SELF_URL": "http://127.0.0.1:9",
        "JOMRES_DEVELOPMENT": None,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "JOMRES_SWEEP_SECONDS": 0,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # scrypt costs ~0.3 s per user
    }


def drop_everything() -> None:
    """Drop every table of the model and Alembic's version table."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def empty_tables() -> None:
    """Delete every row and reset the id counters, portably."""
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    dialect = db.engine.dialect.name
    with db.engine.begin() as connection:
        if dialect == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        elif dialect in ("mysql", "mariadb"):
            connection.execute(text("SET FOREIGN_KEY_CHECKS=0"))
            for table in tables:
                connection.execute(text(f"TRUNCATE TABLE {table}"))
            connection.execute(text("SET FOREIGN_KEY_CHECKS=1"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
            exists = connection.execute(
                text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first()
            if exists:
                connection.execute(text("DELETE FROM sqlite_sequence"))
