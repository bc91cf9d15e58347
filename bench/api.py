"""REST API benchmark: token-authenticated callback GETs vs an unauthenticated trivial JSON endpoint.

Starts the real app under gunicorn (tests/live.py) on a scratch SQLite database with the demo data, creates
an app key with ``flask api-keys create``, then, in the same run and with the same client threads, measures:

- ``GET /jomres/api/`` (no token, a few bytes of JSON): the baseline;
- ``GET /jomres/api/webhooks/1/booking_modified/<id>`` with a bearer token (the full contract_details);
- ``POST /jomres/api/oauth/token`` (client credentials).

The baseline and the callback are measured in alternating slices (``--rounds``, default 4), so that the load
of the shared machine weighs on both alike rather than on whichever ran during a busy moment.

Target: callback requests per second at least 0.5 x the baseline. Usage: ``.venv/bin/python bench/api.py
[--seconds 5] [--threads 8]``; ``DATABASE_URL`` may point at PostgreSQL or MariaDB instead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from live import LiveServer  # noqa: E402 - tests/ is not a package on the path by default

TARGET_RATIO = 0.5


def measure(label: str, send, seconds: float, threads: int) -> tuple[int, float]:
    """Requests sent by ``send(session)`` from ``threads`` threads during ``seconds``, and the time taken."""
    counts = [0] * threads
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            response = send(session)
            if response.status_code != 200:
                errors.append(f"{response.status_code} {response.text[:200]}")
                return
            counts[index] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=seconds + 30)
    elapsed = time.monotonic() - started
    if errors:
        raise SystemExit(f"{label or 'request'}: {len(errors)} failed request(s), first: {errors[0]}")
    if label:
        print(f"  {label:<52} {sum(counts):>7} requests  {sum(counts) / elapsed:>8.1f} req/s")
    return sum(counts), elapsed


def interleaved(labels: tuple[str, str], sends: tuple, seconds: float, threads: int,
                rounds: int) -> list[float]:
    """Requests per second of two request kinds measured in alternating slices, so that the shared machine's
    load changes weigh on both alike."""
    totals = [[0, 0.0], [0, 0.0]]
    for _ in range(rounds):
        for index, send in enumerate(sends):
            count, elapsed = measure("", send, seconds / rounds, threads)
            totals[index][0] += count
            totals[index][1] += elapsed
    rates = []
    for label, (count, elapsed) in zip(labels, totals, strict=True):
        rates.append(count / elapsed)
        print(f"  {label:<52} {count:>7} requests  {count / elapsed:>8.1f} req/s")
    return rates


def main() -> int:
    """Run the benchmark and print the results (exit 1 when the ratio misses the target)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4, help="alternating slices of baseline and callback")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="jomres-bench-api-"))
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    server = LiveServer(workdir, database, env={"JOMRES_DEMO": "1", "JOMRES_DEVELOPMENT": "0",
                                                "JOMRES_TOKEN_RATE_LIMIT": "1000000 per minute"})
    server.start(timeout=60)
    try:
        key = json.loads(server.flask("api-keys", "create", "--user", "manager", "--scopes",
                                      "webhooks_get,bookings_get", "--json").stdout)
        auth = (key["client_id"], key["client_secret"])
        token = requests.post(server.url + "/jomres/api/oauth/token", auth=auth, timeout=10,
                              data={"grant_type": "client_credentials"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        bookings = requests.get(server.url + "/jomres/api/properties/1/bookings?per_page=1", headers=headers,
                                timeout=10).json()["data"]["bookings"]
        callback = f"{server.url}/jomres/api/webhooks/1/booking_modified/{bookings[0]['contract_uid']}"
        trivial = server.url + "/jomres/api/"

        print(f"jomres_like API benchmark: gunicorn 2 workers x 8 threads, {args.threads} client threads, "
              f"{args.seconds:g} s each, {database.split(':')[0]}")
        for session_url in (trivial, callback):  # warm up both workers
            for _ in range(20):
                requests.get(session_url, headers=headers, timeout=10)
        baseline, callbacks = interleaved(
            ("GET /jomres/api/ (no token, trivial JSON)",
             "GET /jomres/api/webhooks/1/booking_modified/<id> (token)"),
            (lambda s: s.get(trivial, timeout=10), lambda s: s.get(callback, headers=headers, timeout=10)),
            args.seconds, args.threads, args.rounds)
        count, elapsed = measure("POST /jomres/api/oauth/token (client credentials)",
                                 lambda s: s.post(server.url + "/jomres/api/oauth/token", auth=auth,
                                                  timeout=10, data={"grant_type": "client_credentials"}),
                                 args.seconds, args.threads)
        tokens = count / elapsed
    finally:
        server.stop()
    ratio = callbacks / baseline
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"  callback / trivial ratio: {ratio:.2f} ({verdict} the {TARGET_RATIO} target); "
          f"token requests: {tokens:.1f}/s")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
