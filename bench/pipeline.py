"""Webhook pipeline benchmark against gunicorn as ``make run`` starts it (``gunicorn -c gunicorn.conf.py``).

Starts the real app (tests/live.py: same command and gunicorn.conf.py with its defaults, a gthread worker per
core plus one, 8 threads each) on a scratch SQLite database with the demo data, production rules with loopback
receivers allowed (``JOMRES_WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8``), and receivers in this process on
127.0.0.1. Measures:

1. latency of a booking change (UI form POST) with no webhooks, then with 5 webhooks on a receiver that
   sleeps 5 s (target: at most +3 ms at the median);
2. deliveries per second end to end with a fast receiver (target >= 400), and the workers' CPU time per
   delivery (user and system), what the rate is made of;
3. lag from commit to arrival at 50 events/s (target p95 <= 25 ms), with page loads measured meanwhile;
4. the same beside a receiver that never answers: the healthy receiver's p95 lag and the page loads' p95
   stay within 2x of their values without it, the mean of (3) and of (3) run again once the dead
   receiver's deliveries have timed out (both are printed, and the ratio against (3) alone);
5. peak RSS of each gunicorn worker;

and, before each phase and at the end, how fast the machine is right now (:mod:`_machine`), since its speed
changes within minutes.

Every loop is bounded in count and time. Usage: ``.venv/bin/python bench/pipeline.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import _machine  # noqa: E402 - bench/ is the script's own folder
import _procs  # noqa: E402 - likewise
from _browser import FormPoster  # noqa: E402 - likewise
from _peers import Receiver, Silent  # noqa: E402 - likewise
from live import LiveServer, form_fields  # noqa: E402 - tests/ is not a package on the path by default

from jomres_like.config import DEFAULTS  # noqa: E402 - the project root is on the path just above


def webhook_timeout(env: dict) -> float:
    """Seconds a delivery to the receiver that never answers lasts: the server's total timeout."""
    return float(env.get("JOMRES_WEBHOOK_TIMEOUT") or DEFAULTS["JOMRES_WEBHOOK_TIMEOUT"])


def ratio(value: float, base: float) -> str:
    """``value / base`` to two decimals (a zero base counts as 0.001)."""
    return f"{value / max(0.001, base):.2f}"


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Bench:
    """The app under gunicorn plus helpers to add webhooks and raise events through the UI."""

    def __init__(self, workdir: Path, root: Path = ROOT, env: dict | None = None):
        """The app of the checkout ``root`` (this one by default), with ``env`` added to its environment."""
        database = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
        self.server = LiveServer(
            workdir,
            database,
            workers=None,  # gunicorn.conf.py's default, as `make run` starts it
            env={
                "JOMRES_DEMO": "1",
                "JOMRES_DEVELOPMENT": "0",
                "JOMRES_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
                **(env or {}),
            },
            root=root,
        )
        self.env = self.server.env

    def start(self):
        self.server.start(timeout=60)
        # every session the bench uses logs in once, here: the login form is rate limited
        self.browser = self.server.session("manager", "manager")
        self.senders = [self.server.session("manager", "manager") for _ in range(4)]
        self.pages = self.server.session("manager", "manager")
        from jomres_like import create_app

        self.app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": self.env["DATABASE_URL"],
                "SECRET_KEY": self.env["SECRET_KEY"],
                "JOMRES_TEMP_DIR": str(self.server.workdir / "bench-temp"),
                "JOMRES_LOG_DIR": str(self.server.workdir / "bench-logs"),
                "JOMRES_SWEEP_SECONDS": 0,
                "JOMRES_SELF_URL": "http://127.0.0.1:9",
            }
        )
        with self.app.app_context():
            from sqlalchemy import select

            from jomres_like.extensions import db
            from jomres_like.models import Booking

            self.booking = db.session.scalar(
                select(Booking)
                .where(Booking.property_id == 1, Booking.cancelled.is_(False))
                .order_by(Booking.id)
            )
            self.departure = self.booking.departure
        self.edit_url = f"{self.server.url}/manager/properties/1/bookings/{self.booking.id}/edit"
        self.fields: dict[int, tuple[FormPoster, list]] = {}
        self.flip = 0
        self.changes = 0
        self.lock = threading.Lock()
        return self

    def set_webhooks(self, urls: list[str], events: list[str] | None = None) -> None:
        """Replace every webhook with one per URL (manager's, all events unless ``events``).

        The slow/down marks of the old webhooks are removed too (the service does that on delete; here
        the rows go directly), since SQLite hands their ids to the new ones.
        """
        for mark in (self.server.temp_dir / "deferred_tasks" / "marks").glob(".[sd]*-*"):
            mark.unlink(missing_ok=True)
        from sqlalchemy import delete, select

        from jomres_like import crypto
        from jomres_like.extensions import db
        from jomres_like.models import DeliveryAttempt, User, Webhook, WebhookDelivery
        from jomres_like.webhooks.signing import generate_secret

        with self.app.app_context():
            # as the service deletes them: SQLite hands the old ids to the new webhooks, so deliveries
            # left behind would be sent to them
            for model in (DeliveryAttempt, WebhookDelivery, Webhook):
                db.session.execute(delete(model))
            owner = db.session.scalar(select(User.id).where(User.username == "manager"))
            for url in urls:
                db.session.add(
                    Webhook(
                        owner_id=owner,
                        url=url,
                        secret_encrypted=crypto.encrypt(generate_secret()),
                        events=list(events or []),
                    )
                )
            db.session.commit()

    def prime(self, browser) -> None:
        """Load the booking form once for ``browser`` (each session has its own CSRF token)."""
        if id(browser) not in self.fields:
            page = browser.get(self.edit_url, timeout=10).text
            fields = [f for f in form_fields(page) if f[0] not in ("departure", "special_reqs")]
            self.fields[id(browser)] = (FormPoster(browser, self.edit_url), fields)

    def change_booking(self, browser=None) -> float:
        """POST the booking form with the departure moved by one day either way; return seconds taken."""
        browser = browser or self.browser
        self.prime(browser)
        with self.lock:  # a change every time, even when two senders race: each POST is one event
            self.flip ^= 1
            self.changes += 1
            departure = (self.departure + timedelta(days=self.flip)).isoformat()
            note = f"bench change {self.changes}"
        poster, fields = self.fields[id(browser)]
        started = time.perf_counter()
        status = poster.post(fields + [("departure", departure), ("special_reqs", note)], timeout=30)
        elapsed = time.perf_counter() - started
        if status not in (302, 303):
            raise RuntimeError(f"booking change answered {status}")
        return elapsed

    def drain(self, timeout: float = 90) -> int:
        """Wait (bounded) until no delivery is pending; return how many still are."""
        from sqlalchemy import func, select

        from jomres_like.extensions import db
        from jomres_like.models import WebhookDelivery

        deadline = time.time() + timeout
        while True:
            with self.app.app_context():
                left = db.session.scalar(
                    select(func.count(WebhookDelivery.id)).where(
                        WebhookDelivery.status.in_(("pending", "delivering"))
                    )
                )
            if not left or time.time() > deadline:
                return left
            time.sleep(0.5)


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


