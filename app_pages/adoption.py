"""Finance and administrators: adoption, self-service and requests saved, whom to onboard next."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from lib import access, adoption, clock, display, onboarding, ui
from lib.ui import invitations as ui_invitations

MONTH_CHOICES = (3, 6, 12, 24)
SERIES = (adoption.VIEWED, adoption.PDFS, adoption.STATEMENTS_VIEWED, adoption.STATEMENTS)
WHEN = {"Last login": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm", timezone="UTC")}
_TO_SEND = "onboarding_to_send"

who = ui.require("view_analytics")
may_invite = access.allowed(who, "invite")
as_of = clock.today()
st.title("Adoption and self-service")


def _queue(invitations: list[Any]) -> None:
    """Button callback: the invitations run at the top of the next run, before any list."""
    st.session_state[_TO_SEND] = invitations


to_send = st.session_state.pop(_TO_SEND, None)
if to_send and may_invite:
    ui_invitations.invite(who, to_send)

count = st.selectbox("Months shown", MONTH_CHOICES, index=2, format_func=lambda n: f"{n} months")
months = adoption.month_starts(as_of, count)
with ui.unit_of_work() as session:
    monthly = adoption.monthly(session, months)
    per_account = adoption.account_adoption(session, start=months[0], end=as_of)
    currencies = adoption.currencies(session)

cols = st.columns(3)
cols[0].metric(f"{adoption.SAVED} (estimate)", f"{int(monthly[adoption.SAVED].sum()):,}")
cols[1].metric("Self-served documents", f"{int(monthly[adoption.SELF_SERVED].sum()):,}")
active = int((per_account["Contacts active"] > 0).sum())
cols[2].metric("Accounts with an active contact", f"{active:,} of {len(per_account):,}",
               help="A contact is active once they have logged in.")
labels = [f"{m:%b %Y}" for m in monthly["Month"]]
chart = go.Figure([go.Bar(name=s, x=labels, y=[int(v) for v in monthly[s]]) for s in SERIES])
chart.add_trace(go.Scatter(name=f"{adoption.SAVED} (estimate)", x=labels,
                           y=[int(v) for v in monthly[adoption.SAVED]], mode="lines+markers"))
chart.update_layout(barmode="stack", title="Self-served documents per month", height=380,
                    margin={"t": 40, "b": 20}, legend={"orientation": "h"})  # fmt: skip
st.plotly_chart(chart, key="self_service_chart", config={"displayModeBar": False})
st.caption(adoption.SELF_SERVED_METHOD)
st.caption(adoption.REQUESTS_SAVED_METHOD)

st.subheader("Per month")
st.dataframe(monthly, hide_index=True, width="stretch",
             column_config={"Month": st.column_config.DateColumn(format="MMM YYYY")})
st.subheader("Per account")
st.caption(f"Activity since {months[0]:%d %b %Y}. Contacts invited: buyer contacts given access "
           "to the account; active: those who have logged in.")  # fmt: skip
st.dataframe(per_account, hide_index=True, width="stretch", column_config=WHEN)

st.subheader("Onboard next")
rank_by = st.selectbox("Overdue amounts compared in", currencies or [""])
with ui.unit_of_work() as session:
    ranking = adoption.onboard_next(session, as_of, currency=rank_by or None, limit=100)
st.caption(adoption.ONBOARD_RULE)
ranked = ranking.frame.copy()
ranked["Overdue"] = [display.money_text(a, ranking.currency) if ranking.currency else ""
                     for a in ranked["Overdue"]]  # fmt: skip
st.dataframe(ranked.rename(columns={"Overdue": f"Overdue in {ranking.currency}"}),
             hide_index=True, width="stretch")  # fmt: skip

if may_invite:
    st.subheader("Invite contacts")
    st.caption("Each contact gets one one-time link to set a password; send the links with "
               "a mail merge. A contact who already has a login is given access, no link.")
    from_list, from_feed = st.tabs(["From the Onboard next list", "Contacts from the feed"])
    with from_list:
        codes = ranking.frame["Account"].tolist()
        chosen = st.multiselect("Accounts", codes, default=codes[:5])
        with ui.unit_of_work() as session:
            start_rows = onboarding.invitations_frame(onboarding.prefill(session, chosen))
        edited = st.data_editor(start_rows, num_rows="dynamic", hide_index=True,
                                key=f"invite_rows_{'_'.join(chosen)}")  # fmt: skip
        wanted = onboarding.invitations_from_frame(edited)
        st.button("Create the links", key="invite_from_list", disabled=not wanted,
                  on_click=_queue, args=(wanted,))  # fmt: skip
    with from_feed:
        with ui.unit_of_work() as session:
            pending = onboarding.pending_invitations(session, clock.now())
        st.caption("Buyer contacts given accounts, for example by a contacts file imported "
                   "through the feed, who have no login and no open link yet.")
        st.dataframe(onboarding.invitations_frame(pending), hide_index=True, width="stretch")
        st.button(f"Invite these {len(pending)} contacts", key="invite_from_feed",
                  disabled=not pending, on_click=_queue, args=(pending,))  # fmt: skip
    ui_invitations.links_section()
