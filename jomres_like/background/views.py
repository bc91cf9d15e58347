"""``GET /background_process?payload_source=<id>&sig=<hmac>``: run one deferred task, answer a JSON summary.

The id's form and the signature are checked before anything touches the filesystem; a bad call gets a 4xx
and changes nothing. The answer is short JSON, readable when a developer pastes a logged URL in a browser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from flask import Response, request

from ..extensions import csrf, db, limiter
from ..logs import get_logger
from . import bp, store, trigger
from .runner import run_task

log = get_logger("message_handling")


@bp.route("/background_process", methods=["GET"])
@csrf.exempt
def background_process():
    """Run the task named by ``payload_source`` if ``sig`` is its signature (or dispatch events, below).

    A GET is answered by :mod:`.selfcall` before it reaches Flask; this view serves the rest (HEAD).
    """
    return _reply(*handle(request.args))


def handle(args: Mapping[str, str]) -> tuple[int, dict]:
    """``(status, JSON body)`` of a ``/background_process`` call with the query ``args``."""
    if "dispatch" in args and "payload_source" not in args:
        return _dispatch(args.get("dispatch", ""), args.get("sig", ""))
    task_id = args.get("payload_source", "")
    sig = args.get("sig", "")
    if not store.valid_task_id(task_id):
        return 400, {"status": "error", "message": "payload_source must be exactly 50 ASCII letters."}
    if not trigger.verify(task_id, sig):
        log.warning("Refused a deferred message notification with a bad signature")
        return 403, {"status": "error", "message": "Bad or missing signature."}
    log.info("Received deferred message notification %s", task_id)
    try:
        return run_task(task_id)
    except Exception:  # noqa: BLE001 - a database hiccup: the task is kept and the sweeper retries it
        db.session.rollback()
        log.exception("Deferred task %s failed; it is kept for the sweeper", task_id)
        return 503, {"status": "error", "message": "The task could not run now; it is kept.", "task": task_id}


_EVENT_IDS = re.compile(rf"[0-9]{{1,18}}(,[0-9]{{1,18}}){{0,{trigger.MAX_DISPATCH_EVENTS - 1}}}")


def _dispatch(ids: str, sig: str) -> tuple[int, dict]:
    """``?dispatch=<ids>&sig=<hmac>``: dispatch these committed events here (the page's worker asked)."""
    if not _EVENT_IDS.fullmatch(ids):
        message = f"dispatch must be up to {trigger.MAX_DISPATCH_EVENTS} comma-separated event ids."
        return 400, {"status": "error", "message": message}
    if not trigger.verify_dispatch(ids, sig):
        log.warning("Refused a dispatch notification with a bad signature")
        return 403, {"status": "error", "message": "Bad or missing signature."}
    log.info("Received deferred dispatch notification for event(s) %s", ids)
    from ..webhooks.dispatch import run_entries

    event_ids = list(dict.fromkeys(int(event_id) for event_id in ids.split(",")))
    run_entries([("event", event_id) for event_id in event_ids])  # logs failures; the sweeper catches up
    return 200, {"status": "dispatched", "events": event_ids}


@limiter.request_filter
def _self_call() -> bool:
    """The self-call has no rate limit (its HMAC is its guard): the limiter need not look into it."""
    return request.endpoint == "background.background_process"


def _reply(status: int, body: dict) -> Response:
    data, headers = encode(body)
    return Response(data, status=status, headers=headers)


def encode(body: dict) -> tuple[bytes, list[tuple[str, str]]]:
    """The JSON answer's bytes and headers, never cached (it runs a task: a cache must not answer for it)."""
    data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode() + b"\n"
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(data))),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    return data, headers
