"""Compare the pipeline's throughput of two checkouts, A and B, in alternating short runs on this machine.

Usage: ``.venv/bin/python bench/_compare.py --a <checkout A> --b <checkout B> [--rounds 10] [--events 200]
[--latency] [--env-a NAME=VALUE ...] [--env-b NAME=VALUE ...]``; each checkout defaults to this one (A
against A measures the noise), and ``--env-a``/``--env-b`` add to one side's environment (a setting, a
throwaway switch). Not run by ``make bench``: it needs two checkouts and takes a few minutes.

Why: this 2-core machine's speed drifts within minutes (BENCHMARKS.md), so two full runs taken one after the
other differ by up to 15 % with the same code, as much as most changes are worth. Here both apps run at once
under gunicorn, each with its own SQLite database, temp folder and receiver, and take turns at the
throughput phase of ``pipeline.py`` (``--events`` booking changes to 10 webhooks), in a random order within
each round, so that a drift weighs on both alike. It prints each round, then the median ratio B/A of the
rates and of the workers' CPU per delivery, and in how many rounds B did better. Ten rounds of A against A
gave a median ratio within 4 % of 1, B better in 6 of 10: read a smaller difference as none.

``--latency`` compares phase 1 of ``pipeline.py`` instead: in each round, each side makes a block of
``--events`` booking changes 50 ms apart with 5 webhooks on a receiver that sleeps 5 s; then as many rounds
with no webhooks. It prints the median of each block, the median of those per side, and each side's
difference between the two (the target: at most 3 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pipeline
from _peers import Receiver

ROOT = Path(__file__).resolve().parent.parent


def _env(pairs: list[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--env-a/--env-b take NAME=VALUE, not {pair!r}")
        env[name] = value
    return env


def _summary(name: str, a: list[float], b: list[float], better) -> str:
    ratios = [y / x for x, y in zip(a, b, strict=True)]
    wins = sum(better(x, y) for x, y in zip(a, b, strict=True))
    return (
        f"{name}: A median {statistics.median(a):.2f}, B median {statistics.median(b):.2f}; "
        f"B/A median {statistics.median(ratios):.3f} (from {min(ratios):.3f} to {max(ratios):.3f}); "
        f"B better in {wins} of {len(a)} rounds"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", type=Path, default=ROOT, help="checkout A (default: this one)")
    parser.add_argument("--b", type=Path, default=ROOT, help="checkout B (default: this one)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--events", type=int, default=200,
                        help="booking changes a run (10 deliveries each; --latency: a block)")
    parser.add_argument("--latency", action="store_true", help="phase 1 (booking-change latency) instead")
    parser.add_argument("--env-a", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--env-b", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL"):
        raise SystemExit("unset DATABASE_URL: each side needs a database of its own (SQLite here)")
    if not 1 <= args.rounds <= 100 or not 4 <= args.events <= 2000:
        raise SystemExit("--rounds takes 1 to 100, --events 4 to 2000")
    sides = {"A": (args.a.resolve(), _env(args.env_a)), "B": (args.b.resolve(), _env(args.env_b))}
    for name, (root, env) in sides.items():
        print(f"{name}: {root} {' '.join(f'{k}={v}' for k, v in env.items())}".rstrip())
    benches: dict[str, pipeline.Bench] = {}
    receivers: dict[str, Receiver] = {}
    try:
        for name, (root, env) in sides.items():
            workdir = Path(tempfile.mkdtemp(prefix=f"bench-compare-{name}-"))
            receivers[name] = Receiver(delay=5) if args.latency else Receiver()
            benches[name] = pipeline.Bench(workdir, root=root, env=env).start()
            benches[name].set_webhooks([])
            pipeline.latency(benches[name], 10)  # warm-up
        if args.latency:
            _latency_rounds(benches, receivers, args.rounds, args.events)
        else:
            _throughput_rounds(benches, receivers, args.rounds, args.events)
    finally:
        for bench in benches.values():
            bench.server.stop()
        for receiver in receivers.values():
            receiver.close()


def _throughput_rounds(benches: dict, receivers: dict, rounds: int, events: int) -> None:
    rates: dict[str, list[float]] = {name: [] for name in benches}
    costs: dict[str, list[float]] = {name: [] for name in benches}
    for number in range(rounds):
        for name in random.sample(list(benches), len(benches)):
            bench = benches[name]
            rate, _got, _want, _busy, (user, system) = pipeline.throughput(bench, receivers[name], 10, events)
            rates[name].append(rate)
            costs[name].append(user + system)
            bench.drain(30)
            bench.set_webhooks([])
            time.sleep(1)
        print(
            f"round {number + 1}: "
            + ", ".join(f"{name} {rates[name][-1]:.0f}/s, {costs[name][-1]:.2f} ms" for name in benches),
            flush=True,
        )
    print(_summary("deliveries/s", rates["A"], rates["B"], lambda a, b: b > a))
    print(_summary("workers' CPU ms per delivery", costs["A"], costs["B"], lambda a, b: b < a))


def _latency_rounds(benches: dict, receivers: dict, rounds: int, changes: int) -> None:
    medians: dict[str, dict[str, list[float]]] = {}
    for phase in ("5 slow webhooks", "no webhooks"):
        for name, bench in benches.items():
            bench.set_webhooks([receivers[name].url] * 5 if phase != "no webhooks" else [])
        if phase == "no webhooks":
            time.sleep(6)  # the slow deliveries in flight end first, as in pipeline.py
        medians[phase] = {name: [] for name in benches}
        for number in range(rounds):
            for name in random.sample(list(benches), len(benches)):
                medians[phase][name].append(statistics.median(pipeline.latency(benches[name], changes)))
            print(
                f"{phase}, round {number + 1}: "
                + ", ".join(f"{name} {medians[phase][name][-1]:.2f} ms" for name in benches),
                flush=True,
            )
        print(_summary(f"{phase}: booking change ms", medians[phase]["A"], medians[phase]["B"],
                       lambda a, b: b < a))
    for name in benches:
        slow, none = (statistics.median(medians[phase][name]) for phase in medians)
        print(f"{name}: with 5 slow webhooks {slow - none:+.2f} ms against none (medians of the rounds)")


if __name__ == "__main__":
    sys.exit(main())
