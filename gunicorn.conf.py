"""Gunicorn settings for jomres_like: gthread workers, bind and timeouts from the environment.

Starts nothing else by hand: no server hooks spawn processes. The deferred webhook pipeline runs
inside the application (the self-call to /background_process and the in-app sweeper).
"""

import os

bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT') or '5000'}"
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS") or 2)
threads = int(os.environ.get("GUNICORN_THREADS") or 8)
timeout = 30
graceful_timeout = 10

# Access log to stdout only on request; the application writes its own channels under logs/.
if os.environ.get("GUNICORN_ACCESSLOG"):
    accesslog = "-"
