"""`make report`: run the trust tests, collect the figures each writes, and write docs/TRUST.md.

Each trust test records what it tried and found (cases, leaks, payloads, kills survived ...)
through tests/trust_figures.py into a temporary folder; this script runs them, sums those
figures per item of issue 6, reads the pass/fail/xfail outcome of every test from pytest's
JUnit report, and writes the document with the date and the machine.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.common import machine
from tests.trust_figures import FIGURES_ENV, read_all

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "TRUST.md"
RESULTS = ROOT / "bench" / "RESULTS.md"
Figures = dict[str, Any]


@dataclass(frozen=True)
class Item:
    """One promise of issue 6: its tests, the figures they record, and the headline."""

    number: int
    title: str
    tests: tuple[str, ...]  # globs under the repository
    key: str = ""  # the item name the tests record their figures under
    headline: Callable[[Figures], str] | None = None


def _n(figures: Figures, key: str) -> str:
    value = figures.get(key)
    return f"{value:,}" if isinstance(value, (int, float)) else "not measured"


def _isolation(f: Figures) -> str:
    return (f"{_n(f, 'cases')} generated cases (+ {_n(f, 'table cases')} in a fixed table), "
            f"{_n(f, 'checks')} outputs searched (incl. {_n(f, 'page views')} page views); "
            f"{_n(f, 'leaks')} records leaked")


def _forged(f: Figures) -> str:
    return (f"{_n(f, 'cases')} forged inputs; {_n(f, 'leaks')} records leaked, "
            f"{_n(f, 'tracebacks')} tracebacks")


def _logins(f: Figures) -> str:
    return (f"{_n(f, 'wrong_passwords')} wrong passwords from {_n(f, 'fresh_sessions')} fresh "
            f"sessions, lock held after restart: {_n(f, 'lock_held_after_restart')}, lifted "
            f"after cool-down: {_n(f, 'lock_lifted_after_cool_down')}; medians wrong password / "
            f"unknown / locked {_n(f, 'median_ms_wrong_password')} / "
            f"{_n(f, 'median_ms_unknown_user')} / {_n(f, 'median_ms_locked_user')} ms (spread "
            f"{_n(f, 'timing_spread_ms')} ms over {_n(f, 'timing_tries')} tries); "
            f"{_n(f, 'forged_cookies')} forged cookies, {_n(f, 'forged_cookies_accepted')} "
            f"accepted")


def _hostile(f: Figures) -> str:
    return (f"{_n(f, 'xss payloads')} XSS payloads in {_n(f, 'xss fields')} fields over "
            f"{_n(f, 'xss pages')} pages, {_n(f, 'xss shown_as_text')} seen as text, "
            f"{_n(f, 'xss scripts_run')} ran; markdown escaped on {_n(f, 'xss markdown_pages')} "
            f"page runs of every role ({_n(f, 'xss markdown_unescaped')} unescaped); "
            f"{_n(f, 'formulas payloads')} formula payloads in {_n(f, 'formulas files_checked')} "
            f"files, {_n(f, 'formulas live_formulas')} live formulas")


def _crashes(f: Figures) -> str:
    return (f"{_n(f, 'kills')} SIGKILLs ({_n(f, 'killed mid-write')} mid-write), "
            f"{_n(f, 'survived')} stores intact ({_n(f, 'before')} before, {_n(f, 'after')} "
            f"after, 0 partial)")


def _concurrency(f: Figures) -> str:
    return (f"{_n(f, 'document_updates')} concurrent document updates in "
            f"{_n(f, 'corrections')} corrections and {_n(f, 'imports')} imports; "
            f"{_n(f, 'lost_updates')} lost, {_n(f, 'errors_shown')} errors shown; "
            f"{_n(f, 'second_process_attempts')} writes from a second process, "
            f"{_n(f, 'hangs')} hung")


def _roles(f: Figures) -> str:
    return (f"{_n(f, 'pages checked')} page and role pairs: {_n(f, 'allowed pages rendered')} "
            f"allowed pages rendered without error; {_n(f, 'refused pages not offered')} refused "
            f"pages not in the navigation, and {_n(f, 'refused pages run directly')} of them "
            f"run directly stopped at their own guard with nothing shown")


def _badfiles(f: Figures) -> str:
    return (f"{_n(f, 'files')} bad files and {_n(f, 'hostile_uploads')} bombs or oversized "
            f"uploads: {_n(f, 'refused')} refused with a message naming the problem, "
            f"{_n(f, 'stores_unchanged')} stores unchanged; slowest refusal "
            f"{_n(f, 'max_seconds')} s, most memory used {_n(f, 'max_memory_mb')} MB")


def _journeys(f: Figures) -> str:
    return (f"{_n(f, 'journeys')} journeys in Chromium, {_n(f, 'screenshots')} screenshots "
            f"kept in test-artifacts/")


def _bandit(f: Figures) -> str:
    return (f"{_n(f, 'lines_scanned')} lines scanned, {_n(f, 'findings')} findings of medium "
            f"severity or above, {_n(f, 'silenced')} justified '# nosec'; "
            f"{_n(f, 'sql_injection_probes')} SQL probes through the import, "
            f"{_n(f, 'sql_run')} ran")


ITEMS = (
    Item(1, "Journeys in a real browser", ("tests/browser/test_journey_*.py",), "journeys",
         _journeys),
    Item(2, "Role by page by account", ("tests/test_pages_*.py", "tests/test_trust_roles*.py"),
         "roles", _roles),
    Item(3, "Isolation property", ("tests/test_trust_isolation.py",
                                   "tests/test_isolation_queries.py"), "isolation", _isolation),
    Item(4, "Forged input", ("tests/test_trust_forged.py",), "forged", _forged),
    Item(5, "Logins", ("tests/test_trust_logins.py",), "logins", _logins),
    Item(6, "Hostile data", ("tests/browser/test_trust_xss.py", "tests/test_trust_formulas.py",
                             "tests/test_trust_markup.py"), "hostile", _hostile),
    Item(7, "Bad files", ("tests/test_import_badfiles.py", "tests/test_trust_badfiles*.py"),
         "badfiles", _badfiles),
    Item(8, "Crashes", ("tests/test_trust_crash.py",), "crashes", _crashes),
    Item(9, "Concurrency", ("tests/test_trust_concurrency.py",), "concurrency", _concurrency),
    Item(11, "Static checks (bandit)", ("tests/test_bandit.py",), "bandit", _bandit),
)  # fmt: skip
# Figures that are not counts: reported as measured (the last), never added up.
NOT_SUMMED = re.compile(r"^(median_|timing_|seconds|operation|threads)|\(s\)$")
# Worst cases: the largest value any test recorded.
MAXIMA = re.compile(r"^max_")


def test_files(items: Iterable[Item]) -> dict[int, list[str]]:
    """The existing test files of each item, relative to the repository."""
    found: dict[int, list[str]] = {}
    for item in items:
        paths = sorted({p for pattern in item.tests for p in ROOT.glob(pattern)})
        found[item.number] = [str(p.relative_to(ROOT)) for p in paths]
    return found


def run_tests(files: list[str], folder: Path) -> tuple[int, Path]:
    """Run the tests with figures recorded into `folder`; pytest's exit code and its report."""
    junit = folder / "junit.xml"
    figures = folder / "figures"
    figures.mkdir()
    env = {**os.environ, FIGURES_ENV: str(figures)}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
               f"--junitxml={junit}", *files]  # fmt: skip
    code = subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    return code, junit


