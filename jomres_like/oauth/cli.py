"""``flask api-keys create|list|delete``: app keys from the command line."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from ..services import ServiceError
from ..services.actor import set_actor
from . import keys

api_keys_cli = AppGroup("api-keys", help="Manage app keys (OAuth2 client credentials).")


def _fail(error: ServiceError) -> None:
    db.session.rollback()
    raise click.ClickException(error.message)


@api_keys_cli.command("create")
@click.option("--user", "username", required=True, help="The manager or super manager the key acts for.")
@click.option("--scopes", required=True, help="Comma-separated scopes, e.g. webhooks_get,bookings_get.")
@click.option("--name", default="", help="A name for the key (default: cli-<user>).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (client_id, client_secret).")
def create_command(username: str, scopes: str, name: str, as_json: bool) -> None:
    """Create an app key and print its client id and secret (the secret is not stored in clear)."""
    try:
        user = keys.find_user(username)
        set_actor(user)
        key, secret = keys.create_key(user, name or f"cli-{username}", scopes)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps({"id": key.id, "client_id": key.client_id, "client_secret": secret,
                               "scopes": key.scopes, "user": username}))
    else:
        click.echo(f"Created app key {key.id} for {username} with scopes {','.join(key.scopes)}.")
        click.echo(f"client_id: {key.client_id}")
        click.echo(f"client_secret: {secret}")
        click.echo("Keep the secret now: it cannot be shown again.")


@api_keys_cli.command("list")
@click.option("--user", "username", required=True)
def list_command(username: str) -> None:
    """List a user's app keys (never their secrets)."""
    try:
        rows = keys.keys_of(keys.find_user(username))
    except ServiceError as error:
        _fail(error)
    for key in rows:
        click.echo(f"{key.id}\t{key.client_id}\t{key.name}\t{','.join(key.scopes)}")


@api_keys_cli.command("delete")
@click.option("--user", "username", required=True)
@click.argument("key_id", type=int)
def delete_command(username: str, key_id: int) -> None:
    """Delete one of a user's app keys and revoke its tokens."""
    try:
        key = keys.get_key(keys.find_user(username), key_id)
        keys.delete_key(key)
        db.session.commit()
    except ServiceError as error:
        _fail(error)
    click.echo(f"Deleted app key {key_id}.")


def init_app(app: Flask) -> None:
    """Register the API key commands."""
    app.cli.add_command(api_keys_cli)
