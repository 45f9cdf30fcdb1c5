"""The benchmark harness runs end to end on a small store and reports every section with a ratio.

It proves the harness works; it asserts nothing about speed (figures are measured by
`make bench`, never asserted in tests).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ["1. Generator", "2. Ledger queries", "3. Pages", "4. Renderers", "5. Import",
            "6. Load"]  # fmt: skip
RATIO = re.compile(r"\| \d+\.\d\dx \|")


def _sections(report: str) -> dict[str, str]:
    """Each '## N. ...' section's text, keyed by its heading."""
    parts = re.split(r"^## ", report, flags=re.MULTILINE)
    return {part.splitlines()[0]: part for part in parts[1:]}


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`python -m bench.run --quick` into a temporary folder; its report's text."""
    folder = tmp_path_factory.mktemp("bench")
    out = folder / "RESULTS.md"
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_DATA_DIR"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--workdir", str(folder / "work"),
         "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out.read_text()


def test_the_report_names_the_machine_and_the_date(quick_report: str) -> None:
    for field in ("| CPU |", "| Cores |", "| Memory |", "| Python |", "| Packages |"):
        assert field in quick_report
    assert re.search(r"on \d{4}-\d{2}-\d{2} at \d{2}:\d{2} UTC", quick_report)
    assert "duckdb " in quick_report and "streamlit " in quick_report


def test_every_section_reports_a_figure_beside_its_floor_and_the_ratio(quick_report: str) -> None:
    found = _sections(quick_report)
    for title in SECTIONS:
        heading = next((h for h in found if h.startswith(title)), None)
        assert heading is not None, f"no section {title!r} in the report"
        text = found[heading]
        if title == "6. Load" and not Path("/usr/bin/chromium").exists():
            assert "Not available" in text  # no browser on this machine: said, not hidden
            continue
        assert "Not available" not in text, text[:600]
        assert RATIO.search(text), f"section {title!r} has no ratio:\n{text[:600]}"


def test_nothing_is_written_to_the_committed_results(quick_report: str) -> None:
    # A quick run writes where it is told; bench/RESULTS.md stays the full run's report.
    assert "--quick" in quick_report
    results = ROOT / "bench" / "RESULTS.md"
    assert not results.exists() or "(--quick" not in results.read_text()
