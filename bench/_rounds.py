"""Interleaved rounds over several systems, and one table of their figures with the ratios to a base system.

The 2-core machine's speed drifts within minutes (BENCHMARKS.md), so systems measured one after the other
differ by the drift as much as by themselves. :func:`schedule` runs every system once a round, in a random
order within each round, so that a drift weighs on all alike; :func:`table` prints the median of each
figure over the rounds, a column per system, and each system's ratio to the base.
"""

from __future__ import annotations

import math
import random
import statistics


def schedule(names: list[str], rounds: int) -> list[tuple[int, str]]:
    """``(round, name)`` pairs, rounds numbered from 1: every name once a round, shuffled within it."""
    order = []
    for number in range(1, rounds + 1):
        order += [(number, name) for name in random.sample(names, len(names))]
    return order


def medians(per_round: list[dict[str, float]]) -> dict[str, float]:
    """The median over the rounds of each figure (a figure missing from a round is left out of it)."""
    keys = {key for figures in per_round for key in figures}
    found = {}
    for key in keys:
        values = [figures[key] for figures in per_round if key in figures and not math.isnan(figures[key])]
        if values:
            found[key] = statistics.median(values)
    return found


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def table(measures: list[tuple[str, str]], figures: dict[str, dict[str, float]], base: str) -> str:
    """A Markdown table: a row per ``(key, label)`` of ``measures``, a column per system of ``figures`` (in
    its order), each followed by its ratio to ``base``'s figure; ``-`` where a figure is missing."""
    names = list(figures)
    header = ["measure"]
    for name in names:
        header += [name] if name == base else [name, f"{name} / {base}"]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, label in measures:
        cells = [label]
        reference = figures.get(base, {}).get(key)
        for name in names:
            value = figures[name].get(key)
            cells.append(_number(value))
            if name != base:
                ratio = value / reference if value is not None and reference else None
                cells.append("-" if ratio is None else f"{ratio:.2f}")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
