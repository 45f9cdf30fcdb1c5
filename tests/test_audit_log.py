"""The audit log: who reads what, the filters, CSV export, and that nothing can change an event."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlmodel import Session

from lib import audit_log, models, store
from lib.access import AccountGrant, Principal
from lib.audit_log import AuditFilter
from lib.errors import AccessDenied

ROOT = Path(__file__).resolve().parent.parent
ADMIN = Principal("ada", "admin")
FINANCE = Principal("fin", "finance")
UTC = timezone.utc


def add(s: Session, when: str, actor: str, action: str, code: str = "", target: str = "",
        **detail: object) -> None:
    s.add(models.AuditEvent(occurred_at=datetime.fromisoformat(when).replace(tzinfo=UTC),
                            actor=actor, action=action, account_code=code, target=target,
                            detail_json=json.dumps(detail)))


@pytest.fixture
def session(url: str) -> Iterator[Session]:
    with store.session_scope(url) as s:
        add(s, "2026-03-01T08:00:00", "ann", "login", via="password")
        add(s, "2026-03-01T09:00:00", "fin", "import_applied", target="gbp.csv", inserted=3)
        add(s, "2026-03-02T10:00:00", "fin", "correction", "AAA", "invoice INV-1",
            before={"paid": "0"}, after={"paid": "100"}, note="paid by phone")
        add(s, "2026-03-03T23:59:59", "fin", "pdf_attached", "BBB", "invoice B-1")
        add(s, "2026-03-04T00:00:00", "sam", "view_as_buyer", "AAA")
        add(s, "2026-03-05T12:00:00", "ada", "setting_changed", target="aging_edges",
            before="30,60,90", after="30,60", token_hash="abc123")
        add(s, "2026-03-06T12:00:00", "ada", "contact_added", target="=HYPERLINK(1)")
        add(s, "2026-03-06T13:00:00", "ada", "pdfXattached")  # not a pdf_ event: "_" is literal
        s.flush()
        yield s


def test_administrators_read_every_event_newest_first(session: Session) -> None:
    frame = audit_log.events(session, ADMIN)
    assert frame["Action"].tolist() == [
        "pdfXattached", "contact_added", "setting_changed", "view_as_buyer", "pdf_attached",
        "correction", "import_applied", "login"]
    assert audit_log.count(session, ADMIN) == 8


def test_finance_reads_only_imports_and_corrections(session: Session) -> None:
    frame = audit_log.events(session, FINANCE)
    assert frame["Action"].tolist() == ["pdf_attached", "correction", "import_applied"]
    assert audit_log.choices(session, FINANCE)["actions"] == [
        "correction", "import_applied", "pdf_attached"]
    # Asking for another action by name shows nothing either.
    assert audit_log.events(session, FINANCE, AuditFilter(actions=("login",))).empty


@pytest.mark.parametrize("who", [
    Principal("sam", "support"), Principal("bea", "buyer", frozenset({AccountGrant("AAA")})), None,
])
def test_nobody_else_reads_the_log(session: Session, who: Principal | None) -> None:
    with pytest.raises(AccessDenied):
        audit_log.events(session, who)
    with pytest.raises(AccessDenied):
        audit_log.events_csv(session, who)


def test_filters_by_person_action_account_and_date(session: Session) -> None:
    def actions(**kwargs: object) -> list[str]:
        return audit_log.events(session, ADMIN, AuditFilter(**kwargs))["Action"].tolist()  # type: ignore[arg-type]

    assert actions(person="fin") == ["pdf_attached", "correction", "import_applied"]
    assert actions(actions=("login", "correction")) == ["correction", "login"]
    assert actions(account_code="AAA") == ["view_as_buyer", "correction"]
    # Both days included, whole UTC days: 23:59:59 on the 3rd is in, 00:00 on the 4th is out.
    assert actions(start=date(2026, 3, 2), end=date(2026, 3, 3)) == ["pdf_attached", "correction"]
    assert actions(person="fin", account_code="AAA", start=date(2026, 3, 2)) == ["correction"]
    assert audit_log.count(session, ADMIN, AuditFilter(person="fin")) == 3


def test_choices_list_what_is_there(session: Session) -> None:
    found = audit_log.choices(session, ADMIN)
    assert found["persons"] == ["ada", "ann", "fin", "sam"]
    assert found["accounts"] == ["AAA", "BBB"]


def test_details_are_text_and_secrets_are_left_out(session: Session) -> None:
    frame = audit_log.events(session, ADMIN, AuditFilter(actions=("setting_changed",)))
    details = frame.loc[0, "Details"]
    assert details == "after: 30,60; before: 30,60,90"
    assert "abc123" not in details
    correction = audit_log.events(session, ADMIN, AuditFilter(actions=("correction",)))
    assert 'before: {"paid": "0"}' in correction.loc[0, "Details"]


def test_csv_export_holds_the_filtered_events_with_formulas_neutralised(session: Session) -> None:
    data = audit_log.events_csv(session, ADMIN, AuditFilter(person="ada"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == audit_log.COLUMNS
    assert [row[2] for row in rows[1:]] == ["pdfXattached", "contact_added", "setting_changed"]
    assert rows[2][4] == "'=HYPERLINK(1)"
    assert rows[3][0].startswith("2026-03-05T12:00:00")


def test_the_log_is_append_only_everywhere() -> None:
    # Nothing in lib/ or app_pages/ updates or deletes an audit event, by ORM or by SQL.
    forbidden = ("delete(models.auditevent", "update(models.auditevent", "delete(audit",
                 "update(audit", "delete from audit_event", "update audit_event")
    for path in [*ROOT.joinpath("lib").rglob("*.py"), *ROOT.joinpath("app_pages").glob("*.py")]:
        text = path.read_text().lower()
        assert not any(word in text for word in forbidden), path
    public = [name for name in dir(audit_log) if not name.startswith("_")]
    assert not [name for name in public if any(w in name for w in ("delete", "update", "edit"))]
