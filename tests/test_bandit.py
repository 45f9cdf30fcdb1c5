"""Static checks: bandit finds nothing of medium severity or above in the portal's code, and every
finding silenced with `# nosec` names its check and says why where it stands."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.trust_figures import record

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["lib", "app_pages", "portal_app.py"]
# "# nosec B608: <reason>" (or "# nosec B608 - reason"): the check named, then some words.
JUSTIFIED = re.compile(r"#\s*nosec\s+B\d{3}(\s*,\s*B\d{3})*\s*[:\-–]?\s*\S+.{8,}")


def _bandit() -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", *TARGETS, "-ll", "-f", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.stdout.strip(), done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def _python_files() -> list[Path]:
    found = [ROOT / "portal_app.py"]
    for folder in TARGETS[:2]:
        found += sorted((ROOT / folder).rglob("*.py"))
    return found


def test_bandit_finds_nothing_of_medium_severity_or_above() -> None:
    report = _bandit()
    results = report["results"]
    assert isinstance(results, list)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} ({r['issue_severity']}, "
                f"{r['issue_confidence']} confidence): {r['issue_text']}" for r in results]
    totals = report["metrics"]["_totals"]  # type: ignore[index]
    record("bandit", findings=len(findings), lines_scanned=int(totals["loc"]),
           silenced=int(totals["nosec"]), errors=len(report["errors"]))  # type: ignore[arg-type]
    assert not report["errors"], report["errors"]
    assert not findings, "\n".join(findings)


def _module_reasons(lines: list[str]) -> set[str]:
    """Checks a module explains once in a comment of its own (e.g. '# ruff: noqa: S608 - why'),
    naming the bandit check (B608) or its ruff twin (S608)."""
    found = set()
    for line in lines:
        comment = line.split("#", 1)[1] if "#" in line else ""
        if "nosec" not in comment and len(comment.split()) >= 6:
            found |= {f"B{code}" for code in re.findall(r"\b[BS](\d{3})\b", comment)}
    return found


def test_every_nosec_names_its_check_and_says_why() -> None:
    """A '# nosec' names the check it silences, and the reason stands on that line or in a
    comment of the module that names the same check."""
    bare = []
    for path in _python_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        explained = _module_reasons(lines)
        for number, line in enumerate(lines, 1):
            if not re.search(r"#\s*nosec\b", line) or JUSTIFIED.search(line):
                continue
            checks = set(re.findall(r"nosec\s+(B\d{3})", line))
            if not checks or not checks <= explained:
                bare.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    record("bandit", nosec_without_reason=len(bare))
    assert not bare, "a '# nosec' must name the check and give the reason:\n" + "\n".join(bare)


def test_sql_in_a_files_headers_and_values_stays_data(url: str, tmp_path: Path) -> None:
    """The dynamic side of B608: the import builds SQL from strings, so a file whose column
    names and values are SQL must still be read as data (nothing run, nothing written)."""
    import csv
    import io

    from sqlmodel import select

    from lib import models, store
    from lib.imports import ImportOptions, run_import

    pwned = tmp_path / "pwned.csv"
    escape = f"'); COPY (SELECT 42) TO '{pwned}'; --"
    headers = [f"Number{escape}", 'Account" , "x', "Date\\'",
               f"Total{escape.replace(chr(39), chr(34))}"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    values = [escape, "'; DROP TABLE document; --", "\\'; SELECT 1; --", '"); --']
    for i, value in enumerate(values):
        writer.writerow([f"{value}{i}", f"A{i}{value}", "05/01/2026", "10.00"])
    outcome = run_import(url, out.getvalue().encode(), "sql.csv", kind="documents",
                         mapping=dict(zip(["number", "account_code", "issue_date", "total"],
                                          headers, strict=True)),
                         options=ImportOptions(), actor="fiona")  # fmt: skip
    assert outcome.applied, outcome.preview.errors[:3]
    assert not pwned.exists()
    with store.session_scope(url) as session:
        numbers = {d.number for d in session.exec(select(models.Document)).all()}
    assert numbers == {f"{value}{i}" for i, value in enumerate(values)}
    record("bandit", sql_injection_probes=len(headers) + len(values), sql_run=0)
