"""Finance and administrators: receivables across every account, per currency, and the feed."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lib import clock, display, receivables, ui
from lib.ui import views as ui_views

who = ui.require("view_analytics")
WHEN = st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm", timezone="UTC")
as_of = clock.today()
with ui.unit_of_work() as session:
    fresh = receivables.freshness(session)
    imports = receivables.latest_imports(session, limit=10)


def _money_column(frame: Any, column: str) -> None:
    """Amounts as text with their own currency (a table mixes currencies)."""
    frame[column] = [display.money_text(amount, currency)
                     for amount, currency in zip(frame[column], frame["Currency"], strict=True)]


totals, aging, overdue, (missing_count, missing) = ui_views.portfolio(ui.data_version(), as_of)
st.title("Receivables overview")
st.caption(f"Every account, as of {as_of:%d %b %Y}. Amounts are per currency: amounts in "
           "different currencies are never added together.")  # fmt: skip
st.info(receivables.freshness_text(fresh, clock.now()), icon=":material/update:")
if not totals:
    st.info("There are no invoices or credit notes yet.")
for total in totals:
    currency = total.currency
    st.subheader(f"In {display.escape_markdown(currency)}")
    cols = st.columns(3)
    cols[0].metric("Total outstanding", display.money_text(total.balance, currency))
    cols[1].metric("Overdue", display.money_text(total.overdue, currency))
    cols[2].metric("Credit available", display.money_text(total.credit_available, currency))
    st.caption(f"{total.documents:,} documents in {total.accounts:,} accounts; "
               f"{total.overdue_documents:,} overdue, in {total.overdue_accounts:,} accounts.")
    rows = aging[currency].rows() if currency in aging else []
    ui.aging_chart(rows, currency, f"Aging of all accounts in {currency}",
                   key=f"portfolio_aging_{currency}")

st.subheader("Accounts with most overdue")
if overdue.empty:
    st.caption("Nothing is overdue.")
else:
    shown = overdue.copy()
    _money_column(shown, "Overdue")
    st.dataframe(shown, hide_index=True, width="stretch")

st.subheader("Latest imports")
if imports.empty:
    st.caption("No file has been imported yet.")
else:
    st.dataframe(imports, hide_index=True, width="stretch",
                 column_config={"When": WHEN})

st.subheader("Documents without a PDF")
st.metric("Invoices and credit notes without a PDF", f"{missing_count:,}")
if missing_count:
    shown = missing.copy()
    _money_column(shown, "Total")
    st.caption(f"The newest {len(shown)} of them:" if missing_count > len(shown) else "")
    st.dataframe(shown, hide_index=True, width="stretch")
