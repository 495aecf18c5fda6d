"""Percentiles, tables, the machine's description and a CPU sampler, shared by both benchmarks."""

from __future__ import annotations

import math
import os
import platform
import threading
import time
from pathlib import Path


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile (no interpolation); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(latencies_ms: list[float]) -> dict:
    return {
        "count": len(latencies_ms),
        "p50": percentile(latencies_ms, 50),
        "p95": percentile(latencies_ms, 95),
        "p99": percentile(latencies_ms, 99),
        "max": max(latencies_ms) if latencies_ms else None,
    }


def fmt(value, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(headers: list[str], rows: list[list], aligns: str | None = None) -> str:
    """A Markdown table (also readable when printed)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    aligns = aligns or "l" + "r" * (len(headers) - 1)

    def line(values):
        parts = [
            v.ljust(w) if a == "l" else v.rjust(w)
            for v, w, a in zip(values, widths, aligns, strict=True)
        ]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join(
        ("-" * (w + 1) + ":") if a == "r" else ("-" * (w + 2))
        for w, a in zip(widths, aligns, strict=True)
    )
    return "\n".join([line(headers), rule + "|", *(line(r) for r in cells)])


def machine() -> dict:
    cpu_model = ""
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu_model = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for row in Path("/proc/meminfo").read_text().splitlines():
            if row.startswith("MemTotal:"):
                mem_kb = int(row.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


class CpuSampler(threading.Thread):
    """Samples, once a second, the CPU seconds used by each named process tree (and the host).

    A process tree's total counts live processes and the children they have reaped, so
    short-lived PostgreSQL backends (one per request when CONN_MAX_AGE=0) are included.
    """

    def __init__(self, pids: dict[str, int], interval: float = 1.0, limit_s: float = 7200):
        super().__init__(daemon=True)
        self.pids = pids
        self.interval = interval
        self.limit_s = limit_s
        self.samples: list[tuple[float, dict[str, float]]] = []
        self._stop_event = threading.Event()

    @staticmethod
    def _tree_cpu(pid: int) -> float:
        import psutil

        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return 0.0
        total = 0.0
        for proc in procs:
            try:
                t = proc.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.Error:
                continue
        return total

    def sample(self) -> None:
        import psutil

        values = {name: self._tree_cpu(pid) for name, pid in self.pids.items()}
        host = psutil.cpu_times()
        values["host (all)"] = (
            host.user
            + host.system
            + host.nice
            + getattr(host, "irq", 0)
            + (getattr(host, "softirq", 0))
        )
        self.samples.append((time.time(), values))

    def run(self) -> None:
        started = time.monotonic()
        while not self._stop_event.is_set() and time.monotonic() - started < self.limit_s:
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(5)
        self.sample()

    def cores_used(self, start: float, end: float) -> dict[str, float]:
        """Average cores busy per process tree between two moments (nearest samples)."""
        if not self.samples or end <= start:
            return {}
        first = min(self.samples, key=lambda s: abs(s[0] - start))
        last = min(self.samples, key=lambda s: abs(s[0] - end))
        span = last[0] - first[0]
        if span <= 0:
            return {}
        used = {}
        for name, value in last[1].items():
            before = first[1].get(name)
            # A process that exited reads as 0 afterwards: no figure rather than a negative one.
            if before is not None and value >= before > 0:
                used[name] = (value - before) / span
        return used


# The request log's (method, view) -> the load benchmark's endpoint names.
VIEW_NAMES = {
    ("GET", "login"): "GET login",
    ("POST", "login"): "POST login",
    ("GET", "exams:list"): "GET exams",
    ("POST", "exams:start"): "POST start",
    ("GET", "exams:question"): "GET question",
    ("POST", "exams:answer"): "POST answer (autosave)",
    ("POST", "bench_floor"): "POST floor",
    ("POST", "exams:flag"): "POST flag",
    ("GET", "exams:state"): "GET state",
    ("POST", "exams:submit"): "POST submit",
    ("GET", "exams:submitted"): "GET submitted",
}
FLOOR = "POST floor"


def request_cpu(log_paths: list[Path]) -> dict[str, dict]:
    """CPU per request of each endpoint, from the JSON request lines (`cpu_ms`) in the logs.

    `cpu_ms` is the serving thread's CPU time (core/request_log.py): the web process's share
    of a request, not PostgreSQL's or Redis's. The ratio is the mean against the floor's mean.
    """
    import json
    import statistics

    spent: dict[str, list[float]] = {}
    for path in log_paths:
        with open(path, encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if not line.startswith('{"request_id"'):
                    continue
                try:
                    row = json.loads(line)
                except ValueError:
                    continue
                if "cpu_ms" not in row:
                    continue
                key = (row.get("method"), row.get("view"))
                name = VIEW_NAMES.get(key, f"{key[0]} {key[1]}")
                spent.setdefault(name, []).append(float(row["cpu_ms"]))
    floor = statistics.fmean(spent[FLOOR]) if spent.get(FLOOR) else None
    out = {}
    for name, values in spent.items():
        mean = statistics.fmean(values)
        out[name] = {
            "requests": len(values),
            "median_cpu_ms": statistics.median(values),
            "mean_cpu_ms": mean,
            "p95_cpu_ms": percentile(values, 95),
            "ratio_to_floor": mean / floor if floor else None,
        }
    return out
