"""``flask webhooks fire ...``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from ..services import ServiceError

webhooks_cli = AppGroup("webhooks", help="Webhook developer tools.")


def _parse_data(pairs: tuple[str, ...]) -> dict:
    values: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="--data")
        values[key.strip()] = int(value) if value.strip().lstrip("-").isdigit() else value
    return values


@webhooks_cli.command("fire")
@click.argument("event")
@click.option("--property", "property_uid", type=int, help="The property the event is about.")
@click.option("--id", "record_id", type=int, help="Fills the event's id key (contract_uid, guest_uid...).")
@click.option("--data", "pairs", multiple=True, help="Extra data as key=value (repeatable).")
def fire_command(event: str, property_uid: int | None, record_id: int | None, pairs: tuple[str, ...]) -> None:
    """Raise a fake EVENT through the real pipeline (Jomres' j00005fake_webhook_calls)."""
    from .. import signals
    from ..services.events import raise_event

    event = signals.current_name(event) or event  # a legacy name raises the event it stands for
    event_type = signals.CATALOGUE.get(event)
    if event_type is None:
        raise click.BadParameter(f"unknown event {event!r}; see the event catalogue", param_hint="EVENT")
    ids = _parse_data(pairs)
    if record_id is not None:
        id_keys = [key for key in event_type.keys if key != "property_uid"]
        if not id_keys:
            raise click.BadParameter(f"{event} carries no id besides property_uid", param_hint="--id")
        ids.setdefault(id_keys[0], record_id)
    if "property_uid" in event_type.keys and property_uid is None:
        raise click.BadParameter(f"{event} needs --property", param_hint="--property")
    try:
        row = raise_event(event, property_uid=property_uid, **ids)
        db.session.commit()  # the watcher dispatches right after the commit
    except ServiceError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Raised {event} (event {row.id}) with data {row.data}.")


def init_app(app: Flask) -> None:
    """Register the webhook commands."""
    app.cli.add_command(webhooks_cli)
