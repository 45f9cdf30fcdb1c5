"""The one entry point: read, stage, preview and (unless asked not to) apply an export file."""

# ruff: noqa: S608 - SQL is built from the importer's own identifiers and column names;
# values from a file reach it only as parameters or through values.lit() quoting.

from __future__ import annotations

import contextlib
import hashlib
import tempfile
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib import clock, versions
from lib.errors import PortalError
from lib.imports import apply, changes, documents, history, others, stage
from lib.imports.load import ENCODING_REASON, Loaded, drop_rejects, load
from lib.imports.read import Sniffed, materialise, sniff
from lib.imports.result import (
    KINDS,
    BadFile,
    ImportOptions,
    ImportOutcome,
    Preview,
    Problem,
    Skipped,
)
from lib.imports.transcode import MIXED, count_lines, has_cr
from lib.money import KNOWN_CURRENCIES
from lib.store import raw_connection, with_retry

MAX_SKIPPED = 1000


@dataclass
class _Job:
    """One import in progress: what was asked and what staging found."""

    kind: str
    file_name: str
    options: ImportOptions
    preview: Preview
    cols: stage.Columns | None = None
    loaded: Loaded | None = None
    pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=2))
    sha256_future: Future[str] | None = None
    path: Path = Path()  # the file as received (sniffing may make a copy beside it)

    @property
    def sha256(self) -> str:
        """The file's checksum (waits for the background computation)."""
        return self.sha256_future.result() if self.sha256_future else ""


def run_import(url: str, source: Path | bytes, file_name: str, *, kind: str,
               mapping: Mapping[str, str], options: ImportOptions, actor: str,
               dry_run: bool = False, valid_rows_only: bool = False) -> ImportOutcome:
    """Preview a file and, unless dry_run or it has problems, apply it in one transaction.

    With valid_rows_only the documents without problems are applied and the rejected rows are
    kept with the import record. Problems are returned, never raised; PortalError only for a
    kind the portal does not know.
    """
    if kind not in KINDS:
        raise PortalError(f"Unknown kind of file {kind!r}: expected one of {', '.join(KINDS)}.")
    job = _Job(kind, file_name, options, Preview(kind, file_name, dict(mapping), options))
    with tempfile.TemporaryDirectory(prefix="portal-import-") as work, raw_connection(url) as conn:
        try:
            if not _stage(conn, job, source, Path(work), mapping):
                return ImportOutcome(job.preview)
            # Applying waits its turn with reverts (see history.APPLY_OR_REVERT); a preview not.
            with contextlib.nullcontext() if dry_run else history.APPLY_OR_REVERT:
                return with_retry(lambda: _decide(conn, job, actor, dry_run, valid_rows_only))
        finally:
            _clean(conn)
            job.pool.shutdown(wait=True)


def _stage(conn: Any, job: _Job, source: Path | bytes, work: Path,
           mapping: Mapping[str, str]) -> bool:
    """Read and parse the file and check its rows; False when it cannot go further."""
    preview, options = job.preview, job.options
    try:
        path = job.path = materialise(source, job.file_name, work, options.max_bytes)
        # The checksum is only needed when the import is recorded: compute it meanwhile.
        job.sha256_future = job.pool.submit(_sha256, source)
        sniffed = sniff(path, job.file_name, work, options.sheet,
                        source if isinstance(source, bytes) else None)
    except BadFile as exc:
        _fail(preview, str(exc))
        return False
    _describe(preview, sniffed)
    cols, problems = stage.resolve(job.kind, mapping, sniffed.headers, sniffed.sample)
    problems += stage.check_options(options.date_order, options.default_currency,
                                    KNOWN_CURRENCIES)
    if problems:
        preview.errors, preview.error_count = problems, len(problems)
        return False
    job.cols, preview.mapping = cols, cols.mapping()
    select = (documents.select_sql(cols, options) if job.kind == "documents"
              else others.select_sql(job.kind, cols, options))
    try:
        job.loaded = _load(conn, job, sniffed, select, work, source)
    except BadFile as exc:
        _fail(preview, str(exc))
        return False
    stage.create_errors(conn)
    if job.kind == "documents":
        documents.stage(conn, cols, options, KNOWN_CURRENCIES)
    else:
        others.stage(conn, job.kind, cols, options, KNOWN_CURRENCIES)
    return True


def _load(conn: Any, job: _Job, sniffed: Sniffed, select: str, work: Path,
          source: Path | bytes) -> Loaded:
    """Load the file. Only the start of a UTF-8 file was checked before: one that mixes row
    ends further on is loaded again from a copy with LF row ends, and one with bytes that
    are not UTF-8 from a copy that reads them as Windows-1252."""
    counting = job.pool.submit(count_lines, sniffed.path) if sniffed.lines < 0 else None
    try:
        loaded = load(conn, sniffed, select, counting.result if counting else None)
    except BadFile:
        if not (sniffed.lines < 0 and has_cr(sniffed.path)):
            raise
        loaded = _load_again(conn, job, select, work, source, copy=True)
    wrong = any(n.error and n.reason == ENCODING_REASON for n in loaded.notes)
    if not (wrong and sniffed.encoding == "UTF-8"):
        return loaded
    return _load_again(conn, job, select, work, source, encoding=MIXED)


def _load_again(conn: Any, job: _Job, select: str, work: Path, source: Path | bytes,
                **how: Any) -> Loaded:
    """Sniff and load a copy of the file (the sniff finds the same header from its start)."""
    again = sniff(job.path, job.file_name, work, job.options.sheet,
                  source if isinstance(source, bytes) else None, **how)
    job.preview.encoding = again.encoding
    return load(conn, again, select)


