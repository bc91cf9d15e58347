"""Hand-off of committed webhook entries to a few dispatcher threads of this process.

The request that raised events must not wait for their dispatch (deliveries, task files, self-calls), nor
must the next request on the same keep-alive connection. ``after_request`` therefore hands the entries to
a bounded queue served by ``JOMRES_DISPATCH_THREADS`` daemon threads (default 2; 0, the default when
testing, runs them in the request's thread once the response has been sent). When the queue is full the
entries are dropped here and the sweeper dispatches the events from the outbox: nothing committed is lost.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable

from ..logs import get_logger

QUEUE_SIZE = 2000

log = get_logger("Core")

_lock = threading.Lock()
_queue: queue.Queue | None = None
_pid: int | None = None


def _serve(jobs: queue.Queue) -> None:
    while True:
        job = jobs.get()
        try:
            job()
        except Exception:  # noqa: BLE001 - a dispatcher thread must survive any job
            log.exception("Webhook dispatch job failed; the sweeper will catch up")


def submit(job: Callable[[], None], threads: int) -> bool:
    """Queue ``job`` for this process's dispatcher threads (started on first use, again after a fork)."""
    global _queue, _pid
    pid = os.getpid()
    if _queue is None or _pid != pid:
        with _lock:
            if _queue is None or _pid != pid:
                _queue, _pid = queue.Queue(maxsize=QUEUE_SIZE), pid
                for number in range(max(1, threads)):
                    threading.Thread(target=_serve, args=(_queue,), name=f"jomres-dispatch-{number}",
                                     daemon=True).start()
    try:
        _queue.put_nowait(job)
    except queue.Full:
        log.warning("Dispatch queue full; the sweeper will dispatch these events from the outbox")
        return False
    return True
