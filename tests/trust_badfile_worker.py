"""One hostile upload in a process of its own, for the bad-file trust test: its time and memory.

`python -m tests.trust_badfile_worker CASE DATA_DIR` builds a small store, notes the process's
resident memory once everything is imported and warm, hands the case's file to the portal's own
import (or PDF upload), and prints one JSON line: the message the user would read, seconds,
the peak memory above that warm baseline, and whether the store's content is unchanged.
"""

from __future__ import annotations

import io
import json
import resource
import struct
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from lib import pdfs, store
from lib.access import Principal
from lib.imports import ImportOptions, run_import
from tests import factories
from tests.test_import_badfiles import CORPUS, DOCS, HEAD

MB = 1024 * 1024
FINANCE = Principal("fiona", "finance")


def _rss_mb() -> float:
    """The process's resident memory now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / MB


def _reset_peak() -> None:
    """Start the kernel's peak-memory mark (VmHWM) again from the current resident size."""
    Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError("no VmHWM in /proc/self/status")


def _import(url: str, source: Path | bytes, name: str) -> str:
    outcome = run_import(url, source, name, kind="documents", mapping=dict(DOCS),
                         options=ImportOptions(), actor="fiona")  # fmt: skip
    assert not outcome.applied, "a hostile file was applied"
    return outcome.preview.errors[0].message


# Each case prepares its file (not measured) and returns the upload to measure.
Upload = Callable[[str], str]


def _oversized(folder: Path) -> Upload:
    """A 250 MB export (sparse: it costs no disk) against the default 200 MB limit."""
    path = folder / "huge.csv"
    with path.open("wb") as handle:
        handle.write(HEAD.encode())
        handle.truncate(250 * MB)
    return lambda url: _import(url, path, path.name)


def _corpus_case(case_id: str) -> Callable[[Path], Upload]:
    bad = next(b for b in CORPUS if b.id == case_id)
    return lambda _: lambda url: _import(url, bad.data, bad.name)


def _bomb(members: dict[str, tuple[bytes, bytes]], lie: bool) -> bytes:
    """A zip whose members are a head and 300 MB of a repeated filler, deflated to little.

    With `lie`, every header claims the member expands to 1 kB: a reader that trusts the
    declared sizes, rather than counting what it inflates, would be fooled.
    """
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (head, filler) in members.items():
            with archive.open(name, "w") as member:
                member.write(head)
                block = filler * (MB // max(1, len(filler)))
                for _ in range(300 if filler else 0):
                    member.write(block)
    return _false_sizes(data.getvalue()) if lie else data.getvalue()


def _false_sizes(zipped: bytes) -> bytes:
    """Rewrite each member's uncompressed size to 1 kB, in its local and central headers."""
    out = bytearray(zipped)
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        infos = archive.infolist()
        central = archive.start_dir  # type: ignore[attr-defined]
    for info in infos:
        struct.pack_into("<I", out, info.header_offset + 22, 1024)
    for _ in infos:
        struct.pack_into("<I", out, central + 24, 1024)
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", out, central + 28)
        central += 46 + name_len + extra_len + comment_len
    return bytes(out)


WORKBOOK = {"[Content_Types].xml": (b"<Types/>", b""), "xl/workbook.xml": (b"<workbook/>", b"")}


def _xlsx_bomb(folder: Path) -> Upload:
    """A workbook whose sheet inflates to 300 MB while its headers say 1 kB."""
    sheet = (b"<worksheet><sheetData>", b"<row><c><v>1</v></c></row>")
    bomb = _bomb({**WORKBOOK, "xl/worksheets/sheet1.xml": sheet}, lie=True)
    return lambda url: _import(url, bomb, "lying.xlsx")


def _pdf_zip_bomb(folder: Path, lie: bool = False) -> Upload:
    """One PDF member of 300 MB of zeros, compressed to a few hundred kB."""
    bomb = _bomb({"INV-1.pdf": (b"%PDF-1.4\n", b"\0")}, lie=lie)

    def upload(url: str) -> str:
        report = pdfs.attach_pdfs(url, FINANCE, [("bomb.zip", bomb)],
                                  documents_dir=folder / "documents")  # fmt: skip
        assert not report.matched, "a bomb's member was stored"
        return report.rejected[0][1]

    return upload


CASES: dict[str, Callable[[Path], Upload]] = {
    "xlsx zip bomb": _corpus_case("zip bomb"),
    "xlsx grid bomb": _corpus_case("spreadsheet grid bomb"),
    "oversized export": _oversized,
    "xlsx zip bomb with false sizes": _xlsx_bomb,
    "pdf zip bomb": _pdf_zip_bomb,
    "pdf zip bomb with false sizes": lambda folder: _pdf_zip_bomb(folder, lie=True),
}


def main(case: str, folder: Path) -> None:
    """Run one case against a fresh store in `folder` and print what was measured."""
    url = f"duckdb:///{folder / 'portal.duckdb'}"
    with store.session_scope(url) as session:
        factories.account(session, "ACME")
    _import(url, HEAD.encode(), "warm-up.csv")  # the import's own code loaded and run once
    upload = CASES[case](folder)
    before = store.content_checksum(url)
    baseline = _rss_mb()
    _reset_peak()
    start = time.perf_counter()
    message = upload(url)
    seconds = time.perf_counter() - start
    print(json.dumps({"case": case, "message": message, "seconds": seconds,
                      "peak_above_baseline_mb": max(0.0, _peak_mb() - baseline),
                      "unchanged": store.content_checksum(url) == before}))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
