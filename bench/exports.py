"""The generated store as an ERP exports it: a dirty CSV of every document, and an .xlsx."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bench.common import END, Row, Section, Size, timed

CSV_HEADERS = ("Customer Account", "Customer Name", "Document Type", "Document No.",
               "Invoice Date", "Due Date", "Currency", "Gross Amount", "Amount Paid",
               "Your Reference", "Branch", "Details", "Status")  # fmt: skip
WARMUP_ROWS = 200  # the small files that warm an import process up before it is timed


CSV_SELECT = """
SELECT a.code, a.name, CASE d.kind WHEN 'invoice' THEN 'Invoice' ELSE 'Credit Note' END,
  d.number, strftime(d.issue_date, '%d/%m/%Y'), strftime(d.due_date, '%d/%m/%Y'), d.currency,
  format('{{:,.2f}}', d.total::DOUBLE), format('{{:,.2f}}', d.paid::DOUBLE),
  nullif(d.po_reference, ''), nullif(d.branch, ''), d.description, nullif(d.erp_status, '')
FROM document d JOIN account a ON a.id = d.account_id {where} ORDER BY d.id
"""


def write_csv(con: Any, path: Path, limit: int | None = None) -> None:
    """The documents as an ERP prints them: a title row, dd/mm/yyyy, 1,234.50 and a total row."""
    body = path.with_suffix(".body.csv")
    names = ", ".join(f'"{header}"' for header in CSV_HEADERS)
    select = CSV_SELECT.format(where=f"WHERE d.id <= {limit}" if limit else "")
    con.execute(f"COPY (SELECT * FROM ({select}) t({names})) TO '{body}' (HEADER, DELIMITER ',')")
    total, paid = con.execute("SELECT format('{:,.2f}', sum(total)::DOUBLE), "
                              "format('{:,.2f}', sum(paid)::DOUBLE) FROM document "
                              f"WHERE id <= {limit or 'id'}").fetchone()
    with path.open("wb") as out:
        out.write(f"Bench Wholesale Ltd - Customer activity report - {END:%d/%m/%Y}\n".encode())
        with body.open("rb") as part:
            shutil.copyfileobj(part, out, 16 * 1024 * 1024)
        out.write(f',,,,,,Total,"{total}","{paid}",,,,\n'.encode())
    body.unlink()


def write_xlsx(con: Any, path: Path, rows: int) -> None:
    """The first `rows` documents as an .xlsx: title row, header, typed cells, a total row."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Customer activity")
    sheet.append([f"Bench Wholesale Ltd - Customer activity report - {END:%d/%m/%Y}"])
    sheet.append(list(CSV_HEADERS))
    cursor = con.execute(
        "SELECT a.code, a.name, CASE d.kind WHEN 'invoice' THEN 'Invoice' ELSE 'Credit Note' END,"
        " d.number, d.issue_date, d.due_date, d.currency, d.total::DOUBLE, d.paid::DOUBLE,"
        " d.po_reference, d.branch, d.description, d.erp_status FROM document d"
        " JOIN account a ON a.id = d.account_id ORDER BY d.id LIMIT ?", [rows])  # fmt: skip
    total = paid = 0.0
    while batch := cursor.fetchmany(10_000):
        for row in batch:
            total, paid = total + row[7], paid + row[8]
            sheet.append(list(row))
    sheet.append([None] * 6 + ["Total", round(total, 2), round(paid, 2)])
    workbook.save(path)


def warmup_file(path: str | Path) -> Path:
    """The small file of the same layout beside an export, for warming a process up."""
    path = Path(path)
    return path.with_name(f"{path.stem}-warmup{path.suffix}")




def write_exports(url: str, csv_path: Path, xlsx_path: Path, size: Size,
                  section: Section) -> None:  # fmt: skip
    """The CSV and .xlsx exports of the generated store (timed), and their small warm-up twins."""
    from lib import store

    with store.raw_connection(url) as con:
        con.execute("CHECKPOINT")
        section.add(Row(f"write the {size.documents:,}-row CSV export",
                        timed(lambda: write_csv(con, csv_path))[0],
                        note=f"{csv_path.stat().st_size / 1e6:.0f} MB"))  # fmt: skip
        section.add(Row(f"write the {size.xlsx_rows:,}-row .xlsx (openpyxl write-only)",
                        timed(lambda: write_xlsx(con, xlsx_path, size.xlsx_rows))[0]))
        write_csv(con, warmup_file(csv_path), WARMUP_ROWS)
        write_xlsx(con, warmup_file(xlsx_path), WARMUP_ROWS)
