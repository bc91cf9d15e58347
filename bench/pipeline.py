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

``--databases sqlite,postgresql,mariadb`` runs the app once per database, each on a private database created
for the run on the local server (PostgreSQL 127.0.0.1:5432 user ``postgres``, MariaDB 127.0.0.1:3306 user
``root``, named ``bench_pipeline_<pid>``; dropped at the end), each with receivers of its own; every phase
runs on every database in turn, in ``--rounds`` rounds shuffled within each (:mod:`_rounds`), and one table
at the end gives the medians and the ratios to SQLite. Without ``--databases``, one app runs on
``DATABASE_URL`` or a scratch SQLite file.

Every loop is bounded in count and time. Usage: ``.venv/bin/python bench/pipeline.py [--quick]
[--seconds 10] [--databases sqlite,postgresql,mariadb] [--rounds 1]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import _databases  # noqa: E402 - bench/ is the script's own folder
import _machine  # noqa: E402 - likewise
import _procs  # noqa: E402 - likewise
import _rounds  # noqa: E402 - likewise
from _browser import FormPoster  # noqa: E402 - likewise
from _measure import latency, paced, pct, throughput  # noqa: E402, F401 - likewise; _compare.py uses them
from _peers import Receiver, Silent  # noqa: E402 - likewise
from live import LiveServer, form_fields  # noqa: E402 - tests/ is not a package on the path by default

from jomres_like.config import DEFAULTS  # noqa: E402 - the project root is on the path just above


def webhook_timeout(env: dict) -> float:
    """Seconds a delivery to the receiver that never answers lasts: the server's total timeout."""
    return float(env.get("JOMRES_WEBHOOK_TIMEOUT") or DEFAULTS["JOMRES_WEBHOOK_TIMEOUT"])


def ratio(value: float, base: float) -> str:
    """``value / base`` to two decimals (a zero base counts as 0.001)."""
    return f"{value / max(0.001, base):.2f}"


class Bench:
    """The app under gunicorn plus helpers to add webhooks and raise events through the UI."""

    def __init__(
        self, workdir: Path, root: Path = ROOT, env: dict | None = None, database: str | None = None
    ):
        """The app of the checkout ``root`` (this one by default), with ``env`` added to its environment, on
        ``database`` (default: ``DATABASE_URL``, else a SQLite file in ``workdir``)."""
        database = database or os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
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


@dataclass
class Receivers:
    """One app's receivers: fast, sleeping 5 s before each answer, and never answering."""

    fast: Receiver = field(default_factory=Receiver)
    sleepy: Receiver = field(default_factory=lambda: Receiver(delay=5))
    silent: Silent = field(default_factory=Silent)

    def close(self) -> None:
        """Stop the three."""
        for receiver in (self.fast, self.sleepy, self.silent):
            receiver.close()


@dataclass(frozen=True)
class Run:
    """What every phase is given: sample counts, the paced phases' duration, the machine's readings."""

    samples: int
    seconds: float
    events: int
    speed: _machine.Readings


def phase_latency(bench: Bench, receivers: Receivers, run: Run, figures: dict) -> list[str]:
    """(1) Booking changes without webhooks, then with 5 on the slow receiver."""
    bench.set_webhooks([])
    base = latency(bench, run.samples)
    bench.set_webhooks([receivers.sleepy.url] * 5)
    hooked = latency(bench, run.samples)
    figures.update(change=statistics.median(base), hooked=statistics.median(hooked))
    lines = [
        f"1. booking change, no webhooks: median {statistics.median(base):.1f} ms, "
        f"p95 {pct(base, 95):.1f} ms; 5 webhooks on a 5 s receiver: "
        f"median {statistics.median(hooked):.1f} ms, "
        f"p95 {pct(hooked, 95):.1f} ms "
        f"({statistics.median(hooked) - statistics.median(base):+.1f} ms at the median)",
        f"   (deliveries to the 5 s receiver still pending 10 s later: {bench.drain(10)})",
    ]
    bench.set_webhooks([])
    time.sleep(6)  # the slow deliveries in flight end before the next phase
    return lines


def phase_throughput(bench: Bench, receivers: Receivers, run: Run, figures: dict) -> list[str]:
    """(2) Deliveries per second to 10 webhooks on the fast receiver."""
    rate, got, want, busy, (user, system) = throughput(bench, receivers.fast, 10, run.events)
    figures.update(rate=rate, cpu=user + system)
    return [
        f"2. end-to-end throughput, fast receiver: {rate:.0f} deliveries/s ({got}/{want} delivered; "
        f"machine CPU {busy:.0f} % busy; the workers' CPU per delivery: {user:.2f} ms user, "
        f"{system:.2f} ms system)",
        f"   (deliveries still pending after draining: {bench.drain()})",
    ]


def phase_lag(bench: Bench, receivers: Receivers, run: Run, figures: dict) -> list[str]:
    """(3) Lag at 50 events/s to one webhook on the fast receiver, with page loads meanwhile."""
    bench.set_webhooks([receivers.fast.url])
    lags, pages = paced(bench, [receivers.fast], 50, run.seconds)
    figures.update(lag50=pct(lags, 50), lag95=pct(lags, 95), pages95=pct(pages, 95))
    bench.drain()
    return [
        f"3. lag at 50 events/s: p50 {pct(lags, 50):.1f} ms, p95 {pct(lags, 95):.1f} ms, "
        f"p99 {pct(lags, 99):.1f} ms"
        f" ({len(lags)} arrivals); page loads p95 {pct(pages, 95):.1f} ms"
    ]


