"""``flask deferred-tasks list|run|sweep|purge``: the task files in temp/deferred_tasks, by hand or cron."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

tasks_cli = AppGroup("deferred-tasks", help="The deferred task files in temp/deferred_tasks.")


@tasks_cli.command("list")
@click.option("--failed", is_flag=True, help="List the exhausted tasks in failed/.")
def list_command(failed: bool) -> None:
    """List the task files with their delivery, event, state and URL."""
    from . import selfcall, store

    ids = store.task_ids(failed=failed)
    if not ids:
        click.echo("No task files.")
    for task_id in ids:
        try:
            task, _ = store.read_task(task_id)
            state = "done" if task.get("done") else ("failed" if failed else "pending")
            click.echo(
                f"{task_id}\t{state}\t{task['message_id']}\t{task.get('event', '?')}\t"
                f"{selfcall.task_url(task_id)}"
            )
        except store.TaskError as exc:
            click.echo(f"{task_id}\tunreadable: {exc}")


@tasks_cli.command("run")
@click.argument("task_id")
def run_command(task_id: str) -> None:
    """Run one task now, in this process."""
    from .runner import run_task

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
    from .sweeper import node_lock, note_pass, sweep_once

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
    from . import store

    click.echo(f"Removed {store.purge(done=done, failed=failed)} task file(s).")


def init_app(app: Flask) -> None:
    """Register the ``deferred-tasks`` commands."""
    app.cli.add_command(tasks_cli)
