"""`python -m lib.cli import`: direct imports, previews as JSON, and handing over to the portal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from lib import cli, models, store
from lib.imports import mapping as maps
from lib.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
GOOD = (
    "Invoice Number,Customer ID,Customer Name,Invoice Date,Due Date,Currency,Total,Amount Paid\n"
    "INV-1001,ACME,Acme Ltd,05/01/2026,04/02/2026,GBP,120.00,0\n"
    "INV-1002,ACME,Acme Ltd,06/01/2026,05/02/2026,GBP,80.50,80.50\n"
    "CN-7,BETA,Beta plc,07/01/2026,07/01/2026,EUR,-25.00,0\n"
)
OWN_HEADERS = ["Doc", "Cust", "Dated", "Amt"]
OWN = "Doc,Cust,Dated,Amt\nX-1,ACME,2026-01-05,10.00\n"
OWN_FIELDS = {"number": "Doc", "account_code": "Cust", "issue_date": "Dated", "total": "Amt"}
BAD = "Invoice Number,Customer ID,Invoice Date,Total\nINV-9,ACME,31/02/2026,abc\n"
JSON_KEYS = {"mapping", "rows_read", "documents", "totals_by_currency",
             "outstanding_by_currency", "accounts_new", "errors"}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    found = {}
    for name, text in {"good.csv": GOOD, "own.csv": OWN, "bad.csv": BAD}.items():
        found[name] = tmp_path / name
        found[name].write_text(text, encoding="utf-8")
    return found


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["import", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _numbers(url: str) -> set[str]:
    with store.session_scope(url) as session:
        return set(session.exec(select(models.Document.number)).all())


def test_a_direct_import_uses_the_suggested_mapping_and_says_so(
        url: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(files["good.csv"]))
    assert code == 0
    assert "No saved mapping matches" in out and "suggested documents mapping" in out
    assert "Applied as import" in out
    assert _numbers(url) == {"INV-1001", "INV-1002", "CN-7"}
    code, out, _ = _run(capsys, str(files["good.csv"]))
    assert code == 0 and "unchanged 3" in out  # the same file twice changes nothing


def test_a_saved_mapping_is_used_by_headers_or_by_name(
        url: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    maps.save_mapping(url, "Own ERP", "documents", OWN_HEADERS, OWN_FIELDS)
    code, out, _ = _run(capsys, str(files["own.csv"]))
    assert code == 0 and "Using the saved mapping 'Own ERP'" in out
    code, out, _ = _run(capsys, str(files["own.csv"]), "--mapping", "Own ERP")
    assert code == 0 and "'Own ERP'" in out
    code, _, err = _run(capsys, str(files["own.csv"]), "--mapping", "Nope")
    assert code == 2 and "no saved mapping named 'Nope'" in err


def test_dry_run_json_prints_exactly_one_object_and_writes_nothing(
        url: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = store.content_checksum(url)
    code, out, err = _run(capsys, str(files["good.csv"]), "--dry-run", "--json")
    assert code == 0
    preview = json.loads(out)  # the whole of stdout is one JSON object
    assert preview.keys() >= JSON_KEYS
    assert preview["mapping"]["number"] == "Invoice Number"
    assert preview["rows_read"] == 3
    assert preview["documents"] == {"invoice": 2, "credit_note": 1}
    assert preview["totals_by_currency"]["invoice"]["GBP"] == "200.50"
    assert preview["outstanding_by_currency"]["invoice"]["GBP"] == "120.00"
    assert {a["code"] for a in preview["accounts_new"]} == {"ACME", "BETA"}
    assert preview["errors"] == [] and preview["mapping_suggested"] is True
    assert "suggested documents mapping" in err  # messages go to stderr
    assert store.content_checksum(url) == before


def test_a_bad_file_lists_its_problems_and_writes_nothing(
        url: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = store.content_checksum(url)
    code, out, _ = _run(capsys, str(files["bad.csv"]), "--dry-run", "--json")
    errors = json.loads(out)["errors"]
    assert code == 1
    assert {(e["row"], e["column"], e["value"]) for e in errors} == {
        (2, "Invoice Date", "31/02/2026"), (2, "Total", "abc")}
    assert all(e["message"] for e in errors)
    code, out, _ = _run(capsys, str(files["bad.csv"]))
    assert code == 1 and "row 2, column 'Total', value 'abc'" in out
    assert "Nothing was written." in out
    assert store.content_checksum(url) == before


def test_an_uncertain_suggestion_previews_but_never_writes(
        url: str, files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    before = store.content_checksum(url)
    code, _, err = _run(capsys, str(files["own.csv"]))
    assert code == 2 and "not certain" in err
    code, out, _ = _run(capsys, str(files["own.csv"]), "--dry-run")
    assert "NOT certain" in out
    assert store.content_checksum(url) == before


def test_a_missing_file_is_a_message(url: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, str(tmp_path / "nowhere.csv"))
    assert code == 2 and "No such file" in err


@pytest.fixture
def store_held_elsewhere(settings: Settings) -> Iterator[None]:
    """Another process (as the running portal does) holds the store for writing."""
    store.engine_for(settings.database_url)
    store.close_all()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from lib import store; "
         "store.engine_for(sys.argv[1]); print('holding', flush=True); time.sleep(120)",
         settings.database_url],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        yield
    finally:
        holder.terminate()
        holder.wait(20)


def test_while_the_portal_holds_the_store_the_file_is_handed_over(
        settings: Settings, files: dict[str, Path], store_held_elsewhere: None,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, str(files["good.csv"]), "--kind", "documents")
    assert code == 0 and "handed to its drop folder" in out
    queued = settings.inbox / "documents-good.csv"
    assert queued.read_text() == GOOD
    code, out, _ = _run(capsys, str(files["own.csv"]), "--json")
    assert code == 0 and json.loads(out)["handed_over"].endswith("own.csv")
    code, out, err = _run(capsys, str(files["good.csv"]), "--dry-run", "--json")
    assert code == 3 and out == "" and "cannot be made" in err
    assert sorted(p.name for p in settings.inbox.glob("*.csv")) == ["documents-good.csv",
                                                                    "own.csv"]