def main() -> None:
    """Run every measurement and print a Markdown summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args()
    samples, seconds = (40, 5) if args.quick else (150, 10)
    speed = _machine.Readings()
    workdir = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    bench = Bench(workdir)
    fast, sleepy, silent = Receiver(), Receiver(delay=5), Silent()
    try:
        bench.start()
        bench.set_webhooks([])
        latency(bench, 10)  # warm-up
        speed.take("before 1")
        base = latency(bench, samples)
        bench.set_webhooks([sleepy.url] * 5)
        hooked = latency(bench, samples)
        print("## Pipeline\n")
        print(
            f"1. booking change, no webhooks: median {statistics.median(base):.1f} ms, "
            f"p95 {pct(base, 95):.1f} ms; 5 webhooks on a 5 s receiver: "
            f"median {statistics.median(hooked):.1f} ms, "
            f"p95 {pct(hooked, 95):.1f} ms "
            f"({statistics.median(hooked) - statistics.median(base):+.1f} ms at the median)"
        )
        print(f"   (deliveries to the 5 s receiver still pending 10 s later: {bench.drain(10)})")
        bench.set_webhooks([])
        time.sleep(6)  # the slow deliveries in flight end before the next phase
        speed.take("before 2")
        rate, got, want, busy, (user, system) = throughput(bench, fast, 10, 200 if args.quick else 400)
        print(
            f"2. end-to-end throughput, fast receiver: {rate:.0f} deliveries/s ({got}/{want} delivered; "
            f"machine CPU {busy:.0f} % busy; the workers' CPU per delivery: {user:.2f} ms user, "
            f"{system:.2f} ms system)"
        )
        print(f"   (deliveries still pending after draining: {bench.drain()})")
        bench.set_webhooks([fast.url])
        speed.take("before 3")
        lags, page_base = paced(bench, [fast], 50, seconds)
        print(
            f"3. lag at 50 events/s: p50 {pct(lags, 50):.1f} ms, p95 {pct(lags, 95):.1f} ms, "
            f"p99 {pct(lags, 99):.1f} ms"
            f" ({len(lags)} arrivals); page loads p95 {pct(page_base, 95):.1f} ms"
        )
        bench.drain()
        bench.set_webhooks([fast.url, silent.url])
        speed.take("before 4")
        lags2, page_silent = paced(bench, [fast], 50, seconds)
        # (3) again once the dead receiver's deliveries have timed out: a machine whose speed drifts within
        # a minute weighs on both sides of the comparison alike
        bench.set_webhooks([fast.url])
        time.sleep(webhook_timeout(bench.env) + 1)
        speed.take("after 4")
        lags3, page_after = paced(bench, [fast], 50, seconds)
        lag, pages = pct(lags2, 95), pct(page_silent, 95)
        lag_without = (pct(lags, 95) + pct(lags3, 95)) / 2
        pages_without = (pct(page_base, 95) + pct(page_after, 95)) / 2
        print(
            f"4. beside a receiver that never answers: healthy lag p50 {pct(lags2, 50):.1f} ms, "
            f"p95 {lag:.1f} ms, p99 {pct(lags2, 99):.1f} ms ({len(lags2)} arrivals); "
            f"page loads p95 {pages:.1f} ms (x{ratio(lag, lag_without)} lag, x{ratio(pages, pages_without)} "
            "pages, against the mean of (3) and of (3) again afterwards)"
        )
        print(
            f"   ((3) again afterwards: lag p95 {pct(lags3, 95):.1f} ms, page loads p95 "
            f"{pct(page_after, 95):.1f} ms; against (3) alone: x{ratio(lag, pct(lags, 95))} lag, "
            f"x{ratio(pages, pct(page_base, 95))} pages)"
        )
        rss = _procs.peak_rss(_procs.children(bench.server.process.pid))
        print(
            "5. peak RSS per worker: "
            + ", ".join(f"pid {pid}: {kb / 1024:.0f} MB" for pid, kb in rss.items())
        )
        speed.take("end")
        print(f"\n{speed.line()}")
    finally:
        bench.server.stop()
        for receiver in (fast, sleepy, silent):
            receiver.close()


if __name__ == "__main__":
    main()
