"""Private databases for the benchmarks on the local PostgreSQL and MariaDB servers, created and dropped.

``PrivateDatabases(["sqlite", "postgresql"], "bench_pipeline_<pid>", workdir)`` gives each named kind a
database of its own: a file in ``workdir`` for SQLite, a new database on 127.0.0.1:5432 (user ``postgres``)
or 127.0.0.1:3306 (user ``root``), no password, for the servers. The servers' databases are dropped on
:meth:`PrivateDatabases.drop` (also when a benchmark fails half way). A name is checked before it is used in
SQL, and ``test`` (the CI's database) is never one.
"""

from __future__ import annotations

import re
from pathlib import Path

KINDS = ("sqlite", "postgresql", "mariadb")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def parse_kinds(text: str) -> list[str]:
    """The comma-separated database kinds of ``text``, in order, each once; unknown kinds raise ValueError."""
    kinds = []
    for kind in (part.strip().lower() for part in text.split(",")):
        if kind not in KINDS:
            raise ValueError(f"unknown database {kind!r}: choose among {', '.join(KINDS)}")
        if kind not in kinds:
            kinds.append(kind)
    if not kinds:
        raise ValueError("name at least one database")
    return kinds


def _checked(name: str) -> str:
    if not _NAME.match(name) or name == "test":
        raise ValueError(f"not a private database name: {name!r}")
    return name


def _postgresql():
    import psycopg

    return psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True,
                           connect_timeout=10)


def _mariadb():
    import pymysql

    return pymysql.connect(host="127.0.0.1", port=3306, user="root", connect_timeout=10, autocommit=True)


def create(kind: str, name: str, workdir: Path) -> str:
    """Create the private database ``name`` of ``kind`` (dropping a leftover of that name); its URL."""
    name = _checked(name)
    if kind == "sqlite":
        return f"sqlite:///{Path(workdir) / (name + '.db')}"
    drop(kind, name)
    if kind == "postgresql":
        with _postgresql() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    connection = _mariadb()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        connection.close()
    return f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4"


def drop(kind: str, name: str) -> None:
    """Drop the private database ``name`` of ``kind`` if it exists (SQLite files go with their folder)."""
    name = _checked(name)
    if kind == "postgresql":
        with _postgresql() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    elif kind == "mariadb":
        connection = _mariadb()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            connection.close()


class PrivateDatabases:
    """One private database per kind, named ``<prefix>`` (``<prefix>_<suffix>`` when given a suffix)."""

    def __init__(self, workdir: Path, prefix: str):
        self.workdir = Path(workdir)
        self.prefix = prefix
        self.created: list[tuple[str, str]] = []

    def url(self, kind: str, suffix: str = "") -> str:
        """Create the database of ``kind`` (with ``suffix`` in its name) and return its URL."""
        name = f"{self.prefix}_{suffix}" if suffix else self.prefix
        url = create(kind, name, self.workdir)
        self.created.append((kind, name))
        return url

    def drop(self) -> list[str]:
        """Drop every database created here; the errors met (each as a line), none raised."""
        errors = []
        for kind, name in reversed(self.created):
            try:
                drop(kind, name)
            except Exception as exc:  # noqa: BLE001 - one server down must not keep the others' databases
                errors.append(f"could not drop {kind} database {name}: {type(exc).__name__}: {exc}")
        self.created.clear()
        return errors
