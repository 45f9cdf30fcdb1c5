"""Buyers: open-item and activity statements on screen, and as PDF, XLSX or CSV."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from lib import activity, clock, display, downloads, periods, render, ui
from lib.statements import ACTIVITY, OPEN_ITEM
from lib.ui import views as ui_views

KINDS = {"Open items": OPEN_ITEM, "Activity (balance forward)": ACTIVITY}
MONEY = ("Total", "Paid", "Outstanding", "Debit", "Credit", "Balance")

who = ui.require("buyer_pages")
code = ui.require_account(who)
today = clock.today()
url = ui.db_url()
data_dir = ui.app_settings().data_dir
scope = ui.account_scope(who, code)
version = ui.data_version()
currencies = ui_views.currencies(scope, version)

st.title("Statements")
st.caption(f"Account {display.escape_markdown(scope.account_code)} · "
           f"{display.escape_markdown(scope.account_name)}")  # fmt: skip
if note := display.scope_note(scope.branches):
    st.info(note + " Statements cover those documents only.")
if not currencies:
    st.info("There are no invoices or credit notes on this account yet.")
    st.stop()

left, middle, right = st.columns(3)
kind = KINDS[left.radio("Statement", list(KINDS))]
preset = middle.selectbox("Period", periods.PRESETS)
currency = right.selectbox("Currency", currencies)
if preset == periods.CUSTOM:
    start = middle.date_input("From", value=periods.period_for(periods.THIS_MONTH, today)[0])
    end = middle.date_input("To", value=today)
else:
    start, end = periods.period_for(preset, today)
if start > end:
    st.error("The period starts after it ends: choose an earlier start.")
    st.stop()
if kind == OPEN_ITEM:
    st.caption(f"What was outstanding at the end of the period, {end:%d %b %Y}.")
request = downloads.StatementRequest(kind, currency, start, end, statement_date=today)
statement = ui_views.statement(scope, version, request)
if st.session_state.get("statements_last_viewed") != (code, request):
    with ui.unit_of_work() as session:
        activity.record(session, who, code, activity.VIEW_STATEMENT, request.describe())
    st.session_state["statements_last_viewed"] = (code, request)

st.subheader(statement.title)
st.dataframe(pd.DataFrame(statement.header_fields(), columns=["Field", "Value"]), hide_index=True)
for label, amount in statement.summary():
    st.metric(label, display.money_text(amount, currency))
headers, rows = statement.table()
number = st.column_config.NumberColumn(format=display.amount_format([currency]))
lines = pd.DataFrame(rows, columns=list(headers))
columns = {h: number for h in headers if h in MONEY}
if "Days overdue" in lines:  # blank when not yet due (a table shows a missing number as None)
    lines["Days overdue"] = lines["Days overdue"].map(lambda v: "" if pd.isna(v) else f"{v:.0f}")
    columns["Days overdue"] = st.column_config.TextColumn(alignment="right")
st.dataframe(lines, hide_index=True, column_config=columns)
st.caption(f"{len(rows):,} lines.")
st.dataframe(pd.DataFrame([*statement.aging.rows(), ("Total", statement.aging.total)],
                          columns=["Aging", "Amount"]),
             hide_index=True, column_config={"Amount": number})  # fmt: skip
for text in statement.notes:
    st.text(text)

paper = st.radio("Paper size for the PDF", ["A4", "Letter"], horizontal=True)
name = display.safe_filename(f"{scope.account_code}-{kind}-{currency}-{end.isoformat()}")
for column, fmt in zip(st.columns(3), ("pdf", "xlsx", "csv"), strict=True):
    column.download_button(
        f"Download as {fmt.upper()}", key=f"statement_{fmt}", on_click="ignore",
        data=partial(downloads.statement_download, url, who, code, request, fmt=fmt,
                     page_size=paper, data_dir=data_dir),
        file_name=f"{name}.{fmt}", mime=render.MEDIA_TYPES[fmt],
    )  # fmt: skip
