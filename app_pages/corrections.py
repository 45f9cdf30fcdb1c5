"""Finance: correct what is paid on documents of any account, with a note, one or many at once."""

from __future__ import annotations

import streamlit as st

from lib import corrections, queries, ui
from lib.errors import PortalError

who = ui.require("correct")
st.title("Corrections")
st.caption(
    "Mark documents paid, partially paid or unpaid when the ERP has no regular feed. Every "
    "correction is recorded with the values before and after. A later ERP file that reports a "
    "different paid amount replaces the correction; one that repeats the old value keeps it."
)
done = st.session_state.pop("corrections_done", None)
if done:
    st.success(done)

with ui.unit_of_work() as session:
    accounts = queries.visible_accounts(session, who)
names = dict(accounts)
left, middle, right = st.columns(3)
search = left.text_input("Document number or PO reference")
account = middle.selectbox("Account", [""] + list(names),
                           format_func=lambda c: f"{c} · {names[c]}" if c else "Every account")
status = right.selectbox("Show", corrections.FILTERS)
with ui.unit_of_work() as session:
    found = corrections.find_documents(session, who, search=search, account_code=account or "",
                                       status=status)
st.caption(f"{len(found)} documents" + (" (the first 500: narrow the search)"
                                         if len(found) >= corrections.FIND_LIMIT else ""))
st.dataframe(found.drop(columns=["id"]), hide_index=True, width="stretch")

labels = {int(row.id): f"{row.Number} · {row.Kind} · {row.Account}"
          for row in found.itertuples()}
chosen = st.multiselect("Documents to correct", list(labels), format_func=labels.__getitem__)
if len(chosen) == 1:
    try:
        with ui.unit_of_work() as session:
            history = corrections.correction_history(session, who, chosen[0])
        if not history.empty:
            st.caption("Earlier corrections of this document")
            st.dataframe(history, hide_index=True, width="stretch")
    except PortalError as exc:  # the document went away since the search
        st.error(str(exc))

with st.form("correct"):
    state = st.radio("Mark as", corrections.STATES, horizontal=True)
    amount = st.text_input("Amount paid (partially paid only)", placeholder="e.g. 125.50")
    note = st.text_area("Note (required)", max_chars=corrections.MAX_NOTE,
                        placeholder="e.g. Paid by bank transfer on 3 March, reference 4471")
    submitted = st.form_submit_button(f"Correct {len(chosen)} document(s)", type="primary")
if submitted:
    def _correct() -> None:
        paid = corrections.parse_amount(amount) if state == corrections.PARTIAL else None
        results = corrections.correct_documents(ui.db_url(), who, chosen, state, note, paid)
        changed = sum(result.changed for result in results)
        st.session_state["corrections_done"] = (
            f"{len(results)} document(s) marked {state}; {changed} changed.")

    if ui.run_action(_correct):
        st.rerun()
