"""The measurements of :mod:`pipeline`, each over one :class:`pipeline.Bench`: latency, paced lag, throughput.

Every loop is bounded in count and time.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import _procs
from _peers import Receiver

if TYPE_CHECKING:
    from pipeline import Bench


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def latency(bench: Bench, count: int) -> list[float]:
    """``count`` sequential booking changes, 50 ms apart; their durations in ms."""
    times = []
    for _ in range(count):
        times.append(bench.change_booking() * 1000)
        time.sleep(0.05)
    return times


def paced(
    bench: Bench, receivers: list[Receiver], rate: float, seconds: float
) -> tuple[list[float], list[float]]:
    """Booking changes at ``rate``/s for ``seconds``, page loads at 10/s; return (lags ms, page loads ms)."""
    for receiver in receivers:
        receiver.arrivals.clear()
    page_times: list[float] = []
    stop = threading.Event()
    pages = bench.pages

    def load_pages():
        while not stop.is_set() and len(page_times) < 10_000:
            started = time.perf_counter()
            pages.get(f"{bench.server.url}/manager/properties/1/bookings", timeout=30)
            page_times.append((time.perf_counter() - started) * 1000)
            time.sleep(0.1)

    browsers = bench.senders
    for browser in browsers:  # forms loaded before the clock starts
        bench.prime(browser)
    loader = threading.Thread(target=load_pages, daemon=True)
    loader.start()
    sent = 0
    started = time.perf_counter()
    deadline = started + seconds
    lock = threading.Lock()

    def sender(browser):
        nonlocal sent
        while time.perf_counter() < deadline:
            with lock:
                due = started + sent / rate
                sent += 1
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            bench.change_booking(browser)

    threads = [threading.Thread(target=sender, args=(b,), daemon=True) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    time.sleep(3)
    stop.set()
    loader.join(timeout=30)
    lags = []
    for arrived, body in receivers[0].arrivals:
        created = datetime.strptime(body["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        lags.append((arrived - created.timestamp()) * 1000)
    return lags, page_times


def throughput(
    bench: Bench, receiver: Receiver, webhooks: int, events: int
) -> tuple[float, int, int, float, tuple[float, float]]:
    """Raise ``events`` booking changes from 4 browsers to ``webhooks`` webhooks.

    Returns (deliveries/s from the first change to the last arrival, delivered, wanted, machine CPU busy %,
    the workers' (user, system) CPU ms per delivery); a delivery that arrived twice (same ``webhook-id``)
    counts once. The rate is about the CPU the workers get divided by their CPU per delivery, so the latter
    tells a slower run with more work per delivery (or a slower machine) from one whose workers got less CPU.
    """
    bench.set_webhooks([receiver.url] * webhooks, events=["booking_modified"])
    receiver.arrivals.clear()
    browsers = bench.senders
    for browser in browsers:
        bench.prime(browser)
    workers = _procs.children(bench.server.process.pid)
    worker_before = _procs.cpu_seconds(workers)
    cpu_before = _procs.cpu_busy()
    started = time.time()

    def sender(browser, share):
        for _ in range(share):
            bench.change_booking(browser)

    threads = [threading.Thread(target=sender, args=(b, events // 4), daemon=True) for b in browsers]
    for thread in threads:
        thread.start()
    want = (events // 4) * 4 * webhooks
    deadline = time.time() + 120
    while len(receiver.arrivals) < want and time.time() < deadline:
        time.sleep(0.02)
    cpu_after = _procs.cpu_busy()
    worker_after = _procs.cpu_seconds(workers)
    for thread in threads:
        thread.join(timeout=5)
    last = max((arrived for arrived, _ in receiver.arrivals), default=time.time())
    busy = 100 * (cpu_after[0] - cpu_before[0]) / max(1, cpu_after[1] - cpu_before[1])
    unique = len({body["id"] for _arrived, body in receiver.arrivals})
    per_delivery = tuple(1000 * (after - before) / max(1, unique)
                         for before, after in zip(worker_before, worker_after, strict=True))
    return unique / max(0.001, last - started), unique, want, busy, per_delivery
