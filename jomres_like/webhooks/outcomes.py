"""Group commit of successful attempts: the outcomes of several threads written in one short transaction.

Every delivery ends with a small write: its attempt, its new state and, now and then, its webhook's health.
Under a burst, each thread of a worker took the database's write lock for its own write, one after the other,
and on SQLite every hand-over of that lock also waits for the next holder to get the interpreter lock back.

Here a thread with an outcome to record queues it. If no other thread of its process is writing outcomes, it
becomes the leader: it writes every queued outcome (its own and those queued meanwhile) with one statement
per table and one commit, on a connection of its own, then wakes their threads. Outcomes queued while a
leader writes are written by the next leader, the first of them, woken for that. A thread returns only once
its outcome is committed, and raises :class:`OutcomeNotRecorded` if that transaction failed: nothing is
acknowledged, and no task file removed, before its rows are safe. Only successes come here, once their thread
has committed its own changes; a failed attempt reads and decides as it writes (retry, disable) and keeps its
own transaction.
"""

from __future__ import annotations

import os
import threading
import weakref
from dataclasses import dataclass
from functools import cache

from flask import Flask, current_app
from sqlalchemy import bindparam, insert, update

from ..extensions import db
from ..models import DeliveryAttempt, WebhookDelivery
from .health import HEALTHY

__all__ = ["ATTEMPT_COLUMNS", "DELIVERY_COLUMNS", "Outcome", "OutcomeNotRecorded", "record"]

#: seconds a thread waits for the leader writing its outcome (the leader's write is bounded by the
#: database's own lock timeouts, well below this)
WAIT = 120.0

ATTEMPT_COLUMNS = (
    "delivery_id", "number", "started_at", "duration_ms", "status_code", "response_excerpt", "error",
    "redelivery",
)
DELIVERY_COLUMNS = (
    "attempts", "last_status_code", "last_error", "status", "next_attempt_at", "completed_at", "updated_at",
)

_attempts = DeliveryAttempt.__table__
_deliveries = WebhookDelivery.__table__
# Built once (every delivery runs them). Parameters are prefixed: SQLAlchemy reserves the column names.
INSERT_ATTEMPT = insert(_attempts).values({name: bindparam(f"new_{name}") for name in ATTEMPT_COLUMNS})
UPDATE_DELIVERY = (
    update(_deliveries)
    .where(_deliveries.c.id == bindparam("delivery"))
    .values({name: bindparam(f"new_{name}") for name in DELIVERY_COLUMNS})
)


class OutcomeNotRecorded(RuntimeError):
    """The transaction that was to record this outcome failed (or never ran); nothing of it was written."""


@dataclass(eq=False)
class Outcome:
    """The rows of one successful attempt: its attempt, its delivery's new state, its webhook's health."""

    attempt: dict
    delivery: dict
    health: dict | None = None
    #: set under the group's condition: written (or failed), or made the next leader
    done: bool = False
    lead: bool = False
    error: BaseException | None = None


class _Group:
    """The outcomes of one app waiting in this process, and whether a leader is writing."""

    def __init__(self) -> None:
        self.transactions = 0  # committed so far (tests and benchmarks read it)
        self.fresh()

    def fresh(self) -> None:
        """Nothing queued, nobody writing (a forked child: a parent's leader may have held it at the fork)."""
        self.lock = threading.Condition()  # its waiters: the threads whose outcomes are queued or written
        self.queue: list[Outcome] = []
        self.writing = False


_groups: weakref.WeakSet[_Group] = weakref.WeakSet()
_KEY = "jomres_outcomes"


def init_app(app: Flask) -> None:
    """Give the app its group of this process (and a fresh one in every forked child)."""
    group = app.extensions.setdefault(_KEY, _Group())
    _groups.add(group)
    _register_fork_hook()


def _group() -> _Group:
    return current_app.extensions[_KEY]


def _after_fork() -> None:
    for group in list(_groups):
        group.fresh()


@cache
def _register_fork_hook() -> None:
    """Register :func:`_after_fork` once per process (the first app set up asks)."""
    os.register_at_fork(after_in_child=_after_fork)


def transactions() -> int:
    """How many group transactions this process has committed for the current app."""
    return _group().transactions


def record(outcome: Outcome) -> None:
    """Write ``outcome`` (alone or with others queued at the same time); return once it is committed.

    The caller commits its own changes first: it may become the leader, which commits its session, and as a
    follower it must hold no transaction (nor, on SQLite, the writer lock) that the leader would wait for.
    """
    group = _group()
    with group.lock:
        group.queue.append(outcome)
        lead = not group.writing
        group.writing = True
    if not lead:
        with group.lock:
            if not group.lock.wait_for(lambda: outcome.done, WAIT):
                if outcome in group.queue and not outcome.lead:
                    group.queue.remove(outcome)
                    raise OutcomeNotRecorded("timed out waiting for the outcome to be written")
                group.lock.wait_for(lambda: outcome.done)  # taken by a leader or made one: that ends soon
    if lead or outcome.lead:
        _lead(group)
    if outcome.error is not None:
        raise OutcomeNotRecorded(str(outcome.error)) from outcome.error


def _lead(group: _Group) -> None:
    """Write every queued outcome in one transaction, wake their threads, hand over to the next leader."""
    with group.lock:
        batch, group.queue = group.queue, []
    try:
        _write(batch)
        group.transactions += 1
    except Exception as exc:  # noqa: BLE001 - every waiter hears of it; nothing of the batch was written
        for outcome in batch:
            outcome.error = exc
    finally:
        with group.lock:
            if group.queue:
                first = group.queue[0]
                first.lead = True
                first.done = True
            else:
                group.writing = False
            for outcome in batch:
                outcome.done = True
            group.lock.notify_all()


def _write(batch: list[Outcome]) -> None:
    """One transaction on a connection of its own (committed, or rolled back if a statement fails).

    Not the leader's session: its rows are plain statements, and the session's commit machinery cost more
    than the statements themselves.
    """
    with db.engine.begin() as connection:
        connection.execute(INSERT_ATTEMPT, [outcome.attempt for outcome in batch])
        connection.execute(UPDATE_DELIVERY, [outcome.delivery for outcome in batch])
        health = {outcome.health["webhook"]: outcome.health for outcome in batch if outcome.health}
        if health:
            connection.execute(HEALTHY, list(health.values()))
