"""Buyers: payments from the data feed, with the documents each was allocated to."""

from __future__ import annotations

import streamlit as st

from lib import display, ledger_queries, queries, ui

who = ui.require("buyer_pages")
code = ui.require_account(who)
with ui.unit_of_work() as session:
    scope = queries.scope_for(session, who, code)
    frame = ledger_queries.payments_frame(session, scope)

st.title("Payments")
st.caption(f"Account {display.escape_markdown(scope.account_code)} · "
           f"{display.escape_markdown(scope.account_name)}")  # fmt: skip
if note := display.scope_note(scope.branches):
    st.info(note + " Payments show only what was allocated to those documents.")
if frame.empty:
    st.info("The data feed has no payments for this account: the paid amount of each invoice "
            "is on the invoices page.")  # fmt: skip
    st.stop()
number = st.column_config.NumberColumn(format=display.amount_format(frame["Currency"]))
event = st.dataframe(
    frame, key="payments_table", on_select="rerun", selection_mode="single-row",
    hide_index=True, column_config={c: number for c in ("Amount", "Allocated", "Not allocated")},
)  # fmt: skip
st.caption(f"{len(frame):,} payments, newest first. Choose one to see its allocations.")
rows = [r for r in event.selection.rows if 0 <= r < len(frame)] if event else []
if rows:
    reference = str(frame["Reference"].iloc[rows[0]])
    with ui.unit_of_work() as session:
        allocations = ledger_queries.allocations_frame(session, scope, reference)
    st.subheader("Allocations")
    st.text(f"Payment {reference}")
    st.dataframe(allocations, hide_index=True, column_config={"Allocated": number})
