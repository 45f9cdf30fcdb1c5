"""Finance: every import (who, when, file, mapping, counts), its columns and problems, revert
the latest."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import imports as imp
from lib import ui
from lib.errors import PortalError

who = ui.require("import")
url = ui.db_url()
st.title("Import history")
done = st.session_state.pop("revert_done", None)
if done:
    st.success(done)

batches = imp.list_imports(url)
if not batches:
    st.info("No file has been imported yet.")
    st.stop()
st.dataframe(
    pd.DataFrame([
        {"Import": b.id, "When": b.created_at, "Who": b.actor, "File": b.file_name,
         "Checksum (SHA-256)": b.sha256[:16] + "…", "Kind": b.kind,
         "Mapping": b.mapping_name or "(chosen for this file)", "Status": b.status,
         "Inserted": b.inserted, "Updated": b.updated, "Unchanged": b.unchanged,
         "Rejected": b.rejected}
        for b in batches
    ]),
    hide_index=True, width="stretch",
)

by_id = {b.id: b for b in batches if b.id is not None}
chosen = st.selectbox("Details of import", list(by_id),
                      format_func=lambda i: f"{i} · {by_id[i].file_name}")
problems: list[imp.Problem] = []
if chosen is not None:
    if used := imp.columns_used(by_id[chosen]):
        st.caption("The columns of the file it read")
        st.dataframe(pd.DataFrame(used, columns=["Portal field", "Column in the file"]),
                     hide_index=True)  # fmt: skip
    try:
        problems = imp.import_problems(url, chosen)
    except PortalError as exc:  # reverted or removed meanwhile
        st.error(str(exc))
    if problems:
        st.caption(f"{len(problems)} row(s) of this file were rejected and not applied")
        st.dataframe(pd.DataFrame([p.to_json_dict() for p in problems]), hide_index=True,
                     width="stretch")
        st.download_button("Download the problems (CSV)", imp.problems_csv(problems),
                           file_name=f"import-{chosen}-problems.csv", mime="text/csv")
    else:
        st.caption("This import has no rejected rows.")

st.subheader("Revert the latest import")
latest = imp.latest_import(url)
if latest is None or latest.id is None:
    st.caption("There is no applied import to revert.")
    st.stop()
if latest.status == imp.REVERTING:
    st.warning(f"Reverting import {latest.id} was interrupted: its previous values are back, "
               "but what it inserted is still there. Revert it again to finish.")
st.caption(f"Import {latest.id} ({latest.file_name}, {latest.created_at:%Y-%m-%d %H:%M}): its "
           "documents get their previous values back and what it inserted is removed, provided "
           "nothing has changed them since.")
sure = st.checkbox(f"Yes, revert import {latest.id}")
if st.button(f"Revert import {latest.id}", disabled=not sure):
    def _revert() -> None:
        counts = imp.revert_import(url, int(latest.id or 0), who.username)
        text = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items())
        st.session_state["revert_done"] = f"Import {latest.id} reverted: {text}."
        st.cache_data.clear()  # cached reads must not outlive the data they were read from

    with st.spinner(f"Reverting import {latest.id} (after any import already under way)…"):
        reverted = ui.run_action(_revert)
    if reverted:
        st.rerun()