def phase_beside_dead(bench: Bench, receivers: Receivers, run: Run, figures: dict) -> list[str]:
    """(4) Phase 3 beside the receiver that never answers, then phase 3 again once it has timed out."""
    bench.set_webhooks([receivers.fast.url, receivers.silent.url])
    lags2, page_silent = paced(bench, [receivers.fast], 50, run.seconds)
    # (3) again once the dead receiver's deliveries have timed out: a machine whose speed drifts within
    # a minute weighs on both sides of the comparison alike
    bench.set_webhooks([receivers.fast.url])
    time.sleep(webhook_timeout(bench.env) + 1)
    run.speed.take("after 4")
    lags3, page_after = paced(bench, [receivers.fast], 50, run.seconds)
    lag, pages = pct(lags2, 95), pct(page_silent, 95)
    lag_without = (figures["lag95"] + pct(lags3, 95)) / 2
    pages_without = (figures["pages95"] + pct(page_after, 95)) / 2
    figures.update(dead_lag95=lag, dead_pages95=pages)
    return [
        f"4. beside a receiver that never answers: healthy lag p50 {pct(lags2, 50):.1f} ms, "
        f"p95 {lag:.1f} ms, p99 {pct(lags2, 99):.1f} ms ({len(lags2)} arrivals); "
        f"page loads p95 {pages:.1f} ms (x{ratio(lag, lag_without)} lag, x{ratio(pages, pages_without)} "
        "pages, against the mean of (3) and of (3) again afterwards)",
        f"   ((3) again afterwards: lag p95 {pct(lags3, 95):.1f} ms, page loads p95 "
        f"{pct(page_after, 95):.1f} ms; against (3) alone: x{ratio(lag, figures['lag95'])} lag, "
        f"x{ratio(pages, figures['pages95'])} pages)",
    ]


def phase_rss(bench: Bench, receivers: Receivers, run: Run, figures: dict) -> list[str]:
    """(5) Peak RSS of each gunicorn worker."""
    rss = _procs.peak_rss(_procs.children(bench.server.process.pid))
    figures.update(rss=max(rss.values(), default=0) / 1024)
    sizes = ", ".join(f"pid {pid}: {kb / 1024:.0f} MB" for pid, kb in rss.items())
    return [f"5. peak RSS per worker: {sizes}"]


PHASES = (phase_latency, phase_throughput, phase_lag, phase_beside_dead, phase_rss)
#: the figures of the table printed for several databases, in its order
MEASURES = [
    ("change", "1. booking change, no webhooks, median ms"),
    ("hooked", "1. booking change, 5 webhooks on a 5 s receiver, median ms"),
    ("rate", "2. deliveries/s, fast receiver"),
    ("cpu", "2. workers' CPU ms per delivery (user + system)"),
    ("lag50", "3. lag p50 ms at 50 events/s"),
    ("lag95", "3. lag p95 ms at 50 events/s"),
    ("pages95", "3. page loads p95 ms"),
    ("dead_lag95", "4. beside a dead receiver: lag p95 ms"),
    ("dead_pages95", "4. beside a dead receiver: page loads p95 ms"),
    ("rss", "5. largest worker's peak RSS, MB"),
]


def main() -> None:
    """Run every measurement on each database and print a Markdown summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (40 booking changes, 200 events)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="duration of each paced run of phases 3 and 4 (default 10, 5 with --quick)")
    parser.add_argument("--databases", default=None, metavar="LIST",
                        help="comma-separated among sqlite,postgresql,mariadb: one app on a private database "
                             "of each, phases interleaved (default: one app on DATABASE_URL or SQLite)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of every phase on every database")
    args = parser.parse_args()
    try:
        kinds = _databases.parse_kinds(args.databases) if args.databases else None
    except ValueError as exc:
        raise SystemExit(f"--databases: {exc}") from None
    if not 1 <= args.rounds <= 20 or not 1 <= (args.seconds or 1) <= 600:
        raise SystemExit("--rounds takes 1 to 20, --seconds 1 to 600")
    speed = _machine.Readings()
    seconds = args.seconds or (5 if args.quick else 10)
    run = Run(40 if args.quick else 150, seconds, 200 if args.quick else 400, speed)
    workdir = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    databases = _databases.PrivateDatabases(workdir, f"bench_pipeline_{os.getpid()}")
    benches: dict[str, Bench] = {}
    receivers: dict[str, Receivers] = {}
    try:
        for kind in kinds or [os.environ.get("DATABASE_URL", "sqlite").split(":")[0].split("+")[0]]:
            url = databases.url(kind) if kinds else None
            receivers[kind] = Receivers()
            benches[kind] = Bench(workdir / kind, database=url).start()
            benches[kind].set_webhooks([])
            latency(benches[kind], 10)  # warm-up
        figures: dict[str, list[dict]] = {kind: [{} for _ in range(args.rounds)] for kind in benches}
        several = len(benches) > 1 or args.rounds > 1
        print("## Pipeline\n")
        for number, phase in enumerate(PHASES, 1):
            if number <= 4:
                speed.take(f"before {number}")
            for turn, kind in _rounds.schedule(list(benches), args.rounds):
                lines = phase(benches[kind], receivers[kind], run, figures[kind][turn - 1])
                for line in lines:
                    print(f"[{kind}, round {turn}] {line}" if several else line, flush=True)
        speed.take("end")
        if several:
            base = "sqlite" if "sqlite" in benches else next(iter(benches))
            medians = {kind: _rounds.medians(rounds) for kind, rounds in figures.items()}
            print(f"\nMedians over {args.rounds} round(s), with the ratios to {base}:\n")
            print(_rounds.table(MEASURES, medians, base))
        print(f"\n{speed.line()}")
    finally:
        for bench in benches.values():
            bench.server.stop()
        for bundle in receivers.values():
            bundle.close()
        for error in databases.drop():
            print(error, file=sys.stderr)


if __name__ == "__main__":
    main()
