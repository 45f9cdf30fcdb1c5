"""The feed import (lib/imports) of the generated exports, beside bare DuckDB and calamine reads.

Each measure runs in a fresh subprocess (`python -m bench.import_bench WORKER ...`), which
reports its own time and peak memory (getrusage), so one measure's memory never hides another's.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Row, Section, Size
from bench.exports import warmup_file
from bench.generate import Dataset

MARK = "BENCH-RESULT "
FULL_TARGET, REIMPORT_TARGET, XLSX_TARGET, MEMORY_LIMIT_MB = 3.0, 2.0, 2.5, 700.0
FINGERPRINT = ("SELECT count(*), sum(hash(kind, number, account_id, issue_date, due_date, "
               "currency, total, paid, feed_paid, po_reference, branch, description, erp_status, "
               "updated_at)) FROM document")  # fmt: skip


def _peak_mb() -> float:
    """This process's peak resident memory.

    VmHWM, not getrusage's ru_maxrss: on Linux a child's ru_maxrss starts from its parent's
    peak at fork (it survives exec), so a worker started by a big benchmark process would
    report the benchmark's memory, not its own.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import_file(url: str, path: Path) -> Any:
    """What `python -m lib.cli import FILE` does: read, find the mapping, run_import."""
    from lib import inbox
    from lib.imports import ImportOptions, read_headers, run_import

    headers = read_headers(path, path.name)
    choice = inbox.choose_mapping(url, headers, path.name, kind="documents")
    options = ImportOptions.from_dict(choice.options, mapping_name=choice.name)
    outcome = run_import(url, path, path.name, kind=choice.kind, mapping=choice.fields,
                         options=options, actor="bench")  # fmt: skip
    return outcome, choice


def _warm_up(path: Path, scratch: Path) -> None:
    """Import the small twin of the file into a scratch store, then remove that store."""
    from lib import store

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    _import_file(f"duckdb:///{scratch.resolve() / 'portal.duckdb'}", warmup_file(path))
    store.close_all()
    shutil.rmtree(scratch, ignore_errors=True)


def _project_import(path: Path, data_dir: Path) -> dict[str, Any]:
    """The import of one file, timed from reading it to the commit, in a warmed-up process.

    A small file of the same layout is imported first into a scratch store, as a running portal
    has imported before: first-use costs (lazy imports, compiled patterns) are not the file's.
    """
    from lib import store

    _warm_up(path, data_dir.with_name(data_dir.name + "-warmup"))
    data_dir.mkdir(parents=True, exist_ok=True)
    url = f"duckdb:///{data_dir.resolve() / 'portal.duckdb'}"
    store.engine_for(url)
    with store.raw_connection(url) as con:
        before = con.execute(FINGERPRINT).fetchone()
    baseline, start = _peak_mb(), time.perf_counter()
    outcome, choice = _import_file(url, path)
    seconds = time.perf_counter() - start
    with store.raw_connection(url) as con:
        after = con.execute(FINGERPRINT).fetchone()
    store.close_all()
    preview = outcome.preview
    return {"seconds": seconds, "peak_mb": _peak_mb(), "baseline_mb": baseline,
            "applied": outcome.applied, "counts": outcome.counts, "changes": preview.changes,
            "rows_read": preview.rows_read, "error_count": preview.error_count,
            "errors": [p.to_json_dict() for p in preview.errors[:5]],
            "confident": choice.confident, "documents": after[0],
            "content_unchanged": list(before) == list(after)}  # fmt: skip


def _floor_csv(path: Path, data_dir: Path) -> dict[str, Any]:
    """`CREATE TABLE t AS SELECT * FROM read_csv(...)` into a fresh DuckDB file."""
    import duckdb

    data_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(data_dir / "floor.duckdb"),
                         config={"autoinstall_known_extensions": False,
                                 "autoload_known_extensions": False})  # fmt: skip
    baseline, start = _peak_mb(), time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', skip = 1, header = true)")
    seconds = time.perf_counter() - start
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    return {"seconds": seconds, "peak_mb": _peak_mb(), "baseline_mb": baseline, "rows": rows}


def _calamine(path: Path, _: Path) -> dict[str, Any]:
    """A bare python-calamine read of the whole first sheet into Python rows."""
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": len(rows)}


def _openpyxl(path: Path, _: Path) -> dict[str, Any]:
    """openpyxl's read-only mode over every row's values (printed beside calamine)."""
    from openpyxl import load_workbook

    start = time.perf_counter()
    workbook = load_workbook(str(path), read_only=True, data_only=True)
    rows = sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": rows}


WORKERS = {"project": _project_import, "floor": _floor_csv, "calamine": _calamine,
           "openpyxl": _openpyxl}  # fmt: skip


def worker(mode: str, path: str, data_dir: str) -> dict[str, Any]:
    """Run one measure here; a missing project function is reported, not raised."""
    try:
        return WORKERS[mode](Path(path), Path(data_dir))
    except (ImportError, AttributeError, TypeError) as exc:
        return {"unavailable": f"{type(exc).__name__}: {exc}"}


