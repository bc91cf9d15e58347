"""jomres_like beside two peers that deliver webhooks, in one run: delivered/s, lag and worker CPU per event.

The systems, all driven from this process against one receiver on 127.0.0.1 (:class:`_peers.Receiver`, each
system with a path of its own below it), each server under gunicorn gthread, 3 workers x 8 threads:

- the raw loopback ceiling: the driver posts the events straight to the receiver;
- flask-integration 0.2.2 on SQLite (Python 3.12: pyenv's where present), delivering from its thread pool;
- django-outbound-webhooks 0.4.0 on PostgreSQL, delivered by 1 relay (``manage.py deliver_events``);
- jomres_like on SQLite and on PostgreSQL (the demo data, production rules, the receiver's network
  allowed), one webhook on ``booking_modified``.

Our trigger is a REST ``PATCH`` of a booking (a bearer token, ``special_reqs`` changed; one booking per
driver thread); theirs is a route that only fires the event. The peers are installed from PyPI at run time
into scratch virtual environments (:mod:`_peer_apps`; ``--scratch DIR`` keeps and reuses them), never
vendored; a peer that cannot be installed or started is reported and skipped. The databases are private
ones created for the run and dropped at the end (:mod:`_databases`).

In each of ``--rounds`` rounds, every system in a shuffled order (:mod:`_rounds`) takes a burst
(``--events`` triggers from 4 threads: events delivered per second from the first trigger to the last
arrival, and the CPU its server's processes used per event, workers and relay), then a paced run
(50 events/s for ``--seconds``: lag from the event's time in the body to its arrival, p50 and p95). One table
at the end gives the medians and the ratios to jomres_like on SQLite.

Every loop is bounded in count and time. Usage: ``.venv/bin/python bench/peers.py [--rounds 3]
[--events 400] [--seconds 10] [--systems ...] [--scratch DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from base64 import b64encode
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import _databases  # noqa: E402 - bench/ is the script's own folder
import _peer_apps  # noqa: E402 - likewise; needs tests/ on the path, just above
import _procs  # noqa: E402 - likewise
import _rounds  # noqa: E402 - likewise
import pipeline  # noqa: E402 - likewise
from _measure import pct  # noqa: E402 - likewise
from _peers import Receiver  # noqa: E402 - likewise

PATH_KEY = "_bench_path"  # where the receiver notes the request's path in each body
THREADS = 4


class System:
    """One system the driver triggers: started against the receiver, then one event per :meth:`fire`."""

    key = ""
    label = ""

    def start(self, hook_url: str) -> None:
        """Install and start it, its one webhook at ``hook_url``; RuntimeError when it cannot be."""

    def fire(self, thread: int) -> None:
        """Trigger one event from driver thread ``thread`` (0 to THREADS - 1)."""
        raise NotImplementedError

    def fired_at(self, body: dict) -> float:
        """When the event of a delivered ``body`` happened (epoch seconds)."""
        return float(body["fired_at"])

    def pids(self) -> list[int]:
        """The processes whose CPU counts as the system's (none for the loopback ceiling)."""
        return []

    def stop(self) -> None:
        """Stop whatever :meth:`start` started."""


class Loopback(System):
    """The raw loopback ceiling: the driver posts each event straight to the receiver."""

    key, label = "loopback", "raw loopback ceiling"

    def start(self, hook_url: str) -> None:
        self.path = "/" + hook_url.split("/", 3)[3]
        self.callers = [_peer_apps.Caller(hook_url) for _ in range(THREADS)]

    def fire(self, thread: int) -> None:
        body = json.dumps({"id": secrets.token_hex(8), "fired_at": time.time()}).encode()
        self.callers[thread].send("POST", self.path, body, {"Content-Type": "application/json"})


