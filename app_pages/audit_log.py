"""Administrators (every event) and finance (imports and corrections): the audit log, read-only."""

from __future__ import annotations

from datetime import date

import streamlit as st

from lib import audit_log, ui

who = ui.require("view_audit_imports")
with ui.unit_of_work() as session:
    everything = audit_log.sees_everything(who)
    options = audit_log.choices(session, who)

st.title("Audit log")
st.caption("Events are kept exactly as recorded: nobody can edit or delete them. Times are UTC."
           + ("" if everything else " You see the events of imports and corrections."))
left, middle, right = st.columns(3)
person = left.selectbox("Person", ["", *options["persons"]], format_func=lambda p: p or "Anyone")
actions = middle.multiselect("Action", options["actions"])
account = right.selectbox("Account", ["", *options["accounts"]],
                          format_func=lambda a: a or "Any account")  # fmt: skip
left, right = st.columns(2)
start = left.date_input("From", value=None, format="YYYY-MM-DD")
end = right.date_input("To", value=None, format="YYYY-MM-DD")
filters = audit_log.AuditFilter(
    person=person or "", actions=tuple(actions), account_code=account or "",
    start=start if isinstance(start, date) else None, end=end if isinstance(end, date) else None,
)
with ui.unit_of_work() as session:
    total = audit_log.count(session, who, filters)
    frame = audit_log.events(session, who, filters)

shown = f"; the newest {len(frame):,} are shown" if total > len(frame) else ""
st.caption(f"{total:,} events{shown}.")
st.dataframe(frame, hide_index=True, width="stretch", column_config={
    "When": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm:ss", timezone="UTC")})

if total and st.button("Prepare a CSV of these events", icon=":material/download:"):
    with ui.unit_of_work() as session:
        st.session_state["audit_csv"] = (filters, audit_log.events_csv(session, who, filters))
prepared = st.session_state.get("audit_csv")
if prepared and prepared[0] == filters:
    st.download_button("Download the CSV", prepared[1], file_name="audit-log.csv",
                       mime="text/csv", on_click="ignore")  # fmt: skip
