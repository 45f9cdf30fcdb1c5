"""Finance: upload invoice PDFs (many at once or one zip), matched to documents by file name."""

from __future__ import annotations

import streamlit as st

from lib import access, pdfs, ui

who = ui.require("import")
settings = ui.app_settings()
st.title("Invoice PDFs")
st.caption(
    "Each file is matched to a document by the number in its name, e.g. INV-1001.pdf or "
    "Invoice_INV-1001_March.pdf. Files are checked to really be PDFs; a zip is opened safely. "
    "Replacing a document's PDF is recorded."
)

uploads = st.file_uploader("PDF files, or one zip of them", type=["pdf", "zip"],
                           accept_multiple_files=True)
if uploads and st.button("Attach to documents", type="primary"):
    def _attach() -> None:
        files = [(upload.name, upload.getvalue()) for upload in uploads]
        st.session_state["pdf_report"] = pdfs.attach_pdfs(
            ui.db_url(), who, files, documents_dir=settings.documents_dir)

    ui.run_action(_attach)

report = st.session_state.get("pdf_report")
if isinstance(report, pdfs.PdfReport):
    counts = st.columns(4)
    counts[0].metric("Matched", len(report.matched))
    counts[1].metric("Unmatched", len(report.unmatched))
    counts[2].metric("Ambiguous", len(report.ambiguous))
    counts[3].metric("Rejected", len(report.rejected))
    st.dataframe(report.frame(), hide_index=True, width="stretch")

with st.expander("How numbers are found in file names"):
    with ui.unit_of_work() as session:
        pattern = pdfs.number_pattern(session)
    st.code(pattern, language=None)
    st.caption("A regular expression; with a group named `number`, only that group is used. "
               "A longer number found in a name wins over a shorter one inside it.")
    if access.allowed(who, "edit_settings"):
        with st.form("pdf_pattern"):
            new_pattern = st.text_input("Pattern (empty restores the default)", pattern)
            if st.form_submit_button("Save pattern"):
                def _save() -> None:
                    with ui.unit_of_work() as session:
                        pdfs.set_number_pattern(session, who, new_pattern or pdfs.DEFAULT_PATTERN)

                ui.run_action(_save, "Pattern saved.")