def measure(mode: str, path: str, data_dir: Path) -> dict[str, Any]:
    """One measure in a fresh Python process (its own memory, no earlier work); its JSON result."""
    env = {**os.environ, "STREAMLIT_LOGGER_LEVEL": "error"}
    done = subprocess.run(
        [sys.executable, "-m", "bench.import_bench", mode, path, str(data_dir)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(MARK):
            return dict(json.loads(line[len(MARK):]))
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    return {"unavailable": f"the {mode} worker failed: {' / '.join(tail)}"}



def _median(results: list[dict[str, Any]]) -> float:
    ordered = sorted(r["seconds"] for r in results)
    return ordered[len(ordered) // 2]


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def _csv_runs(ds: Dataset, size: Size, root: Path) -> tuple[list[Any], list[Any], list[Any]]:
    """Full import into an empty store, re-import of the same file, and the floor, alternating."""
    full, again, floor = [], [], []
    for n in range(size.slow_runs):
        store_dir = _fresh(root / f"store-{n}")
        first = measure("project", ds.csv_path, store_dir)
        if "unavailable" in first or not first.get("applied"):
            return [first], [], []
        full.append(first)
        again.append(measure("project", ds.csv_path, store_dir))
        floor.append(measure("floor", ds.csv_path, _fresh(root / f"floor-{n}")))
        shutil.rmtree(store_dir, ignore_errors=True)
        shutil.rmtree(root / f"floor-{n}", ignore_errors=True)
    return full, again, floor


def _why_not(result: dict[str, Any]) -> str:
    if "unavailable" in result:
        return str(result["unavailable"])
    return (f"the import refused the generated file ({result.get('error_count')} problems, "
            f"first: {result.get('errors')})")


def _csv_rows(section: Section, ds: Dataset, size: Size, root: Path) -> bool:
    full, again, floor = _csv_runs(ds, size, root)
    if not again:
        section.unavailable = _why_not(full[0])
        return False
    base = _median(floor)
    peak = max(r["peak_mb"] for r in full)
    changed = [r["counts"].get("inserted", 0) + r["counts"].get("updated", 0) for r in again]
    same = all(r["content_unchanged"] for r in again)
    section.add(Row(f"full import of the {size.documents:,}-row CSV (read, map, validate, "
                    "upsert, record)", _median(full), base, FULL_TARGET,
                    note=f"counts {full[0]['counts']}"))  # fmt: skip
    section.add(Row("peak memory of that import (whole process)", peak, limit=MEMORY_LIMIT_MB,
                    unit="MB", note=f"{full[0]['baseline_mb']:.0f} MB before it started; the "
                    f"floor's process peaked at {max(r['peak_mb'] for r in floor):.0f} MB"))
    section.add(Row("re-import of the unchanged file", _median(again), base, REIMPORT_TARGET,
                    note=f"counts {again[0]['counts']}"))
    section.add(Row("documents changed by the re-import", float(max(changed)), limit=0.0,
                    unit="", note="document table content " + (
                        "identical before and after" if same else "CHANGED")))  # fmt: skip
    return True


def _xlsx_rows(section: Section, ds: Dataset, size: Size, root: Path) -> None:
    mine, bare = [], []
    for n in range(size.slow_runs):
        result = measure("project", ds.xlsx_path, _fresh(root / f"xlsx-{n}"))
        if "unavailable" in result or not result.get("applied"):
            section.notes.append(f".xlsx import not measured: {_why_not(result)}")
            return
        mine.append(result)
        bare.append(measure("calamine", ds.xlsx_path, root))
        shutil.rmtree(root / f"xlsx-{n}", ignore_errors=True)
    slow = measure("openpyxl", ds.xlsx_path, root)
    section.add(Row(f"import of the {size.xlsx_rows:,}-row .xlsx", _median(mine), _median(bare),
                    XLSX_TARGET, note=f"floor: python-calamine reading the sheet; counts "
                    f"{mine[0]['counts']}"))  # fmt: skip
    section.add(Row("openpyxl (read-only) reading the same .xlsx", slow.get("seconds"),
                    _median(bare), note="informative, beside calamine"))


def run(ds: Dataset, size: Size, workdir: Path) -> Section:
    """The CSV import, its memory and re-import, then the .xlsx import, each beside its floor."""
    from lib import store

    section = Section("import", "5. Import (issue 4): the generated ERP exports")
    store.close_all()  # the workers open their own stores; nothing here may hold a lock
    root = workdir / "imports"
    root.mkdir(parents=True, exist_ok=True)
    if _csv_rows(section, ds, size, root):
        _xlsx_rows(section, ds, size, root)
    section.notes.append(
        f"Each figure is the median of {size.slow_runs} runs, each in a fresh process timed "
        "inside it (start-up excluded), portal and floor alternating. The portal side does "
        "what `python -m lib.cli import FILE` does: read the file, find the mapping (the "
        "suggested one: no mapping is saved), run_import into a store that already has its "
        "schema, after warming the process up with a 200-row file of the same layout. "
        "Floor for CSV: CREATE TABLE t AS SELECT * FROM read_csv(file, skip = 1, "
        "header = true) into a fresh DuckDB file. Peak memory is the worker process's "
        "high-water mark (VmHWM), which includes Python and the libraries loaded.")
    return section


if __name__ == "__main__":
    print(MARK + json.dumps(worker(*sys.argv[1:4]), default=str), flush=True)
