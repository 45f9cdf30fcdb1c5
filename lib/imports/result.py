"""What an import is told (options) and what it tells back (problems, preview, outcome)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from lib.errors import PortalError
from lib.imports.values import DATE_ORDERS

KINDS = ("documents", "payments", "accounts", "contacts")


class BadFile(PortalError):
    """A file the importer cannot read at all; the message says why in plain words."""
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class ImportOptions:
    """How to read values the file cannot explain itself, and whether it is a full snapshot."""

    date_order: str = "DMY"
    decimal_comma: bool = False
    default_currency: str = "GBP"
    # A complete open-items report: open documents of its accounts that it omits are paid.
    snapshot: bool = False
    max_bytes: int = DEFAULT_MAX_BYTES
    sheet: str | int = 0
    mapping_name: str = ""

    def __post_init__(self) -> None:
        if self.date_order not in DATE_ORDERS:
            raise PortalError(f"Date order must be one of {', '.join(DATE_ORDERS)}.")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any], **overrides: Any) -> ImportOptions:
        """Options from a saved mapping's options (unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        merged = {k: v for k, v in {**values, **overrides}.items() if k in known and v is not None}
        return cls(**merged)

    def to_dict(self) -> dict[str, Any]:
        """The options as plain JSON values."""
        return asdict(self)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (row and column), what was found, and why it is wrong."""

    row: int | None
    column: str
    value: str
    message: str

    def to_json_dict(self) -> dict[str, Any]:
        """The problem as JSON values."""
        return {"row": self.row, "column": self.column, "value": self.value,
                "message": self.message}


@dataclass(frozen=True)
class Skipped:
    """A row that is not data (blank, total, subtotal, a payment in a receivables report)."""

    row: int
    reason: str
    text: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        """The skipped row as JSON values."""
        return {"row": self.row, "reason": self.reason, "text": self.text}


@dataclass
class Preview:
    """Everything an import would do, computed before anything is written."""

    kind: str
    file_name: str
    mapping: dict[str, str]
    options: ImportOptions
    encoding: str = ""
    delimiter: str = ""
    headers: list[str] = field(default_factory=list)
    rows_read: int = 0
    first_rows: list[dict[str, Any]] = field(default_factory=list)
    documents: dict[str, int] = field(default_factory=dict)
    totals_by_currency: dict[str, dict[str, str]] = field(default_factory=dict)
    outstanding_by_currency: dict[str, dict[str, str]] = field(default_factory=dict)
    accounts_new: list[dict[str, str]] = field(default_factory=list)
    changes: dict[str, int] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    error_count: int = 0
    rejected_rows: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)  # contacts: validated rows

    @property
    def ok(self) -> bool:
        """True when the file has no problem at all."""
        return self.error_count == 0

    def to_json_dict(self) -> dict[str, Any]:
        """The preview as JSON values (the CLI's --dry-run --json output)."""
        return {
            "kind": self.kind, "file_name": self.file_name, "mapping": dict(self.mapping),
            "options": self.options.to_dict(), "encoding": self.encoding,
            "delimiter": self.delimiter, "rows_read": self.rows_read,
            "first_rows": self.first_rows, "documents": dict(self.documents),
            "totals_by_currency": self.totals_by_currency,
            "outstanding_by_currency": self.outstanding_by_currency,
            "accounts_new": self.accounts_new, "changes": dict(self.changes),
            "error_count": self.error_count, "rejected_rows": self.rejected_rows,
            "errors": [p.to_json_dict() for p in self.errors],
            "skipped": [s.to_json_dict() for s in self.skipped], "records": self.records,
        }


@dataclass
class ImportOutcome:
    """The preview, and what applying did: the batch id and its counts (None for a dry run)."""

    preview: Preview
    batch_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def applied(self) -> bool:
        """True when the import wrote to the store."""
        return self.batch_id is not None

    def to_json_dict(self) -> dict[str, Any]:
        """The outcome as JSON values: the preview's keys plus batch_id and counts."""
        return {**self.preview.to_json_dict(), "batch_id": self.batch_id,
                "counts": dict(self.counts)}


def problems_csv(problems: list[Problem]) -> str:
    """The problems as CSV text (row, column, value, message) for download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", "value", "message"])
    for p in problems:
        writer.writerow([p.row if p.row is not None else "", _safe(p.column), _safe(p.value),
                         _safe(p.message)])
    return out.getvalue()


def _safe(text: str) -> str:
    # A value from the file opened in a spreadsheet must not run as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
