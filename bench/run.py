"""The benchmark's entry: `python -m bench.run [--only SECTION] [--quick] [--reuse]`.

Generates the data, runs each section (the portal's own code beside a plain floor, measured in
the same run) and writes the report: bench/RESULTS.md for a full run, else into the work folder.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path

from bench.common import FULL, QUICK, ROOT, Section, Size, load_average, machine
from bench.generate import Dataset

SECTIONS = ("generate", "ledger", "pages", "render", "import", "load")
TITLES = {"ledger": "2. Ledger queries (issue 3)", "pages": "3. Pages (issue 3)",
          "render": "4. Renderers (issue 3)", "import": "5. Import (issue 4)",
          "load": "6. Load (issue 6, item 10)"}  # fmt: skip
RESULTS = ROOT / "bench" / "RESULTS.md"


def _runner(key: str) -> Callable[[Dataset, Size, Path], Section]:
    """The function that measures one section (imported late: each pulls in its own stack)."""
    if key == "ledger":
        from bench import ledger_bench

        return lambda ds, size, _: ledger_bench.run(ds, size)
    if key == "render":
        from bench import render_bench

        return lambda ds, size, _: render_bench.run(ds, size)
    if key == "pages":
        from bench import pages_bench

        return pages_bench.run
    if key == "import":
        from bench import import_bench

        return import_bench.run
    from bench import load_bench

    return load_bench.run


def run_section(key: str, ds: Dataset, size: Size, workdir: Path) -> Section:
    """One section; a missing project function or a failure is reported in it, not raised."""
    print(f"\n== {TITLES[key]}", flush=True)
    start = time.perf_counter()
    try:
        section = _runner(key)(ds, size, workdir)
    except (ImportError, AttributeError) as exc:
        traceback.print_exc()
        section = Section(key, TITLES[key], unavailable=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - one broken section must not lose the others
        traceback.print_exc()
        message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
        section = Section(key, TITLES[key], unavailable=f"failed: {type(exc).__name__}: {message}")
    section.seconds = time.perf_counter() - start
    if section.unavailable:
        print(f"  [{key}] not available: {section.unavailable}", flush=True)
    return section


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", action="append", default=[], metavar="SECTION",
                        help=f"run only these sections (repeat or comma-separate): "
                             f"{', '.join(SECTIONS)}")  # fmt: skip
    parser.add_argument("--quick", action="store_true",
                        help="a small store and few repeats: proves the harness, measures little")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse data generated earlier in the work folder for the same size")
    parser.add_argument("--workdir", type=Path, help="where generated data goes (bench/out/...)")
    parser.add_argument("--out", type=Path, help="the report to write")
    return parser.parse_args(argv)


def _chosen(only: list[str]) -> list[str]:
    names = [name.strip() for item in only for name in item.split(",") if name.strip()]
    unknown = sorted(set(names) - set(SECTIONS))
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(unknown)}: choose from {SECTIONS}")
    return [key for key in SECTIONS if not names or key in names]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write its report; returns the process exit code."""
    from bench import generate, report

    args = _parse(argv)
    chosen, size = _chosen(args.only), QUICK if args.quick else FULL
    workdir = (args.workdir or ROOT / "bench" / "out" / ("quick" if size.quick else "full"))
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    full_run = not size.quick and chosen == list(SECTIONS)
    out = args.out or (RESULTS if full_run else workdir / "RESULTS.md")
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    started, load_start, clock = datetime.now(timezone.utc), load_average(), time.perf_counter()
    print(f"== 1. Generator ({size.documents:,} documents) into {workdir}", flush=True)
    generating = time.perf_counter()
    dataset, generated = generate.build(size, workdir, reuse=args.reuse)
    generated.seconds = time.perf_counter() - generating
    sections = [generated] if "generate" in chosen else []
    sections += [run_section(key, dataset, size, workdir) for key in chosen if key != "generate"]
    text = report.render(sections, size=size, started=started, seconds=time.perf_counter() - clock,
                         machine=machine(), loads=(load_start, load_average()),
                         command="python -m bench.run " + " ".join(argv or []))  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"\nReport written to {out}", flush=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
