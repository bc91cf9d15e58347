"""What the server's processes use, from ``/proc``: the gunicorn workers, their CPU time and memory."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")


def _status(pid: int) -> dict[str, str]:
    """The fields of ``/proc/<pid>/status`` (empty if the process is gone)."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def children(parent: int) -> list[int]:
    """The pids of the processes whose parent is ``parent`` (gunicorn's workers, for its master)."""
    return [
        int(entry.name)
        for entry in PROC.iterdir()
        if entry.name.isdigit() and _status(int(entry.name)).get("PPid", "").strip() == str(parent)
    ]


def peak_rss(pids: list[int]) -> dict[int, int]:
    """Peak RSS (VmHWM, kB) of each of ``pids`` still running."""
    found = {}
    for pid in pids:
        status = _status(pid)
        if "VmHWM" in status:
            found[pid] = int(status["VmHWM"].split()[0])
    return found


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """CPU seconds (user, system) that ``pids`` have used so far (a process gone counts nothing)."""
    user = system = 0
    for pid in pids:
        try:
            fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        user, system = user + int(fields[11]), system + int(fields[12])
    ticks = os.sysconf("SC_CLK_TCK")
    return user / ticks, system / ticks


def cpu_busy() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(value) for value in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4], sum(fields)
