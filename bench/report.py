"""The benchmark report in Markdown: the machine, a summary of targets, then each section."""

from __future__ import annotations

from datetime import datetime

from bench.common import Row, Section, Size, show

HEADER = ("| figure | portal | floor | ratio | target | result | note |\n"
          "|---|---:|---:|---:|---|---|---|")  # fmt: skip


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _target(row: Row) -> str:
    parts = [f"ratio ≤ {row.target:g}x"] if row.target is not None else []
    parts += [f"≤ {show(row.limit, row.unit)}"] if row.limit is not None else []
    return ", ".join(parts)


def _line(row: Row) -> str:
    ratio = f"{row.ratio:.2f}x" if row.ratio is not None else ""
    floor = show(row.floor, row.unit) if row.floor is not None else ""
    cells = [row.name, show(row.value, row.unit), floor, ratio, _target(row),
             "**over target**" if row.verdict() == "OVER TARGET" else row.verdict(), row.note]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _summary(sections: list[Section]) -> list[str]:
    lines = ["## Targets at a glance", "", HEADER.replace("| figure |", "| section | figure |")
             .replace("|---|---:|", "|---|---|---:|", 1), ]  # fmt: skip
    for section in sections:
        if section.unavailable:
            lines.append(f"| {section.title.split(':')[0]} | not available: "
                         f"{_cell(section.unavailable)} | | | | | | |")
        for row in section.rows:
            if row.verdict():
                lines.append(f"| {section.title.split(':')[0]} " + _line(row))
    return lines + [""]


def _section(section: Section) -> list[str]:
    lines = [f"## {section.title}", "", f"_Section time: {section.seconds:.0f} s._", ""]
    if section.unavailable:
        lines += [f"**Not available: {section.unavailable}**", ""]
    if section.rows:
        lines += [HEADER, *(_line(row) for row in section.rows), ""]
    lines += [*(f"- {note}" for note in section.notes), ""]
    return lines


def render(sections: list[Section], *, size: Size, started: datetime, seconds: float,
           machine: dict[str, str], loads: tuple[str, str], command: str) -> str:  # fmt: skip
    """The whole report as Markdown text."""
    lines = [
        "# Benchmark results", "",
        f"Written by `{command.strip()}` (`make bench` runs it) on "
        f"{started:%Y-%m-%d} at {started:%H:%M} UTC; the run took {seconds / 60:.1f} minutes"
        + (" (--quick: a small store, a proof of the harness, not a measurement)"
           if size.quick else "") + ".",
        "",
        "Each figure of the portal (its own code in lib/ and its pages) is printed beside a "
        "floor measured in the same run (the same work done with plain DuckDB, reportlab, "
        "openpyxl, Streamlit or python-calamine) and their ratio. Figures are measured here, "
        "never asserted in tests.", "",
        "## Machine", "", "| | |", "|---|---|",
        *(f"| {key} | {_cell(value)} |" for key, value in machine.items()),
        f"| Load average (1/5/15 min) at start | {loads[0]} |",
        f"| Load average at end | {loads[1]} |", "",
        "A load average above the number of cores means other programs competed for the CPU "
        "during the run; portal and floor are timed alternately, so ratios suffer less than "
        "absolute times.", "",
    ]  # fmt: skip
    lines += _summary(sections)
    for section in sections:
        lines += _section(section)
    return "\n".join(lines).rstrip() + "\n"