def _decide(conn: Any, job: _Job, actor: str, dry_run: bool,
            valid_rows_only: bool) -> ImportOutcome:
    """Inside one transaction: compare with the store, then apply or roll back."""
    assert job.cols is not None and job.loaded is not None  # set by _stage
    conn.execute("BEGIN TRANSACTION")
    try:
        _compare(conn, job)
        preview = job.preview
        write = not dry_run and job.kind != "contacts" and (preview.ok or valid_rows_only)
        if not write or not _anything_to_apply(conn, job):
            conn.execute("ROLLBACK")
            return ImportOutcome(preview)
        history.refuse_while_reverting(conn)
        now = clock.now()
        batch = history.create_batch(conn, now, actor, job.file_name, job.sha256, job.kind,
                                     job.options.mapping_name, preview.mapping)
        counts = _apply(conn, job, batch, now, actor)
        counts["rejected"] = preview.rejected_rows
        detail = {"file_name": job.file_name, "kind": job.kind, "sha256": job.sha256,
                  "options": job.options.to_dict(), "valid_rows_only": valid_rows_only}
        history.finish_batch(conn, batch, now, actor, counts, preview.errors, detail)
        versions.commit_native(conn)  # create_batch marked the import
        return ImportOutcome(preview, batch, counts)
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _compare(conn: Any, job: _Job) -> None:
    """Match with the store (inside the transaction) and fill the preview."""
    assert job.cols is not None and job.loaded is not None
    preview, loaded = job.preview, job.loaded
    # A retried transaction fills the preview again: start from empty figures.
    preview.documents, preview.totals_by_currency, preview.outstanding_by_currency = {}, {}, {}
    preview.changes, preview.accounts_new, preview.first_rows, preview.records = {}, [], [], []
    if job.kind == "documents":
        line_level = documents.is_line_level(job.cols)
        changes.match(conn, job.cols, line_level, job.options.snapshot)
        changes.summarise(conn, preview, loaded)
    else:
        others.compare(conn, job.kind, job.cols, preview, loaded)
    preview.errors, preview.error_count = stage.problems(conn, loaded)
    preview.rows_read = loaded.rows + loaded.refused
    preview.skipped = _skipped(conn, loaded)
    data_rows = int(conn.execute(
        "SELECT count(*) FROM imp_rows WHERE row_class IS NULL").fetchone()[0])
    applied_rows = int(conn.execute("SELECT coalesce(sum(n_rows), 0) FROM imp_ok").fetchone()[0])
    refused_errors = sum(1 for n in loaded.notes if n.error)
    preview.rejected_rows = data_rows - applied_rows + refused_errors
    if data_rows == 0 and preview.error_count == 0:
        _fail(preview, _no_data_rows(loaded, preview))


def _no_data_rows(loaded: Loaded, preview: Preview) -> str:
    """Why a readable file gives nothing to import (never a silent success)."""
    reasons = sorted({s.reason for s in preview.skipped})
    shown = "; ".join(reasons[:4]) + ("; ..." if len(reasons) > 4 else "")
    return (f"The file has no data rows: the {loaded.rows + len(loaded.notes)} row(s) after "
            f"the header (row {loaded.header_row}) are all skipped ({shown}). See the skipped "
            "rows, and check that the right kind of file and mapping were chosen.")


def _anything_to_apply(conn: Any, job: _Job) -> bool:
    """Valid rows (even all unchanged: the history shows the file came) or snapshot marks."""
    valid = conn.execute("SELECT count(*) FROM imp_ok").fetchone()[0]
    marks = conn.execute("SELECT count(*) FROM imp_snap").fetchone()[0] if (
        job.kind == "documents") else 0
    return bool(valid or marks)


def _apply(conn: Any, job: _Job, batch: int, now: Any, actor: str) -> dict[str, int]:
    assert job.cols is not None
    if job.kind == "documents":
        return apply.apply_documents(conn, batch, now, actor, documents.is_line_level(job.cols))
    return others.apply(conn, job.kind, job.cols, batch, now)


def _skipped(conn: Any, loaded: Loaded) -> list[Skipped]:
    found = [Skipped(n.row, n.reason, n.text) for n in loaded.notes if not n.error]
    rows = conn.execute(
        "SELECT rec, row_class, left(row_text, 200) FROM imp_rows WHERE row_class IS NOT NULL "
        f"ORDER BY rec LIMIT {MAX_SKIPPED}"  # nosec B608
    ).fetchall()
    found += [Skipped(loaded.row_of(int(rec)), reason, text or "") for rec, reason, text in rows]
    return sorted(found, key=lambda s: s.row)[:MAX_SKIPPED]


def _sha256(source: Path | bytes) -> str:
    """SHA-256 of the file as received (hashlib releases the GIL: this runs beside DuckDB)."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with source.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def _describe(preview: Preview, sniffed: Sniffed) -> None:
    preview.encoding, preview.delimiter = sniffed.encoding, sniffed.delimiter
    preview.headers = list(sniffed.headers)


def _fail(preview: Preview, message: str) -> None:
    preview.errors, preview.error_count = [Problem(None, "", "", message)], 1


def _clean(conn: Any) -> None:
    """Drop this import's staging tables and views: the pooled connection outlives the import."""
    views = conn.execute("SELECT view_name FROM duckdb_views() WHERE temporary "
                         "AND view_name LIKE 'imp\\_%' ESCAPE '\\'").fetchall()
    for (name,) in views:
        conn.execute(f'DROP VIEW IF EXISTS temp."{name}"')
    tables = conn.execute("SELECT table_name FROM duckdb_tables() WHERE temporary "
                          "AND table_name LIKE 'imp\\_%' ESCAPE '\\'").fetchall()
    for (name,) in tables:
        conn.execute(f'DROP TABLE IF EXISTS temp."{name}"')
    drop_rejects(conn)