class PeerServer(System):
    """A peer under gunicorn in a scratch venv; POST /fire fires one event."""

    def __init__(self, scratch: Path, databases: _databases.PrivateDatabases):
        self.folder = scratch / self.key
        self.databases = databases
        self.server: _peer_apps.Gunicorn | None = None
        self.versions = ""

    def fire(self, thread: int) -> None:
        status = self.callers[thread].send("POST", "/fire")
        if status >= 400:
            raise RuntimeError(f"{self.label}: POST /fire answered {status}")

    def pids(self) -> list[int]:
        return self.server.workers() if self.server else []

    def serve(self, bin_dir: Path, app: str, env: dict[str, str]) -> None:
        """Start ``app`` under gunicorn, and a caller per driver thread."""
        self.server = _peer_apps.Gunicorn(bin_dir, self.folder, app, env)
        self.server.start()
        self.callers = [_peer_apps.Caller(self.server.url) for _ in range(THREADS)]

    def stop(self) -> None:
        if self.server:
            self.server.stop()


class FlaskIntegration(PeerServer):
    """flask-integration 0.2.2 on SQLite (WAL), delivering from each worker's thread pool."""

    key, label = "flask_integration", "flask-integration 0.2.2 (SQLite)"

    def start(self, hook_url: str) -> None:
        python = _peer_apps.python312()
        if python is None:
            raise RuntimeError("needs Python 3.12 or later: no pyenv 3.12, no python3.12 on the path")
        bin_dir = _peer_apps.scratch_venv(self.folder / "venv", python,
                                          [_peer_apps.FLASK_INTEGRATION, _peer_apps.GUNICORN])
        self.versions = _peer_apps.installed(bin_dir, ["flask-integration", "flask", "sqlalchemy"])
        _peer_apps.write_files(self.folder, _peer_apps.FLASK_INTEGRATION_FILES)
        env = {"PEER_DATABASE_URL": self.databases.url("sqlite", self.key)}
        _peer_apps.run_checked([str(bin_dir / "python"), "app.py", hook_url], self.folder, env)
        self.serve(bin_dir, "app:app", env)


class DjangoOutbound(PeerServer):
    """django-outbound-webhooks 0.4.0 on PostgreSQL, delivered by one relay process."""

    key, label = "django_outbound", "django-outbound-webhooks 0.4.0 (PostgreSQL, 1 relay)"

    def start(self, hook_url: str) -> None:
        self.relay = None
        bin_dir = _peer_apps.scratch_venv(
            self.folder / "venv", _peer_apps.this_python(),
            [_peer_apps.DJANGO_OUTBOUND_WEBHOOKS, _peer_apps.PSYCOPG, _peer_apps.GUNICORN])
        self.versions = _peer_apps.installed(
            bin_dir, ["django-outbound-webhooks", "django-domain-events", "django", "httpx2"])
        _peer_apps.write_files(self.folder, _peer_apps.DJANGO_FILES)
        url = self.databases.url("postgresql", self.key).replace("+psycopg", "")
        env = {"PEER_DATABASE_URL": url}
        python = str(bin_dir / "python")
        _peer_apps.run_checked([python, "manage.py", "migrate", "-v", "0"], self.folder, env)
        secret = "whsec_" + b64encode(secrets.token_bytes(24)).decode()
        endpoint = _peer_apps.django_endpoint(hook_url, secret)
        _peer_apps.run_checked([python, "manage.py", "shell", "-c", endpoint], self.folder, env)
        self.relay = _peer_apps.spawn([python, "manage.py", "deliver_events"], self.folder, env,
                                      self.folder / "relay.out")
        self.serve(bin_dir, "benchsite.wsgi:application", env)

    def fired_at(self, body: dict) -> float:
        return float(body["data"]["fired_at"])  # the envelope: id, type, timestamp, data

    def pids(self) -> list[int]:
        return super().pids() + ([self.relay.pid] if self.relay else [])

    def stop(self) -> None:
        super().stop()
        _peer_apps.stop(self.relay)


