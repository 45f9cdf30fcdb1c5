"""The `import` command: import an export from a shell, or hand it to the running portal.

DuckDB lets one process write the store. When the portal holds it, the file is copied into the
drop folder, which the portal's own watcher imports; a preview (--dry-run) then cannot be made.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lib import inbox, store
from lib.errors import PortalError, StoreBusy
from lib.imports import KINDS, ImportOptions, ImportOutcome, read_headers, run_import
from lib.settings import Settings

ACTOR = "cli"
EXIT_PROBLEMS = 1
EXIT_BUSY = 3
MAX_PRINTED_PROBLEMS = 50


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `import FILE [--mapping NAME] [--kind KIND] [--dry-run] [--json]`."""
    cmd = commands.add_parser(
        "import", help="import an ERP export, or hand it to the running portal's drop folder")
    cmd.add_argument("file", type=Path, help="a .csv, .txt, .tsv or .xlsx export")
    cmd.add_argument("--mapping", metavar="NAME", help="use this saved mapping")
    cmd.add_argument("--kind", choices=KINDS,
                     help="the kind of file when no saved mapping matches (default documents)")
    cmd.add_argument("--dry-run", action="store_true", help="preview only: write nothing")
    cmd.add_argument("--json", action="store_true",
                     help="print one JSON object (the preview and what was done)")
    cmd.set_defaults(run=cmd_import)


def _say(args: argparse.Namespace, text: str) -> None:
    """Messages for people: on stderr when stdout carries the JSON."""
    print(text, file=sys.stderr if args.json else sys.stdout)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Import (or preview) one file directly, or hand it over when the portal is running."""
    path: Path = args.file
    if not path.is_file():
        raise PortalError(f"No such file: {path}")
    try:
        store.engine_for(settings.database_url)
    except StoreBusy:
        return _hand_over(args, settings)
    headers = read_headers(path, path.name)
    choice = inbox.choose_mapping(settings.database_url, headers, path.name,
                                  name=args.mapping, kind=args.kind)
    _explain_choice(args, choice)
    if choice.suggested and not choice.confident and not args.dry_run:
        raise PortalError("The suggested mapping is not certain, so nothing was written: check "
                          "it with --dry-run, then save a mapping on the Imports page and use "
                          "--mapping NAME.")
    options = ImportOptions.from_dict(choice.options, mapping_name=choice.name)
    outcome = run_import(settings.database_url, path, path.name, kind=choice.kind,
                         mapping=choice.fields, options=options, actor=ACTOR,
                         dry_run=args.dry_run)
    if args.json:
        print(json.dumps(_json(outcome, choice), default=str, ensure_ascii=False, indent=2))
    else:
        _print_summary(outcome, args.dry_run)
    return 0 if outcome.applied or (args.dry_run and outcome.preview.ok) else EXIT_PROBLEMS


def _explain_choice(args: argparse.Namespace, choice: inbox.MappingChoice) -> None:
    if not choice.suggested:
        _say(args, f"Using the saved mapping {choice.name!r} ({choice.kind}).")
        return
    doubt = "" if choice.confident else (
        " It is NOT certain (" + ", ".join(choice.missing + choice.uncertain) + ").")
    _say(args, f"No saved mapping matches this file's headers: using the suggested "
               f"{choice.kind} mapping.{doubt}")


def _json(outcome: ImportOutcome, choice: inbox.MappingChoice) -> dict[str, Any]:
    """The outcome's JSON, plus where the mapping came from."""
    return {**outcome.to_json_dict(), "mapping_name": choice.name,
            "mapping_suggested": choice.suggested, "mapping_confident": choice.confident}


def _print_summary(outcome: ImportOutcome, dry_run: bool) -> None:
    preview = outcome.preview
    print(f"{preview.file_name}: {preview.rows_read} rows read ({preview.kind}).")
    for kind, count in sorted(preview.documents.items()):
        print(f"  {kind}: {count}")
    for kind, totals in sorted(preview.totals_by_currency.items()):
        parts = ", ".join(f"{amount} {currency}" for currency, amount in sorted(totals.items()))
        print(f"  {kind} totals: {parts}")
    if preview.accounts_new:
        print(f"  new accounts: {len(preview.accounts_new)}")
    for problem in preview.errors[:MAX_PRINTED_PROBLEMS]:
        where = f"row {problem.row}" if problem.row is not None else "file"
        column = f", column {problem.column!r}" if problem.column else ""
        value = f", value {problem.value!r}" if problem.value else ""
        print(f"  problem ({where}{column}{value}): {problem.message}")
    if preview.error_count > MAX_PRINTED_PROBLEMS:
        print(f"  ... and {preview.error_count - MAX_PRINTED_PROBLEMS} more problems.")
    if outcome.applied:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(outcome.counts.items()))
        print(f"Applied as import {outcome.batch_id}: {counts}.")
    elif dry_run:
        print("Dry run: nothing was written." + ("" if preview.ok else " Fix the problems first."))
    else:
        print("Nothing was written.")


def _hand_over(args: argparse.Namespace, settings: Settings) -> int:
    """The portal holds the store: queue the file in its drop folder instead of fighting it."""
    if args.dry_run:
        print("error: the portal is running and holds the store, so a preview cannot be made "
              "from the command line. Preview the file on the portal's Imports page, or stop "
              "the portal first.", file=sys.stderr)
        return EXIT_BUSY
    name = args.file.name
    if args.kind and inbox.kind_hint(name) != args.kind:
        name = f"{args.kind}-{name}"  # the drop folder reads the kind from the name
    target = inbox.hand_over(args.file, settings.inbox, name)
    message = (f"The portal is running, so the file was handed to its drop folder as {target}. "
               "The portal imports it within 30 seconds with the saved mapping that matches its "
               "headers; see inbox/processed/ or inbox/failed/ (and the import history).")
    if args.mapping:
        message += " (--mapping is not passed on: the headers choose the mapping.)"
    if args.json:
        print(json.dumps({"handed_over": str(target), "message": message}))
    else:
        print(message)
    return 0
