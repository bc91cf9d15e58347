"""How fast this machine is right now: a fixed single-threaded Python workload, timed.

The 2-core machine the benchmarks run on changes speed from day to day and within minutes (BENCHMARKS.md,
third and fourth rounds): the same code and bench gave anywhere from 90 to 270 deliveries/s, and this
workload took from 69 to 131 ms in three readings a few seconds apart. A benchmark takes a reading before
each phase and prints them with its results, so that a result can be read against the machine it ran on:
compare runs whose readings are close, and distrust a phase whose readings around it differ.
"""

from __future__ import annotations

import hashlib
import json
import time

_DOCUMENT = {
    "event": "booking_modified",
    "data": {"property_uid": 1, "contract_uid": 42, "arrival": "2026-12-01", "departure": "2026-12-04"},
    "rooms": [{"room_uid": number, "name": f"Room {number}", "rate": number * 1.5} for number in range(20)],
}


def workload() -> int:
    """The fixed work: JSON round trips, hashing and sorting, about what a request does a lot of."""
    checksum = 0
    for number in range(2000):
        text = json.dumps({**_DOCUMENT, "n": number}, sort_keys=True)
        checksum ^= int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")
        checksum ^= len(sorted(json.loads(text)["rooms"], key=lambda room: -room["rate"]))
    return checksum


def reading(repeat: int = 3) -> float:
    """Milliseconds for :func:`workload`, the best of ``repeat`` runs (lower is faster)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        workload()
        best = min(best, time.perf_counter() - started)
    return best * 1000


class Readings:
    """Readings taken at named moments of a benchmark, printed as one line."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, float]] = []

    def take(self, when: str) -> None:
        """Take a reading now, labelled ``when``."""
        self.taken.append((when, reading()))

    def line(self) -> str:
        """``machine speed (ms for bench/_machine.py's workload, lower is faster): before 1 69.1, ...``."""
        parts = ", ".join(f"{when} {ms:.0f}" for when, ms in self.taken)
        return f"machine speed (ms for bench/_machine.py's fixed workload, lower is faster): {parts}"
