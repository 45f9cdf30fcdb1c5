"""Importing ERP exports: read, map, validate and apply files to the store.

The entry point for pages, the CLI and the drop folder is `run_import`; `read_headers` and
`read_preview` serve the mapping step; `revert_import` undoes the latest import.
"""

from __future__ import annotations

from lib.imports.history import (
    REVERTING,
    columns_used,
    import_problems,
    latest_import,
    list_imports,
    revert_import,
)
from lib.imports.peek import read_headers, read_preview
from lib.imports.result import (
    KINDS,
    BadFile,
    ImportOptions,
    ImportOutcome,
    Preview,
    Problem,
    Skipped,
    problems_csv,
)
from lib.imports.run import run_import
from lib.imports.values import parse_amount, parse_date

__all__ = [
    "KINDS", "REVERTING", "BadFile", "ImportOptions", "ImportOutcome", "Preview", "Problem",
    "Skipped", "columns_used",
    "import_problems", "latest_import", "list_imports", "parse_amount", "parse_date",
    "problems_csv", "read_headers", "read_preview", "revert_import", "run_import",
]