class Jomres(System):
    """jomres_like (pipeline.py's Bench, 3 workers x 8 threads); each event a REST PATCH of a booking."""

    def __init__(self, kind: str, workdir: Path, databases: _databases.PrivateDatabases):
        self.kind, self.workdir, self.databases = kind, workdir, databases
        self.key = f"jomres_{kind}"
        self.label = f"jomres_like ({'SQLite' if kind == 'sqlite' else 'PostgreSQL'})"
        self.bench: pipeline.Bench | None = None
        self.counter = 0
        self.lock = threading.Lock()

    def start(self, hook_url: str) -> None:
        database = self.databases.url(self.kind, self.key)
        self.bench = pipeline.Bench(self.workdir / self.key, database=database,
                                    env={"GUNICORN_WORKERS": "3", "GUNICORN_THREADS": "8"}).start()
        self.bench.set_webhooks([hook_url], events=["booking_modified"])
        server = self.bench.server
        key = json.loads(server.flask("api-keys", "create", "--user", "manager", "--scopes",
                                      "bookings_get,bookings_set", "--json").stdout)
        token = requests.post(f"{server.url}/jomres/api/oauth/token", auth=(key["client_id"],
                              key["client_secret"]), data={"grant_type": "client_credentials"},
                              timeout=10).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        listing = requests.get(f"{server.url}/jomres/api/properties/1/bookings?per_page=20",
                               headers=self.headers, timeout=10).json()["data"]["bookings"]
        uids = [b["contract_uid"] for b in listing if not b.get("cancelled")] or [self.bench.booking.id]
        self.paths = [f"/jomres/api/properties/1/bookings/{uids[n % len(uids)]}" for n in range(THREADS)]
        self.callers = [_peer_apps.Caller(server.url) for _ in range(THREADS)]

    def fire(self, thread: int) -> None:
        with self.lock:  # a new value every time, so every PATCH changes the booking
            self.counter += 1
            note = f"peers {self.counter}"
        body = json.dumps({"special_reqs": note}).encode()
        status = self.callers[thread].send("PATCH", self.paths[thread], body, self.headers)
        if status != 200:
            raise RuntimeError(f"{self.label}: PATCH answered {status}")

    def fired_at(self, body: dict) -> float:
        created = datetime.strptime(body["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        return created.timestamp()

    def pids(self) -> list[int]:
        return _procs.children(self.bench.server.process.pid) if self.bench else []

    def stop(self) -> None:
        if self.bench:
            self.bench.server.stop()


def arrivals(receiver: Receiver, system: System) -> list[tuple[float, dict]]:
    """The receiver's arrivals of ``system`` (by the path of its webhook URL), each ``id`` once."""
    seen, found = set(), []
    for arrived, body in list(receiver.arrivals):
        if body.get(PATH_KEY) == f"/hook/{system.key}" and body.get("id") not in seen:
            seen.add(body.get("id"))
            found.append((arrived, body))
    return found


def drive(system: System, count: int, rate: float | None) -> float:
    """``count`` triggers from THREADS threads, at ``rate``/s in all (None: as fast as they go); the
    time.time() they started at."""
    sent, lock, errors = 0, threading.Lock(), []
    started = time.time()

    def sender(thread: int) -> None:
        nonlocal sent
        while not errors:
            with lock:
                if sent >= count:
                    return
                due = started + sent / rate if rate else 0
                sent += 1
            if due > time.time():
                time.sleep(due - time.time())
            try:
                system.fire(thread)
            except Exception as exc:  # noqa: BLE001 - reported below, the run stops
                errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=sender, args=(n,), daemon=True) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=(count / rate if rate else 0) + 120)
    if errors:
        raise RuntimeError(errors[0])
    return started


def wait_for(receiver: Receiver, system: System, want: int, timeout: float) -> list[tuple[float, dict]]:
    """The system's arrivals once ``want`` have come or ``timeout`` s have passed."""
    deadline = time.time() + timeout
    while True:
        found = arrivals(receiver, system)
        if len(found) >= want or time.time() > deadline:
            return found
        time.sleep(0.05)


def burst(system: System, receiver: Receiver, events: int) -> dict[str, float]:
    """Delivered/s and the server's CPU ms per event for ``events`` triggers sent as fast as they go."""
    receiver.arrivals.clear()
    pids = system.pids()
    before = _procs.cpu_seconds(pids)
    started = drive(system, events, None)
    found = wait_for(receiver, system, events, 120)
    after = _procs.cpu_seconds(pids)
    last = max((arrived for arrived, _ in found), default=time.time())
    cpu = sum(after) - sum(before)
    figures = {"rate": len(found) / max(0.001, last - started), "delivered": 100 * len(found) / events}
    if pids:
        figures["cpu"] = 1000 * cpu / max(1, len(found))
    return figures


