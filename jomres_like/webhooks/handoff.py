"""Hand-off of committed webhook entries to a few dispatcher threads of this process.

The request that raised events must not wait for their dispatch (deliveries, task files, self-calls), nor
must the next request on the same keep-alive connection. Once the response has been sent, the entries
therefore go to a bounded queue served by ``JOMRES_DISPATCH_THREADS`` daemon threads (default 2; 0, the
default when testing, runs them in the request's own thread, after the response too). When these threads
are all busy, the events go to another worker, by a self-call (:func:`idle`, ``outbox.hand_over``).
When the queue is full the entries are dropped here and the sweeper dispatches the events from the
outbox: nothing committed is lost.
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


_busy = 0  # dispatcher threads of this process running a job now


def _serve(jobs: queue.Queue) -> None:
    global _busy
    while True:
        job = jobs.get()
        with _lock:
            _busy += 1
        try:
            job()
        except Exception:  # noqa: BLE001 - a dispatcher thread must survive any job
            log.exception("Webhook dispatch job failed; the sweeper will catch up")
        finally:
            with _lock:
                _busy -= 1


def idle(threads: int) -> bool:
    """Whether a job submitted now would start at once: a dispatcher thread is free and none is queued."""
    jobs = _queue
    if jobs is None or _pid != os.getpid():
        return True  # the threads start with the first job
    return jobs.qsize() == 0 and _busy < max(1, threads)


def submit(job: Callable[[], None], threads: int) -> bool:
    """Queue ``job`` for this process's dispatcher threads (started on first use, again after a fork)."""
    global _queue, _pid, _busy
    pid = os.getpid()
    if _queue is None or _pid != pid:
        with _lock:
            if _queue is None or _pid != pid:
                _queue, _pid, _busy = queue.Queue(maxsize=QUEUE_SIZE), pid, 0
                for number in range(max(1, threads)):
                    threading.Thread(target=_serve, args=(_queue,), name=f"jomres-dispatch-{number}",
                                     daemon=True).start()
    try:
        _queue.put_nowait(job)
    except queue.Full:
        log.warning("Dispatch queue full; the sweeper will dispatch these events from the outbox")
        return False
    return True
