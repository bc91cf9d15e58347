"""The watcher: buffer raised events on the transaction, start them after the commit, drop them on rollback.

``signals.event_raised`` appends the event to the session's buffer. SQLAlchemy's ``after_commit`` moves the
buffer to the app context (``g``); a rollback drops it. At the end of a request (``after_request``, so
redirects and error replies count) the entries are kept for when the response has been sent
(:func:`hand_off`, on the response's close): they then go to this process's dispatcher threads
(:mod:`.handoff`) or, when those are all busy, the dispatch of the events goes to the app by
a self-call that any worker takes (:func:`hand_over`). Handed over earlier, the dispatch competed with the
end of the request for the interpreter, and the person who clicked waited about a millisecond longer.
Everything is sent inside the request when an immediate webhook exists. Outside a request (CLI, sweeper)
they start when the app context ends. Nothing here raises into the request: a failure is logged and the
sweeper dispatches the event from the outbox.
"""

from __future__ import annotations

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import event as sa_event
from sqlalchemy import exists, select

from ..deferred import selfcall
from ..extensions import db
from ..logs import get_logger
from ..models import Webhook
from .dispatch import BUFFER_KEY, EventEntry, run_entries
from .handoff import idle, submit

OUTBOX_KEY = "jomres_webhook_outbox"

log = get_logger("Core")


def on_event_raised(sender, event=None, **_kwargs) -> None:
    """Buffer a raised event on the current transaction."""
    if event is None or event.id is None:
        return
    db.session().info.setdefault(BUFFER_KEY, []).append(EventEntry.of(event.id))
    log.info("Webhook notification set %s", event.event)


def _after_commit(session) -> None:
    entries = session.info.pop(BUFFER_KEY, None)
    if not entries or not has_app_context():
        return
    if has_request_context():
        g.setdefault(OUTBOX_KEY, []).extend(entries)
    else:  # CLI, sweeper, tests: right away, in a fresh context (this session cannot run SQL now)
        start_outbox(current_app._get_current_object(), entries)


def _after_rollback(session, *_args) -> None:
    session.info.pop(BUFFER_KEY, None)


def take_outbox() -> list[tuple]:
    """Remove and return the entries committed in this context and not started yet."""
    return g.pop(OUTBOX_KEY, None) or []


# Built once: asked after every request that raised an event.
_IMMEDIATE_EXIST = select(exists().where(Webhook.enabled.is_(True), Webhook.mode == "immediate"))


def _immediate_webhooks_exist() -> bool:
    return bool(db.session.scalar(_IMMEDIATE_EXIST))


def hand_over(entries: list[tuple]) -> list[tuple]:
    """Send the dispatch of the committed events to the app by self-call; return what stays here.

    Any worker may take the call, so the worker that served the page (often busy with the next ones, since a
    browser keeps its connection there) does not also resolve webhooks, write task files and fire their
    self-calls. Events whose call could not be sent, and the other entries (a test event or a redelivery,
    whose task file is written already), are left to this process's dispatcher threads.
    """
    events = [entry for entry in entries if entry[0] == "event"]
    local = [entry for entry in entries if entry[0] != "event"]
    for start in range(0, len(events), selfcall.MAX_DISPATCH_EVENTS):
        chunk = events[start : start + selfcall.MAX_DISPATCH_EVENTS]
        if not selfcall.fire_dispatch([entry[1] for entry in chunk]):
            local.extend(chunk)
    return local


def hand_off(app: Flask, entries: list[tuple], threads: int) -> None:
    """Once the response has gone: to this process's dispatcher threads if one is free, else by self-call."""
    try:
        local = entries
        if not idle(threads):
            with app.app_context():  # the self-call is signed with the app's key, to the app's own URL
                local = hand_over(entries)
        if local:
            submit(lambda: start_outbox(app, local), threads)
    except Exception:  # noqa: BLE001 - never into the server; the sweeper catches up
        log.exception("Handing off %s webhook entries failed", len(entries))


def start_outbox(app: Flask, entries: list[tuple]) -> None:
    """Start ``entries`` in a fresh app context (used once the response has gone)."""
    try:
        with app.app_context():
            run_entries(entries)
    except Exception:  # noqa: BLE001 - never into the server; the sweeper catches up
        log.exception("Starting %s webhook entries failed", len(entries))


def init_app(app: Flask) -> None:
    """Connect the signal, the session hooks and the request hooks."""
    from .. import signals
    from . import authmethods

    authmethods.methods()  # import every auth method now (Authlib is slow to import), not on a delivery
    signals.event_raised.connect(on_event_raised, weak=False)
    for hook, function in (("after_commit", _after_commit), ("after_soft_rollback", _after_rollback)):
        if not sa_event.contains(db.session, hook, function):
            sa_event.listen(db.session, hook, function)

    @app.after_request
    def _start_after_response(response):
        entries = take_outbox()
        if not entries:
            return response
        try:
            if _immediate_webhooks_exist():
                run_entries(entries)  # immediate (07310) webhooks are delivered inside the request
                return response
        except Exception:  # noqa: BLE001 - the outbox sweep catches up
            db.session.rollback()
            log.exception("Dispatch inside the request failed")
            return response
        configured = app.config.get("JOMRES_DISPATCH_THREADS")
        threads = int((0 if app.testing else 2) if configured is None else configured)
        if threads > 0:
            response.call_on_close(lambda: hand_off(app, entries, threads))
        else:
            response.call_on_close(lambda: start_outbox(app, entries))
        return response

    @app.teardown_request
    def _start_leftovers(_exc=None):
        entries = take_outbox()
        if entries:  # after_request did not run (an unhandled error): start them now
            start_outbox(app, entries)
