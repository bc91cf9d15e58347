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
from collections.abc import Callable

from ..deferred import threads as process_threads
from ..logs import get_logger

#: jobs waiting for this process's dispatcher threads; past it, the sweeper dispatches from the outbox
QUEUE_SIZE = 2000

log = get_logger("Core")

#: process id -> its queue of jobs (a forked child starts with an empty one, and threads of its own)
_queues: dict[int, queue.Queue] = {}


def _jobs() -> queue.Queue:
    pid = os.getpid()
    return _queues.get(pid) or _queues.setdefault(pid, queue.Queue(maxsize=QUEUE_SIZE))


def _serve(jobs: queue.Queue) -> None:
    while True:
        job = jobs.get()
        try:
            job()
        except Exception:  # noqa: BLE001 - a dispatcher thread must survive any job
            log.exception("Webhook dispatch job failed; the sweeper will catch up")
        finally:
            jobs.task_done()


def idle(threads: int) -> bool:
    """Whether a job submitted now would start at once: a dispatcher thread is free and none is queued."""
    # unfinished_tasks counts the jobs queued and those running (task_done ends one)
    jobs = _jobs()
    return jobs.qsize() == 0 and jobs.unfinished_tasks < max(1, threads)


def submit(job: Callable[[], None], threads: int) -> bool:
    """Queue ``job`` for this process's dispatcher threads (started on first use, again after a fork)."""
    jobs = _jobs()
    process_threads.start_once("jomres-dispatch", _serve, (jobs,), count=threads)
    try:
        jobs.put_nowait(job)
    except queue.Full:
        log.warning("Dispatch queue full; the sweeper will dispatch these events from the outbox")
        return False
    return True