def outcomes(junit: Path) -> dict[str, dict[str, Any]]:
    """Per test file: counts of passed, failed, skipped and xfail, seconds, and xfail reasons."""
    files: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"passed": 0, "failed": 0, "skipped": 0, "xfail": 0, "seconds": 0.0,
                 "gaps": []})  # fmt: skip
    if not junit.exists():
        return files
    for case in ET.parse(junit).getroot().iter("testcase"):
        entry = files[_test_file(case.get("classname", ""))]
        entry["seconds"] += float(case.get("time", 0))
        skipped = case.find("skipped")
        if case.find("failure") is not None or case.find("error") is not None:
            entry["failed"] += 1
        elif skipped is not None and skipped.get("type") == "pytest.xfail":
            entry["xfail"] += 1
            entry["gaps"].append(skipped.get("message", ""))
        elif skipped is not None:
            entry["skipped"] += 1
        else:
            entry["passed"] += 1
    return files


def _test_file(classname: str) -> str:
    """tests.browser.test_x (or tests.test_x.TestClass) -> tests/browser/test_x.py."""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        candidate = "/".join(parts[:end]) + ".py"
        if (ROOT / candidate).exists():
            return candidate
    return classname


def figures_by_item(folder: Path) -> dict[str, Figures]:
    """Each item's figures: counts summed over its tests, other values as last recorded."""
    summed: dict[str, Figures] = defaultdict(dict)
    for line in read_all(folder / "figures"):
        item = str(line.pop("item"))
        line.pop("test", None)
        target = summed["hostile"] if item in ("xss", "formulas") else summed[item]
        prefix = f"{item} " if item in ("xss", "formulas") else ""
        for key, value in line.items():
            name = prefix + key
            if isinstance(value, (int, float)) and MAXIMA.search(key):
                target[name] = max(target.get(name, value), value)
            elif isinstance(value, (int, float)) and not NOT_SUMMED.search(key):
                target[name] = target.get(name, 0) + value
            else:
                target[name] = value
    return summed


