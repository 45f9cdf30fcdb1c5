"""Figures the trust tests report for docs/TRUST.md: one JSON line per test, in a folder.

`make report` (bench/trust_report.py) points PORTAL_TRUST_FIGURES at a temporary folder, runs
the trust tests and sums what they wrote. In an ordinary test run the variable is unset and
recording does nothing, so the figures cost nothing there.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

FIGURES_ENV = "PORTAL_TRUST_FIGURES"


def record(item: str, **figures: int | float | str) -> None:
    """Add one test's figures for a TRUST.md item (e.g. "isolation": cases=700, leaks=0)."""
    folder = os.environ.get(FIGURES_ENV)
    if not folder:
        return
    test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    line = json.dumps({"item": item, "test": test, **figures}, sort_keys=True)
    path = Path(folder) / f"{os.getpid()}.jsonl"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def read_all(folder: Path) -> Iterator[dict[str, object]]:
    """Every figure line written into the folder."""
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)


class Tally(Counter[str]):
    """A counter a test fills while it runs and records once at the end."""

    def __init__(self, item: str) -> None:
        super().__init__()
        self.item = item

    def save(self) -> None:
        """Record the counts under the tally's item."""
        record(self.item, **dict(self))
