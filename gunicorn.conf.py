"""Gunicorn settings for jomres_like: gthread workers, bind and timeouts from the environment.

The worker is gunicorn's gthread worker with one change (``jomres_like.serving``): a finished connection's
lingering close holds up the worker's accept loop for 10 ms at most, not 2 s.

Starts nothing else by hand: no server hooks spawn processes. The deferred webhook pipeline runs
inside the application (the self-call to /background_process and the in-app sweeper).
"""

import os

from jomres_like.serving import parse_gc_threshold, tune_gc

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT') or '5000'}"
worker_class = "jomres_like.serving.ThreadWorker"  # gthread, see jomres_like/serving.py
# One process per core plus one: a worker runs Python one thread at a time, and while one waits (for the
# database's write lock, a receiver, the disk) another keeps the core busy. With two workers on two cores the
# machine stayed 12-14 % idle in the pipeline benchmark; with three it was 93-94 % busy and delivered more
# (BENCHMARKS.md, "Pipeline", fifth round). Capped: each worker holds its own copy of the app (about 130 MB).
MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    """The cores this process may run on, plus one, at most MAX_DEFAULT_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return min(cores + 1, MAX_DEFAULT_WORKERS)


workers = int(os.environ.get("GUNICORN_WORKERS") or default_workers())
threads = int(os.environ.get("GUNICORN_THREADS") or 8)
timeout = 30
# No keep-alive: a connection serves one request, and each new one goes to whichever worker accepts it
# first, which is the one with time for it. Kept alive, a busy browser's or proxy's connections stay with
# the worker they first reached: with two workers, a burst of pages and self-calls could load one while the
# other idled, and that worker's threads then held the SQLite writer lock for longer while they waited for
# its GIL (BENCHMARKS.md, "Pipeline", fourth round). GUNICORN_KEEPALIVE=<seconds> turns it back on.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 0)
graceful_timeout = 10
# Each worker freezes the loaded app's objects and collects young ones every 10,000 allocations instead of
# 700 (jomres_like/serving.py, tune_gc): 5 % less CPU a delivery. GUNICORN_GC_THRESHOLD=700,10,10 sets
# Python's own thresholds back.
gc_threshold = parse_gc_threshold(os.environ.get("GUNICORN_GC_THRESHOLD"))

# Access log to stdout only on request; the application writes its own channels under logs/.
if os.environ.get("GUNICORN_ACCESSLOG"):
    accesslog = "-"


def post_worker_init(worker):
    """Tune the garbage collector of a worker that has loaded the app, and start the app's sweeper.

    The sweeper starts as soon as a worker is ready, so an idle node still retries. It is a thread inside the
    worker (no extra process); the first request would start it anyway.
    """
    tune_gc(gc_threshold)
    app = getattr(worker, "wsgi", None)
    if app is None or not hasattr(app, "config"):
        return
    try:
        from jomres_like.deferred.sweeper import ensure_started

        ensure_started(app)
    except Exception:  # noqa: BLE001 - a worker must boot even if the sweeper cannot start
        worker.log.exception("Could not start the deferred-task sweeper")
