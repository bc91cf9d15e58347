"""The processors of deferred tasks by name, and the hooks the mechanism asks, kept per app.

A task file names its processor (Jomres' ``07320watcher_authmethod_process_<method>``, or ``07310...`` for
the immediate form); :func:`get` finds the code registered under exactly that name. The registry does not
know the names: the packages that use the mechanism register their processors in their ``init_app``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from flask import Flask, current_app

KEY = "jomres_deferred"


class UnknownProcessor(LookupError):
    """No processor is registered under this name."""


class Answer(NamedTuple):
    """What running a task gave: the HTTP status of ``/background_process`` and its short JSON body."""

    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Claimed:
    """A task its processor runs: read under its claim (``failed``: from ``failed/``), in development mode?"""

    task_id: str
    task: Mapping[str, Any]
    failed: bool
    dev: bool


@dataclass(frozen=True)
class Pending:
    """A pending task file the sweeper read: its id, its checked content, its age in seconds."""

    task_id: str
    task: Mapping[str, Any]
    age: float


@dataclass(frozen=True)
class SweepPass:
    """What a sweep hook is given: the pending files worth a look, how many tasks to return at most,
    whether the tasks will run in this process (``inline``), and where to report one file's trouble."""

    pending: Sequence[Pending]
    limit: int
    inline: bool
    trouble: Callable[[str, Exception], None]


@dataclass(frozen=True)
class SweepFound:
    """A sweep hook's answer: the task ids to start now, and counts for the pass's summary."""

    task_ids: Sequence[str] = ()
    counts: Mapping[str, int] = field(default_factory=dict)


Processor = Callable[[Claimed], Answer]
SweepHook = Callable[[SweepPass], SweepFound]


@dataclass
class Registry:
    """One app's processors, sweep hooks, finished-task checks and dispatch handler."""

    processors: dict[str, Processor] = field(default_factory=dict)
    sweep_hooks: list[SweepHook] = field(default_factory=list)
    #: asked when a task's file is gone: whether that task was processed (its URL then answers 410)
    finished_checks: list[Callable[[str], bool]] = field(default_factory=list)
    #: runs ``?dispatch=<ids>`` calls (committed events handed over by another worker)
    dispatch: Callable[[list[int]], None] | None = None

    def register(self, name: str, processor: Processor) -> None:
        """Register ``processor`` under ``name`` (a second registration under the name replaces it)."""
        if not isinstance(name, str) or not name:
            raise ValueError("a processor needs a name")
        self.processors[name] = processor

    def get(self, name: str) -> Processor:
        """The processor registered under exactly ``name``; raises :class:`UnknownProcessor`."""
        try:
            return self.processors[name]
        except (KeyError, TypeError):
            raise UnknownProcessor(f"Failed to find {name!r}") from None


def init_app(app: Flask) -> Registry:
    """Give ``app`` its registry (once); return it."""
    return app.extensions.setdefault(KEY, Registry())


def registry(app: Flask | None = None) -> Registry:
    """The registry of ``app`` (default: the current app)."""
    return (app or current_app).extensions[KEY]


def register(name: str, processor: Processor, app: Flask | None = None) -> None:
    """Register ``processor`` under ``name`` in the app's registry."""
    registry(app).register(name, processor)


def get(name: str) -> Processor:
    """The current app's processor registered under ``name``; raises :class:`UnknownProcessor`."""
    return registry().get(name)
