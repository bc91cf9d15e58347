"""Flask commands: ``setup``, ``users``; the webhook and API packages add their own groups."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .extensions import db
from .models import ROLES
from .services import ServiceError

users_cli = AppGroup("users", help="Manage users.")


def _fail(error: ServiceError) -> None:
    db.session.rollback()
    raise click.ClickException(error.message)


@click.command("setup")
@click.option(
    "--demo/--no-demo", default=None, help="Seed demo data on an empty database (default: JOMRES_DEMO)."
)
@with_appcontext
def setup_command(demo: bool | None) -> None:
    """Create or upgrade the database, then seed the demo data on an empty database."""
    from flask_migrate import stamp, upgrade
    from sqlalchemy import inspect

    from .demo import database_is_empty, seed_demo

    tables = set(inspect(db.engine).get_table_names())
    if "users" in tables and "alembic_version" not in tables:
        stamp()  # a schema made with create_all (tests): record it as current
    upgrade()
    wanted = current_app.config["JOMRES_DEMO"] if demo is None else demo
    if wanted and database_is_empty():
        seeded = seed_demo()
        db.session.commit()
        click.echo(f"Seeded demo data: {', '.join(seeded['properties'])}.")
    click.echo("Database is up to date.")


@users_cli.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(ROLES), default="registered", show_default=True)
@click.option("--email", default="")
@click.option("--property", "property_ids", type=int, multiple=True, help="Assign a property (managers).")
def create_user_command(username: str, password: str, role: str, email: str, property_ids: tuple[int, ...]):
    """Create a user (and assign properties to a manager)."""
    from .services.users import create_user, set_assignments

    try:
        user = create_user(username, password, role, email)
        if property_ids:
            set_assignments(user, list(property_ids))
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Created {user.role} {user.username} (id {user.id}).")


@users_cli.command("list")
def list_users_command() -> None:
    """List users with their roles and properties."""
    from sqlalchemy import select

    from .models import User

    for user in db.session.scalars(select(User).order_by(User.id)):
        props = ",".join(str(p.id) for p in user.properties) or "-"
        state = "active" if user.active else "inactive"
        click.echo(f"{user.id}\t{user.username}\t{user.role}\t{state}\t{props}")


def init_app(app: Flask) -> None:
    """Register the core commands and those of the webhook, deferred-task, API and responder packages."""
    from .deferred.cli import init_app as init_tasks_cli
    from .oauth.cli import init_app as init_oauth_cli
    from .responder.cli import init_app as init_responder_cli
    from .webhooks.cli import init_app as init_webhook_cli

    app.cli.add_command(setup_command)
    app.cli.add_command(users_cli)
    init_webhook_cli(app)
    init_tasks_cli(app)
    init_oauth_cli(app)
    init_responder_cli(app)
