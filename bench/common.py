"""Shared pieces of the benchmark: sizes, timing, figures and the machine description."""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
END = date(2026, 10, 31)  # the last day of the generated history, and the ledger's as-of date
DAYS = 5 * 365 + 1  # five years of history
PACKAGES = ("duckdb", "duckdb_engine", "sqlalchemy", "sqlmodel", "streamlit", "pandas", "pyarrow",
            "reportlab", "openpyxl", "python-calamine", "playwright", "bcrypt")  # fmt: skip


@dataclass(frozen=True)
class Size:
    """How big the generated data is and how hard each section works."""

    accounts: int = 2_000
    documents: int = 1_000_000
    largest: int = 50_000
    xlsx_rows: int = 100_000
    statement_lines: int = 5_000
    sessions: tuple[int, ...] = (1, 10, 20)
    runs: int = 7  # timed repeats of a fast measure (after one warm-up)
    slow_runs: int = 3  # timed repeats of a measure taking seconds
    quick: bool = False

    def manifest(self) -> dict[str, Any]:
        """What the generated data depends on (a reused store must match it)."""
        return {"accounts": self.accounts, "documents": self.documents,
                "largest": self.largest, "xlsx_rows": self.xlsx_rows, "generator": 1}  # fmt: skip


FULL = Size()
QUICK = Size(accounts=60, documents=20_000, largest=2_000, xlsx_rows=2_000, statement_lines=500,
             sessions=(1, 2), runs=3, slow_runs=1, quick=True)  # fmt: skip


@dataclass
class Row:
    """One figure: the portal's value beside its floor, with the ratio's target if any."""

    name: str
    value: float | None
    floor: float | None = None
    target: float | None = None  # the ratio value / floor must not exceed this
    limit: float | None = None  # an absolute ceiling on the value (memory, errors)
    unit: str = "s"  # "s", "MB" or "" (a count)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """value / floor, when both were measured."""
        if self.value is None or not self.floor:
            return None
        return self.value / self.floor

    def verdict(self) -> str:
        """'within target', 'OVER TARGET' or '' when the row has no target."""
        checks = []
        if self.target is not None and self.ratio is not None:
            checks.append(self.ratio <= self.target)
        if self.limit is not None and self.value is not None:
            checks.append(self.value <= self.limit)
        if not checks:
            return ""
        return "within target" if all(checks) else "OVER TARGET"


@dataclass
class Section:
    """A numbered part of the report: its figures, how they were taken, or why it is missing."""

    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unavailable: str | None = None
    seconds: float = 0.0

    def add(self, row: Row) -> Row:
        """Keep a figure and print it at once, so a long run shows progress."""
        self.rows.append(row)
        print(f"  [{self.key}] {describe(row)}", flush=True)
        return row


def describe(row: Row) -> str:
    """A one-line text of a figure for the console."""
    text = f"{row.name}: {show(row.value, row.unit)}"
    if row.floor is not None:
        text += f"  floor {show(row.floor, row.unit)}"
    if row.ratio is not None:
        text += f"  ratio {row.ratio:.2f}x"
    targets = ([f"ratio <= {row.target:g}x"] if row.target is not None else []) + (
        [f"<= {show(row.limit, row.unit)}"] if row.limit is not None else [])
    if targets:
        text += f"  (target {', '.join(targets)}: {row.verdict()})"
    return text + (f"  {row.note}" if row.note else "")


def show(value: float | None, unit: str) -> str:
    """A value in readable units: ms below a second, MB with no decimals."""
    if value is None:
        return "n/a"
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:g}{(' ' + unit) if unit else ''}"


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds one call takes, and its result (garbage collected first, so runs compare)."""
    gc.collect()
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def median_time(work: Callable[[], Any], runs: int, warmup: int = 1) -> float:
    """The median of `runs` timed calls after `warmup` untimed ones."""
    for _ in range(warmup):
        work()
    return statistics.median(timed(work)[0] for _ in range(max(runs, 1)))


def paired(mine: Callable[[], Any], floor: Callable[[], Any], runs: int,
           warmup: int = 1) -> tuple[float, float]:
    """Medians of the portal's call and its floor, timed alternately so that any load from
    other programs on the machine weighs on both sides alike."""
    for _ in range(warmup):
        mine()
        floor()
    pairs = [(timed(mine)[0], timed(floor)[0]) for _ in range(max(runs, 1))]
    return statistics.median(a for a, _ in pairs), statistics.median(b for _, b in pairs)


def load_average() -> str:
    """The 1, 5 and 15-minute load averages: other programs' work skews every timing."""
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (share 0.95 is p95) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, -(-int(share * 100) * len(ordered) // 100))
    return ordered[min(rank, len(ordered)) - 1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, str]:
    """CPU, cores, memory, OS, Python and the versions of the packages measured."""
    chromium = Path("/usr/bin/chromium")
    return {
        "CPU": _cpu_model(),
        "Cores": str(os.cpu_count()),
        "Memory": f"{_memory_gb():.1f} GB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Packages": ", ".join(f"{p} {_version(p)}" for p in PACKAGES),
        "Browser": str(chromium) if chromium.exists() else "no Chromium at /usr/bin/chromium",
    }


def write_json(path: Path, data: Any) -> None:
    """Write JSON with sorted keys (manifests and worker results)."""
    path.write_text(json.dumps(data, sort_keys=True, indent=1, default=str))
