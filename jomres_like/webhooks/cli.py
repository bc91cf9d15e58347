"""``flask webhooks fire ...`` and ``flask deferred-tasks list|run|sweep|purge``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from ..services import ServiceError

webhooks_cli = AppGroup("webhooks", help="Webhook developer tools.")
tasks_cli = AppGroup("deferred-tasks", help="The deferred task files in temp/deferred_tasks.")


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


@tasks_cli.command("list")
@click.option("--failed", is_flag=True, help="List the exhausted tasks in failed/.")
def list_command(failed: bool) -> None:
    """List the task files with their delivery, event, state and URL."""
    from ..background import store, trigger

    ids = store.task_ids(failed=failed)
    if not ids:
        click.echo("No task files.")
    for task_id in ids:
        try:
            task, _ = store.read_task(task_id)
            state = "done" if task.get("done") else ("failed" if failed else "pending")
            click.echo(
                f"{task_id}\t{state}\t{task['message_id']}\t{task.get('event', '?')}\t"
                f"{trigger.task_url(task_id)}"
            )
        except store.TaskError as exc:
            click.echo(f"{task_id}\tunreadable: {exc}")


@tasks_cli.command("run")
@click.argument("task_id")
def run_command(task_id: str) -> None:
    """Run one task now, in this process."""
    from ..background.runner import run_task

    status, body = run_task(task_id.strip())
    click.echo(f"{status} {body}")
    if status >= 400:
        raise SystemExit(1)


@tasks_cli.command("sweep")
@click.option(
    "--fire", "fire", is_flag=True, help="Fire self-calls to the running app instead of running here."
)
def sweep_command(fire: bool) -> None:
    """One sweeper pass: undispatched events, due retries, lost self-calls (for cron)."""
    from ..background.sweeper import node_lock, note_pass, sweep_once

    with node_lock() as mine:
        if not mine:
            click.echo("Another sweeper is running on this node; nothing done.")
            return
        note_pass()
        counts = sweep_once(inline=not fire)
    click.echo(
        f"Dispatched {counts['events']} event(s); {'fired' if fire else 'ran'} {counts['tasks']} task(s)."
    )


@tasks_cli.command("purge")
@click.option("--done/--no-done", default=True, help="Remove done task files (development mode keeps them).")
@click.option("--failed/--no-failed", default=False, help="Also remove the exhausted tasks in failed/.")
def purge_command(done: bool, failed: bool) -> None:
    """Delete done (and optionally failed) task files."""
    from ..background import store

    click.echo(f"Removed {store.purge(done=done, failed=failed)} task file(s).")


def init_app(app: Flask) -> None:
    """Register the webhook commands."""
    app.cli.add_command(webhooks_cli)
    app.cli.add_command(tasks_cli)
