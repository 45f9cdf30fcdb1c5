"""Finance: import an ERP export: map its columns, preview every change, then apply it."""

from __future__ import annotations

import contextlib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from lib import access, money, onboarding, ui
from lib import imports as imp
from lib.imports import mapping as maps
from lib.ui import invitations as ui_invitations

KIND_LABELS = {"documents": "Invoices and credit notes", "payments": "Payments",
               "accounts": "Accounts", "contacts": "Contacts"}
NONE = "(not in this file)"


def _shown(value: Any, currency: Any = "") -> Any:
    """A parsed value as finance reads it: blank, not "None", for an empty cell; an amount in
    its currency's decimals rather than the store's four."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if currency in money.KNOWN_CURRENCIES and isinstance(value, (str, Decimal)):
        with contextlib.suppress(InvalidOperation):
            return money.format_amount(Decimal(value), currency)
    return value


def _first_rows(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{k: _shown(v, row.get("currency") if k in ("total", "paid") else "")
                          for k, v in row.items()} for row in rows])  # fmt: skip


who = ui.require("import")
url = ui.db_url()
st.title("Imports")
st.caption("Nothing is written until you apply a previewed file; a file with problems writes "
           "nothing unless you choose to apply only its valid rows.")
done = st.session_state.pop("import_done", None)
if done:
    st.success(done)

kind = st.selectbox("Kind of file", imp.KINDS, format_func=KIND_LABELS.__getitem__)
upload = st.file_uploader("ERP export (.csv, .txt, .tsv or .xlsx)",
                          type=["csv", "txt", "tsv", "xlsx"])
if upload is None:
    st.stop()

data = upload.getvalue()
cached = st.session_state.get("import_file")
if not cached or cached[0] != upload.file_id:
    try:
        headers, sample = imp.read_preview(data, upload.name, rows=10)
    except imp.BadFile as exc:
        st.error(str(exc))
        st.stop()
    cached = (upload.file_id, headers, sample)
    st.session_state["import_file"] = cached
_, headers, sample = cached
with st.expander(f"The file as read: {len(headers)} columns", expanded=False):
    st.dataframe(pd.DataFrame(sample, columns=headers), hide_index=True, width="stretch")

# ---- mapping: a saved one for these headers, else the suggestion ---------------------------
saved = maps.find_saved_mapping(url, headers, kind)
options_default: dict[str, Any] = {}
defaults: dict[str, str] = {}
if saved is not None:
    try:
        defaults = maps.mapping_for_headers(saved, headers)
        options_default = maps.saved_options(saved)
        st.info(f"These headers match the saved mapping “{saved.name}”: it is filled in below.")
    except maps.MappingError as exc:
        st.warning(str(exc))
        saved = None
if saved is None:
    suggestion = maps.suggest_mapping(kind, headers)
    defaults = dict(suggestion.fields)
    options_default = {"date_order": suggestion.date_order} if suggestion.date_order else {}
    known = f" It looks like a {suggestion.layout_title} export." if suggestion.layout_title else ""
    if suggestion.confident:
        st.info(f"Columns suggested from the headers.{known} Check them below.")
    else:
        doubts = ", ".join(suggestion.missing + suggestion.uncertain)
        st.warning(f"Columns suggested from the headers.{known} Check especially: {doubts}.")

st.subheader("Mapping")
choices = [NONE, *headers]
fields: dict[str, str] = {}
left, right = st.columns(2)
for i, spec in enumerate(maps.FIELDS[kind]):
    column = (left, right)[i % 2]
    default = defaults.get(spec.name, NONE)
    picked = column.selectbox(spec.label + (" *" if spec.required else ""), choices,
                              index=choices.index(default) if default in choices else 0,
                              key=f"map:{upload.file_id}:{kind}:{spec.name}")
    if picked != NONE:
        fields[spec.name] = picked
missing = maps.missing_required(kind, fields)
if missing:
    st.warning("Choose a column for each required field (*): " + ", ".join(missing) + ".")

first, second, third, fourth = st.columns(4)
orders = list(maps.DATE_ORDERS)
date_order = first.selectbox("Dates are written", orders,
                             index=orders.index(options_default.get("date_order") or "DMY"),
                             format_func={"DMY": "day/month/year", "MDY": "month/day/year",
                                          "YMD": "year/month/day"}.__getitem__)
decimal_comma = second.checkbox("Decimal comma (1.234,56)",
                                bool(options_default.get("decimal_comma", False)))
currency = third.text_input("Currency when the file has none",
                            str(options_default.get("default_currency") or "GBP"), max_chars=3)
snapshot = fourth.checkbox("Complete open-items report", bool(options_default.get("snapshot")),
                           disabled=kind != "documents",
                           help="Open documents of the file's accounts that it no longer lists "
                                "are marked paid.")
option_values = {"date_order": date_order, "decimal_comma": decimal_comma,
                 "default_currency": currency.strip().upper(), "snapshot": snapshot}
same_as_saved = saved is not None and fields == defaults
options = imp.ImportOptions.from_dict(
    option_values, mapping_name=saved.name if saved is not None and same_as_saved else "")

with st.form("save_mapping"):
    name = st.text_input("Save this mapping as", saved.name if saved else Path(upload.name).stem,
                         help="A later file with the same headers then uses it without asking.")
    if st.form_submit_button("Save mapping"):
        ui.run_action(lambda: maps.save_mapping(url, name, kind, headers, fields, option_values),
                      f"Mapping “{name.strip()}” saved.")

# ---- preview, then apply -------------------------------------------------------------------
signature = (upload.file_id, kind, tuple(sorted(fields.items())), repr(options))


def _run(dry_run: bool, valid_rows_only: bool = False) -> imp.ImportOutcome | None:
    """Run the import (or its preview); PortalError shown as a message."""
    found: list[imp.ImportOutcome] = []
    waiting = ("Checking the file…" if dry_run
               else "Applying the file (after any import or revert already under way)…")
    with st.spinner(waiting):
        ui.run_action(lambda: found.append(imp.run_import(
            url, data, upload.name, kind=kind, mapping=fields, options=options,
            actor=who.username, dry_run=dry_run, valid_rows_only=valid_rows_only)))
    return found[0] if found else None


if st.button("Preview", type="primary", disabled=bool(missing)):
    outcome = _run(dry_run=True)
    st.session_state["import_preview"] = (signature, outcome) if outcome else None
stored = st.session_state.get("import_preview")
if not stored or stored[0] != signature or stored[1] is None:
    st.stop()
preview = stored[1].preview

st.subheader("Preview")
counts = st.columns(5)
counts[0].metric("Rows read", preview.rows_read)
counts[1].metric("Documents" if kind == "documents" else "Valid rows",
                 sum(preview.documents.values()))
counts[2].metric("New accounts", len(preview.accounts_new))
counts[3].metric("Changes", preview.changes.get("insert", 0) + preview.changes.get("update", 0)
                 + preview.changes.get("mark_paid", 0))
counts[4].metric("Problems", preview.error_count)
st.caption(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in preview.changes.items())
           + "; by kind: " + ", ".join(f"{k.replace('_', ' ')} {v}"
                                       for k, v in preview.documents.items()))
money_rows = [{"Kind": k.replace("_", " "), "Currency": c, "Total": _shown(amount, c),
               "Outstanding": _shown(preview.outstanding_by_currency.get(k, {}).get(c), c)}
              for k, by_currency in preview.totals_by_currency.items()
              for c, amount in by_currency.items()]
if money_rows:
    st.dataframe(pd.DataFrame(money_rows), hide_index=True, width="stretch")
if preview.accounts_new:
    st.caption("Accounts that will be created")
    st.dataframe(pd.DataFrame(preview.accounts_new), hide_index=True, width="stretch")
if preview.first_rows:
    st.caption("The first rows as the portal reads them")
    st.dataframe(_first_rows(preview.first_rows), hide_index=True, width="stretch")
if preview.skipped:
    with st.expander(f"{len(preview.skipped)} rows skipped (blank, subtotal or total rows)"):
        st.dataframe(pd.DataFrame([s.to_json_dict() for s in preview.skipped]),
                     hide_index=True, width="stretch")
if preview.errors:
    st.subheader("Problems")
    if preview.error_count > len(preview.errors):
        st.caption(f"The first {len(preview.errors):,} of {preview.error_count:,} problems are "
                   "listed here and in the CSV.")
    st.dataframe(pd.DataFrame([p.to_json_dict() for p in preview.errors]),
                 hide_index=True, width="stretch")
    st.download_button("Download the problems (CSV)", imp.problems_csv(preview.errors),
                       file_name=f"{Path(upload.name).stem}-problems.csv", mime="text/csv")


if kind == "contacts":
    # Contacts become logins: each gets one one-time link, made here for a mail merge (the
    # same invitations as on Adoption and onboarding), never written by Apply or the drop folder.
    invitations = onboarding.invitations_from_records(preview.records)
    st.subheader("Contacts to invite")
    st.caption("Each contact gets a login for the accounts (or branch) the file gives them and "
               "one one-time link to set a password; a contact who already has a login is given "
               "the access, without a link." + (" Rows with problems are left out." if
                                                 preview.errors else ""))  # fmt: skip
    st.dataframe(onboarding.invitations_frame(invitations), hide_index=True, width="stretch")
    # Once per previewed file: a second press would issue every contact a second link.
    invited = st.session_state.get("import_invited") == signature
    pressed = access.allowed(who, "invite") and st.button(
        f"Invite these {len(invitations)} contacts", type="primary",
        disabled=invited or not invitations)  # fmt: skip
    if pressed and ui_invitations.invite(who, invitations):
        st.session_state["import_invited"] = signature  # the button is disabled from now
    ui_invitations.links_section()
    st.stop()


def _applied(outcome: imp.ImportOutcome | None) -> None:
    if outcome is None:
        return
    if not outcome.applied:
        st.warning("Nothing was applied: there is nothing valid to write.")
        return
    done_counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in outcome.counts.items())
    st.session_state["import_done"] = f"Import {outcome.batch_id} applied: {done_counts}."
    st.session_state.pop("import_preview", None)
    st.cache_data.clear()  # cached reads must not outlive the data they were read from
    st.rerun()


if preview.ok:
    if st.button("Apply this file", type="primary"):
        _applied(_run(dry_run=False))
else:
    st.error(f"{preview.error_count} problem(s): by default nothing is written. Fix the file, "
             "or apply only its valid rows.")
    confirmed = st.checkbox(f"I have reviewed the problems: apply only the valid rows and keep "
                            f"the {preview.rejected_rows} rejected row(s) with the import record")
    if st.button("Apply valid rows only", disabled=not confirmed):
        _applied(_run(dry_run=False, valid_rows_only=True))
