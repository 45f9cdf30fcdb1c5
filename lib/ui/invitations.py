"""Streamlit: invite contacts (one one-time link each) and hand the links over for a mail merge.

Shared by Adoption and onboarding and by the Imports page, where a contacts file from the feed
becomes invitations.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from lib import clock, onboarding, ui
from lib.access import Principal

LINKS = "onboarding_links"  # the links made last, kept until the person leaves the session


def invite(who: Principal, invitations: Sequence[onboarding.Invitation]) -> bool:
    """Create the missing contacts, grant their accounts and issue the links; all or none."""

    def _invite() -> None:
        with ui.unit_of_work() as session:
            st.session_state[LINKS] = onboarding.invite_many(
                session, who, invitations, base_url=ui.base_url(), now=clock.now(),
                hours=ui.app_settings().token_hours)

    return ui.run_action(_invite, "Invitations created: the links are below.")


def links_section() -> None:
    """The links made last, as a table and as a CSV for a mail merge."""
    links = st.session_state.get(LINKS)
    if not links:
        return
    st.subheader("Links to send")
    st.dataframe(onboarding.links_frame(links), hide_index=True, width="stretch")
    st.download_button("Download the links (CSV for a mail merge)",
                       onboarding.links_csv(links), file_name="invitations.csv",
                       mime="text/csv", on_click="ignore")  # fmt: skip
