"""The task file's format: its bytes turned into a checked task (:func:`parse_task`), or :class:`BadTaskFile`.

A task file is one JSON object (never pickle) written by the dispatch (``webhooks/dispatch._task``) and
rewritten by the attempts (``webhooks/schedule``). Every reader of task files (the sweeper, the self-call,
``flask deferred-tasks``, the runner's claim) goes through :func:`parse_task`, so that whatever a file holds
(a truncated write, a hand edit, 30,000 nested brackets, a number of 5,000 digits) ends as one named error,
and a task that passed holds, in every field, what its readers expect.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

MAX_TASK_BYTES = 64 * 1024
#: ids are database keys (BIGINT at most); attempt counters fit the INTEGER columns
MAX_ID = 2**63 - 1
MAX_COUNT = 2**31 - 1
_PROCESSOR = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_MESSAGE_ID = re.compile(r"[\x21-\x7e]{1,40}")  # WebhookDelivery.message_id is String(40)
_EVENT = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
MODES = ("deferred", "immediate")


class TaskError(ValueError):
    """A task file that is missing, unreadable or malformed."""


class BadTaskFile(TaskError):
    """A file whose content is no task (not JSON, or a field of the wrong type or range); ``str()`` is why."""


def parse_task(raw: bytes, task_id: str) -> dict[str, Any]:
    """The task in ``raw``, the bytes of the file named ``task_id``, checked field by field.

    Raises :class:`BadTaskFile` for anything else: every exception of decoding and parsing (not only
    ``JSONDecodeError``: ``RecursionError``, ``ValueError`` for an integer past Python's digit limit,
    ``UnicodeDecodeError``...) and every field of the wrong type or range. Unknown keys are kept, so that a
    file written by a newer version still runs.
    """
    if len(raw) > MAX_TASK_BYTES:
        raise BadTaskFile("Task file is too large.")
    try:
        task = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except Exception as exc:  # noqa: BLE001 - whatever a file holds, it is one named error
        raise BadTaskFile(f"Task file is not valid JSON ({type(exc).__name__}).") from None
    if not isinstance(task, dict):
        raise BadTaskFile("Task file is malformed (not an object).")
    if task.get("task_id") != task_id:
        raise BadTaskFile("Task file is malformed (task_id).")
    _check(task)
    return task


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check(task: dict[str, Any]) -> None:
    """Raise :class:`BadTaskFile` naming the first field of ``task`` of the wrong type or range."""
    checks = (
        ("webhook_id", False, lambda value: _is_int(value, 1, MAX_ID)),
        ("delivery_id", True, lambda value: _is_int(value, 1, MAX_ID)),
        ("processor", False, lambda value: _matches(_PROCESSOR, value)),
        ("message_id", False, lambda value: _matches(_MESSAGE_ID, value)),
        ("event", True, lambda value: _matches(_EVENT, value)),
        ("mode", True, lambda value: value in MODES),
        ("attempts_base", True, lambda value: _is_int(value, 0, MAX_COUNT)),
        ("attempts", True, lambda value: _is_int(value, 0, MAX_COUNT)),
        ("redelivery", True, lambda value: isinstance(value, bool)),
        ("done", True, lambda value: isinstance(value, bool)),
        ("created_at", True, _is_timestamp),
        ("completed_at", True, _is_timestamp),
    )
    for key, optional, valid in checks:
        value = task.get(key)
        if value is None and optional:
            continue
        if value is None or not valid(value):
            raise BadTaskFile(f"Task file is malformed ({key}).")


def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _matches(pattern: re.Pattern, value: Any) -> bool:
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _is_timestamp(value: Any) -> bool:
    """An ISO 8601 time as ``iso_utc`` writes it (``2026-11-22T04:45:38.123Z``), or one close to it."""
    if not isinstance(value, str) or len(value) > 40:
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
