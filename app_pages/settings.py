"""Administrators: the wholesaler's name, address and logo, aging buckets and session length."""

from __future__ import annotations

import streamlit as st

from lib import portal_settings as ps
from lib import ui

who = ui.require("edit_settings")
data_dir = ui.app_settings().data_dir
with ui.unit_of_work() as session:
    values = ps.current(session)
    logo = ps.logo_path(session, data_dir)

st.title("Settings")
st.caption("Every change is recorded in the audit log with the value before and after.")
# Keyed widgets keep what was typed when the stored value (their default) changes on save.
with st.form("portal_settings"):
    name = st.text_input(ps.LABELS[ps.NAME], values[ps.NAME], max_chars=120, key="set_name")
    address = st.text_area(ps.LABELS[ps.ADDRESS], values[ps.ADDRESS], key="set_address",
                           help="One line of the postal address per line, at most six.")
    edges = st.text_input(ps.LABELS[ps.AGING], values[ps.AGING].replace(",", ", "),
                          key="set_aging",
                          help="The upper edges in days past due: 30, 60, 90 gives not yet due, "
                               "1-30, 31-60, 61-90 and over 90 days.")  # fmt: skip
    hours = st.number_input(ps.LABELS[ps.SESSION_HOURS], min_value=1,
                            max_value=ps.MAX_SESSION_HOURS, value=int(values[ps.SESSION_HOURS]),
                            key="set_hours",
                            help="How long a login lasts before the person logs in again.")
    suggested = st.toggle(ps.LABELS[ps.INBOX_SUGGESTED], values[ps.INBOX_SUGGESTED] == "yes",
                          key="set_inbox_suggested",
                          help="Off: the drop folder imports only files whose headers match a "
                               "mapping saved on the Imports page.")  # fmt: skip
    saved = st.form_submit_button("Save settings")
if saved:
    def _save() -> None:
        with ui.unit_of_work() as session:
            for key, value in ((ps.NAME, name), (ps.ADDRESS, address), (ps.AGING, edges),
                               (ps.SESSION_HOURS, str(int(hours))),
                               (ps.INBOX_SUGGESTED, "yes" if suggested else "no")):  # fmt: skip
                ps.set_value(session, who.username, key, value)

    ui.run_action(_save, "Settings saved.")

st.subheader("Logo on statements")
if logo is not None:
    st.image(str(logo), width=200)
    if st.button("Remove the logo"):
        def _remove() -> None:
            with ui.unit_of_work() as session:
                ps.remove_logo(session, who.username, data_dir)

        if ui.run_action(_remove, "Logo removed."):
            st.rerun()
upload = st.file_uploader("A PNG or JPEG image, at most 2 MB", type=["png", "jpg", "jpeg"])
if upload is not None and st.button("Use this logo"):
    def _upload() -> None:
        with ui.unit_of_work() as session:
            ps.save_logo(session, who.username, upload.getvalue(), data_dir)

    ui.run_action(_upload, "Logo saved: it appears on the next statement.")
