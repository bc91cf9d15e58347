"""This process's long-lived daemon threads (the sweeper, the dispatchers): each started once per process.

A forked child has none of its parent's threads: :func:`start_once` starts them again there, on first use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

_lock = threading.Lock()
#: name -> (the process that started them, its threads)
_started: dict[str, tuple[int, list[threading.Thread]]] = {}


def start_once(name: str, target: Callable[..., None], args: tuple = (), count: int = 1) -> bool:
    """Start ``count`` daemon threads ``name-<n>`` running ``target(*args)`` unless this process has them
    alive already; return whether they were started now."""
    pid = os.getpid()
    known = _started.get(name)
    if known is not None and known[0] == pid and all(thread.is_alive() for thread in known[1]):
        return False
    with _lock:
        known = _started.get(name)
        if known is not None and known[0] == pid and all(thread.is_alive() for thread in known[1]):
            return False
        threads = [
            threading.Thread(target=target, args=args, name=f"{name}-{number}", daemon=True)
            for number in range(max(1, count))
        ]
        _started[name] = (pid, threads)
        for thread in threads:
            thread.start()
    return True
