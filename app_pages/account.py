"""Staff: one account in full (details, contacts, balances, documents, activity); view as buyer."""

from __future__ import annotations

import streamlit as st

from lib import (
    access,
    adoption,
    clock,
    corrections,
    display,
    ledger_queries,
    onboarding,
    people,
    queries,
    ui,
)

who = ui.require("list_accounts")
WHEN = st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm", timezone="UTC")
as_of = clock.today()
with ui.unit_of_work() as session:
    choices = queries.visible_accounts(session, who)

st.title("Account details")
if not choices:
    st.info("There are no accounts yet.")
    st.stop()
names = dict(choices)
code = st.selectbox("Account", list(names), format_func=lambda c: f"{c} · {names[c]}",
                    key="staff_account")  # fmt: skip
with ui.unit_of_work() as session:
    account = people.account_by_code(session, code)
    scope = queries.scope_for(session, who, code)
    contacts = onboarding.account_contacts(session, code, clock.now())
    balances = ledger_queries.balances(session, scope, as_of)
    documents = queries.document_list(session, scope, as_of=as_of, limit=200)
    corrected = corrections.corrected_documents(session, who, code)
    usage = adoption.account_adoption(session, account_code=code)
    recent = adoption.account_activity(session, code, limit=100)

if account is None:
    st.error(ui.NOT_AVAILABLE)
    st.stop()
# Feed values go into a table, never into markdown.
st.dataframe([{"Field": k, "Value": v} for k, v in (
    ("Code", account.code), ("Name", account.name), ("Parent account", account.parent_code or ""),
    ("In the portal since", f"{account.created_at:%d %b %Y}"),
)], hide_index=True)  # fmt: skip

if access.allowed(who, "view_as_buyer"):
    st.subheader("See what the buyer sees")
    usable = contacts[contacts["State"] != "disabled"]["Username"].tolist()
    contact = st.selectbox(
        "View as", ["", *usable], key="view_as_contact",
        format_func=lambda u: f"the contact {u}" if u else "any buyer of the whole account",
    )
    st.caption("Read-only. What you open is not counted as the buyer's activity; that you "
               "viewed it is recorded in the audit log.")  # fmt: skip
    if st.button("View as buyer", type="primary", icon=":material/visibility:"):
        ui.start_view_as(who, code, contact or None)
        st.rerun()

st.subheader("Contacts")
if contacts.empty:
    st.caption("No buyer contact has access to this account yet.")
else:
    st.dataframe(contacts, hide_index=True, width="stretch",
                 column_config={"Last login": WHEN})

st.subheader("Balances")
if not balances:
    st.caption("No invoices or credit notes.")
for currency, balance in balances.items():
    cols, shown = st.columns(3), display.escape_markdown(currency)  # labels read markdown
    cols[0].metric(f"Outstanding ({shown})", display.money_text(balance.outstanding, currency))
    cols[1].metric(f"Overdue ({shown})", display.money_text(balance.overdue, currency))
    cols[2].metric(f"Credit available ({shown})",
                   display.money_text(balance.credit_available, currency))

st.subheader("Documents")
number = st.column_config.NumberColumn(format=display.amount_format(documents["Currency"]))
st.dataframe(documents, hide_index=True, column_order=[*queries.LIST_COLUMNS, "PDF"],
             column_config={c: number for c in ("Total", "Paid", "Outstanding")})  # fmt: skip
if len(documents) == 200:
    st.caption("The newest 200 documents: the buyer's view has them all, with filters.")

if not corrected.empty:
    st.subheader("Corrected by staff")
    st.caption("Paid amounts set by a correction, beside what the ERP last reported. A later "
               "file that reports a new amount replaces the correction.")
    st.dataframe(corrected, hide_index=True, width="stretch",
                 column_config={"Last changed": WHEN})

st.subheader("Activity of its contacts")
if not usage.empty:
    row = usage.iloc[0]
    cols = st.columns(4)
    for col, metric in zip(cols, (adoption.VIEWED, adoption.PDFS, adoption.STATEMENTS,
                                  adoption.SAVED), strict=True):  # fmt: skip
        col.metric(metric, f"{int(row[metric]):,}")
if recent.empty:
    st.caption("No contact of this account has viewed or downloaded anything yet.")
else:
    st.dataframe(recent, hide_index=True, width="stretch", column_config={"When": WHEN})