def paced(system: System, receiver: Receiver, seconds: float) -> dict[str, float]:
    """Lag p50 and p95 (ms) of 50 events/s for ``seconds``."""
    receiver.arrivals.clear()
    count = int(50 * seconds)
    drive(system, count, 50)
    found = wait_for(receiver, system, count, 30)
    lags = [(arrived - system.fired_at(body)) * 1000 for arrived, body in found]
    return {"lag50": pct(lags, 50), "lag95": pct(lags, 95)}


MEASURES = [
    ("rate", "events delivered/s (burst)"),
    ("delivered", "% of the burst delivered"),
    ("lag50", "lag p50 ms at 50 events/s"),
    ("lag95", "lag p95 ms at 50 events/s"),
    ("cpu", "server CPU ms per event (workers, relay)"),
]
SYSTEMS = ("loopback", "flask_integration", "django_outbound", "jomres_sqlite", "jomres_postgresql")


def build(names: list[str], scratch: Path, workdir: Path, databases) -> list[System]:
    """The systems named, in SYSTEMS' order."""
    made = {"loopback": Loopback(), "flask_integration": FlaskIntegration(scratch, databases),
            "django_outbound": DjangoOutbound(scratch, databases),
            "jomres_sqlite": Jomres("sqlite", workdir, databases),
            "jomres_postgresql": Jomres("postgresql", workdir, databases)}
    return [made[name] for name in SYSTEMS if name in names]


def main() -> int:
    """Start every system, run the interleaved rounds, print each round and the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of burst + paced run per system")
    parser.add_argument("--events", type=int, default=400, help="triggers in each burst")
    parser.add_argument("--seconds", type=float, default=10, help="duration of each paced run at 50/s")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated, among these")
    parser.add_argument("--scratch", type=Path, default=None,
                        help="folder for the peers' virtual environments, kept and reused (none: a "
                             "temporary one, removed at the end)")
    args = parser.parse_args()
    names = [name.strip() for name in args.systems.split(",") if name.strip()]
    if not set(names) <= set(SYSTEMS) or not names:
        raise SystemExit(f"--systems takes names among {', '.join(SYSTEMS)}")
    if not 1 <= args.rounds <= 20 or not 8 <= args.events <= 5000 or not 1 <= args.seconds <= 300:
        raise SystemExit("--rounds takes 1 to 20, --events 8 to 5000, --seconds 1 to 300")
    workdir = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    scratch = args.scratch.resolve() if args.scratch else workdir / "scratch"
    databases = _databases.PrivateDatabases(workdir, f"bench_peers_{os.getpid()}")
    receiver = Receiver(path_key=PATH_KEY)
    systems: list[System] = []
    try:
        for system in build(names, scratch, workdir, databases):
            try:
                system.start(f"{receiver.url}/{system.key}")
            except Exception as exc:  # noqa: BLE001 - a peer that cannot run is reported and skipped
                print(f"skipped {system.label}: {type(exc).__name__}: {exc}", flush=True)
                system.stop()
                continue
            systems.append(system)
            versions = getattr(system, "versions", "")
            print(f"started {system.label}{f' ({versions})' if versions else ''}", flush=True)
        figures = {system.key: [{} for _ in range(args.rounds)] for system in systems}
        by_key = {system.key: system for system in systems}
        for system in systems:  # warm-up
            burst(system, receiver, 20)
        for turn, key in _rounds.schedule(list(by_key), args.rounds):
            found = figures[key][turn - 1]
            found.update(burst(by_key[key], receiver, args.events))
            found.update(paced(by_key[key], receiver, args.seconds))
            shown = ", ".join(f"{name} {value:.2f}" for name, value in found.items())
            print(f"round {turn}, {key}: {shown}", flush=True)
        if systems:
            base = "jomres_sqlite" if "jomres_sqlite" in by_key else systems[0].key
            medians = {key: _rounds.medians(rounds) for key, rounds in figures.items()}
            print(f"\nMedians over {args.rounds} round(s), with the ratios to {base}:\n")
            print("\n".join(f"- {system.key}: {system.label}" for system in systems) + "\n")
            print(_rounds.table(MEASURES, medians, base))
    finally:
        for system in systems:
            system.stop()
        receiver.close()
        for error in databases.drop():
            print(error, file=sys.stderr)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