def _tally(paths: list[str], results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {"passed": 0, "failed": 0, "skipped": 0, "xfail": 0, "seconds": 0.0,
                             "gaps": []}  # fmt: skip
    for path in paths:
        for key, value in results.get(path, {}).items():
            total[key] = total[key] + value
    return total


def _outcome_text(t: dict[str, Any]) -> str:
    parts = [f"{t['passed']} passed"]
    parts += [f"{t[k]} {k}" for k in ("failed", "xfail", "skipped") if t[k]]
    return ", ".join(parts) + f" ({t['seconds']:.0f} s)"


def _load_section() -> list[str]:
    """Item 10 comes from the benchmark: its load section of bench/RESULTS.md, if measured."""
    if not RESULTS.exists():
        return ["Not measured yet: run `make bench` (section 6 of bench/RESULTS.md)."]
    text = RESULTS.read_text(encoding="utf-8")
    found = re.search(r"^## 6\. Load.*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if not found:
        return ["Not in bench/RESULTS.md yet: run `make bench`."]
    lines = found.group(0).strip().splitlines()[1:]
    return ["From [bench/RESULTS.md](../bench/RESULTS.md) (`make bench`):", "", *lines]


def render(files: dict[int, list[str]], results: dict[str, dict[str, Any]],
           figures: dict[str, Figures], code: int, when: datetime,
           ran: set[int] | None = None) -> str:
    """The text of docs/TRUST.md."""
    overall = _tally([p for paths in files.values() for p in paths], results)
    lines = [
        "# Proof of trust: the figures, as measured",
        "",
        f"Measured on {when:%Y-%m-%d %H:%M} UTC by `make report` (bench/trust_report.py), which "
        "runs the tests below and writes this file. Every figure is counted by the tests "
        "themselves while they run; nothing here is typed by hand.",
        "",
        f"**Result: {_outcome_text(overall)}.** "
        + ("All tests passed." if code == 0 and not overall["failed"] else
           "Some tests failed: see the table."),
        "",
        "| # | Promise | Measured | Tests |",
        "|---|---|---|---|",
    ]
    for item in ITEMS:
        found = figures.get(item.key, {})
        measured = item.headline(found) if item.headline and found else (
            "not run this time" if ran is not None and item.number not in ran else
            "see its tests" if files[item.number] else "no tests yet")
        tally = _outcome_text(_tally(files[item.number], results))
        if ran is not None and item.number not in ran:
            tally = "not run"
        lines.append(f"| {item.number} | {item.title} | {measured} | {tally} |")
    lines.append("| 10 | Load (benchmark) | see below | `make bench` |")
    lines += ["", "## Known gaps", "",
              "Tests marked `xfail` show a bug that is known and routed to the owner of the "
              "code; each turns into a failure once fixed, so it cannot be forgotten.", ""]
    gaps = overall["gaps"]
    lines += [f"- {gap}" for gap in gaps] or ["- none"]
    lines += ["", "## Figures per item", ""]
    for item in ITEMS:
        counted: Figures = figures.get(item.key, {})
        if not counted:
            continue
        lines += [f"### {item.number}. {item.title}", ""]
        lines += [f"- {key}: {value:,}" if isinstance(value, (int, float)) else
                  f"- {key}: {value}" for key, value in sorted(counted.items())]  # fmt: skip
        lines += ["", "Tests: " + ", ".join(f"`{p}`" for p in files[item.number]), ""]
    lines += ["### 10. Load", "", *_load_section(), "", "## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in machine().items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the trust tests and write docs/TRUST.md; pytest's exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (docs/TRUST.md)")
    parser.add_argument("--only", type=int, action="append",
                        help="run only this item's tests (repeatable), e.g. --only 3")
    args = parser.parse_args(argv)
    chosen = [i for i in ITEMS if not args.only or i.number in args.only]
    files = test_files(ITEMS)
    run = sorted({p for item in chosen for p in files[item.number]})
    with tempfile.TemporaryDirectory(prefix="trust-report-") as work:
        code, junit = run_tests(run, Path(work))
        text = render(files, outcomes(junit), figures_by_item(Path(work)), code,
                      datetime.now(timezone.utc), {i.number for i in chosen})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
