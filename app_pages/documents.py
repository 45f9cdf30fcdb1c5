"""Buyers: invoices and credit notes, filtered, with totals, the chosen document and downloads."""

from __future__ import annotations

import hashlib
from datetime import date
from functools import partial
from typing import Any

import streamlit as st

from lib import activity, clock, display, downloads, ledger, queries, render, ui
from lib.errors import NotFound
from lib.ui import views as ui_views

KINDS = {"Invoice": ledger.INVOICE, "Credit note": ledger.CREDIT_NOTE}
MONEY = ("Total", "Paid", "Outstanding")
PICK_LIMIT = 500  # documents offered in the "Open a document" box (each is sent to the browser)

who = ui.require("buyer_pages")
code = ui.require_account(who)
as_of = clock.today()
url = ui.db_url()
scope = ui.account_scope(who, code)
version = ui.data_version()


def _money_columns(number_format: str) -> dict[str, Any]:
    number = st.column_config.NumberColumn(format=number_format)
    return {column: number for column in (*MONEY, "Invoices", "Credit notes", "Balance")}


st.title("Invoices and credit notes")
st.caption(f"Account {display.escape_markdown(scope.account_code)} · "
           f"{display.escape_markdown(scope.account_name)}")  # fmt: skip
if note := display.scope_note(scope.branches):
    st.info(note)

left, middle, right = st.columns(3)
text = left.text_input("Search number, reference or description")
statuses = middle.multiselect("Status", ledger.STATUSES)
kinds = right.multiselect("Kind", list(KINDS))
left, middle, right = st.columns(3)
issued_from = left.date_input("Issued from", value=None, format="YYYY-MM-DD")
issued_to = middle.date_input("Issued to", value=None, format="YYYY-MM-DD")
branches = ui.session_memo("branches", scope, lambda s: queries.scope_values(s, scope, "branch"))
chosen_branches = right.multiselect("Branch", branches) if len(branches) > 1 else []
filters = queries.DocumentFilter(
    issued_from=issued_from if isinstance(issued_from, date) else None,
    issued_to=issued_to if isinstance(issued_to, date) else None,
    statuses=tuple(statuses), kinds=tuple(KINDS[k] for k in kinds),
    branches=tuple(chosen_branches), text=text,
)  # fmt: skip
frame, totals, formats, pdf_ids = ui_views.document_listing(scope, version, as_of, filters)

listed = (f"{len(frame):,} documents, newest first." if len(frame) != 1 else "1 document.")
st.caption(f"{listed} Tick rows to see a document or to zip their PDFs.")
# A new filter gives the table a new key, so an old selection never points at other rows.
# New data (an import) moves the rows too: the version is part of the key.
table_key = "documents_" + hashlib.sha256(repr((scope, filters, version)).encode()).hexdigest()[:12]
event = st.dataframe(
    frame, key=table_key, on_select="rerun", selection_mode="multi-row", hide_index=True,
    column_order=[*queries.LIST_COLUMNS, "PDF"], column_config=_money_columns(formats[0]),
)  # fmt: skip
rows = [r for r in event.selection.rows if 0 <= r < len(frame)] if event else []
st.caption("Totals of the documents listed, per currency (void documents count in none):")
st.dataframe(totals, hide_index=True, column_config=_money_columns(formats[1]))

ids = [int(frame["id"].iloc[r]) for r in rows]
zip_ids = ids or list(pdf_ids)
safe_code = display.safe_filename(scope.account_code)
left, middle, right = st.columns(3)
for column, fmt in ((left, "csv"), (middle, "xlsx")):
    column.download_button(
        f"Download the list as {fmt.upper()}", key=f"list_{fmt}", on_click="ignore",
        data=partial(downloads.list_download, url, who, code, as_of=as_of, filters=filters,
                     fmt=fmt),
        file_name=f"{safe_code}-documents.{fmt}", mime=render.MEDIA_TYPES[fmt],
    )  # fmt: skip
too_many = len(zip_ids) > downloads.MAX_ZIP_DOCUMENTS
right.download_button(
    f"Download PDFs of the {'selected' if ids else 'listed'} documents (zip)",
    key="pdf_zip", on_click="ignore", disabled=too_many or not zip_ids,
    data=partial(downloads.pdf_zip_download, url, who, code, zip_ids),
    file_name=f"{safe_code}-pdfs.zip", mime="application/zip",
)  # fmt: skip
if too_many:
    right.caption(downloads.TOO_MANY_PDFS)

if len(ids) > 1:
    numbers = {i: str(frame["Number"].iloc[r]) for i, r in zip(ids, rows, strict=True)}
    shown = st.selectbox("Show document", ids, format_func=numbers.__getitem__)
elif ids:
    shown = ids[0]
elif 0 < len(frame) <= PICK_LIMIT:  # by its number too: no need to find the row's checkbox
    numbers = dict(zip(frame["id"].astype(int), frame["Number"].astype(str), strict=True))
    shown = st.selectbox("Open a document", list(numbers), index=None, key=f"open_{table_key}",
                         format_func=numbers.__getitem__, placeholder="Choose its number")
    if shown is None:
        st.stop()
else:
    if len(frame):
        st.caption(f"To open a document by its number, narrow the list to {PICK_LIMIT} or fewer "
                   "(e.g. search for the number), or tick its row.")
    st.stop()
try:
    with ui.unit_of_work() as session:
        row = queries.scoped_document(session, scope, shown)
        lines = queries.document_lines(session, scope, shown)
        if st.session_state.get("documents_last_viewed") != (code, shown):
            activity.record(session, who, code, activity.VIEW_DOCUMENT, row.number)
            st.session_state["documents_last_viewed"] = (code, shown)
except NotFound as gone:  # gone since the list was read (a reverted import): as if never there
    st.info(str(gone))
    st.stop()
doc = queries.to_ledger_doc(row, code)
st.subheader(f"{queries.KIND_LABELS.get(doc.kind, doc.kind)} {display.escape_markdown(doc.number)}")
st.text(display.explain_status(doc, as_of))
st.dataframe(display.document_fields(doc, as_of), hide_index=True)
if queries.pdf_file(row.pdf_sha256):
    st.download_button(
        "Download the PDF", key="document_pdf", on_click="ignore", mime="application/pdf",
        data=partial(downloads.pdf_download, url, who, code, shown),
        file_name=display.safe_filename(doc.number, ".pdf"),
    )  # fmt: skip
else:
    st.caption("No PDF was uploaded for this document.")
if lines.empty:
    st.caption("The data feed gave no lines for this document.")
else:
    st.dataframe(lines, hide_index=True)
