"""SQLModel tables of the portal: accounts, contacts, documents, payments, imports and events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Optional

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# SQLModel refuses naive datetimes: every timestamp is aware UTC.
from lib.clock import now as utcnow

# Money: 18 digits with 4 decimals covers every ISO currency's minor units (0 to 4).
MONEY = sa.Numeric(18, 4)
QUANTITY = sa.Numeric(18, 4)

KINDS = ("invoice", "credit_note")
ROLES = ("buyer", "finance", "support", "admin")


def _id_field(table: str) -> Any:
    """An integer primary key fed by its own sequence (DuckDB has no SERIAL)."""
    seq = sa.Sequence(f"{table}_id_seq")
    return Field(
        default=None,
        primary_key=True,
        sa_column_args=[seq],
        sa_column_kwargs={"server_default": seq.next_value()},
    )


def row_id(row: SQLModel) -> int:
    """The primary key of a row that has been flushed (SQLModel types it as optional)."""
    value = getattr(row, "id", None)
    if not isinstance(value, int):
        raise ValueError(f"{type(row).__name__} has no id yet: flush it first")
    return value


def foreign_key_index(table: str, column: str) -> sa.Index:
    """An index on a foreign-key column, created on PostgreSQL only.

    DuckDB's foreign key keeps an index of its own: a second one was never chosen by its
    planner (a scan of the column is as fast) and made a 1,000,000-row import commit 0.3 s
    slower. Stores made before schema version 2 have it dropped by store.MIGRATIONS.
    """
    return sa.Index(f"ix_{table}_{column}", column).ddl_if(dialect="postgresql")


def _money(**kwargs: Any) -> Any:
    return Field(default=Decimal("0"), sa_type=MONEY, **kwargs)


class SchemaVersion(SQLModel, table=True):
    """One row: the version of the schema this store was migrated to."""

    __tablename__ = "schema_version"
    id: int = Field(default=1, primary_key=True)
    version: int


class Setting(SQLModel, table=True):
    """Installation settings an administrator edits (wholesaler name, aging buckets ...)."""

    __tablename__ = "setting"
    key: str = Field(primary_key=True)
    value: str


class Account(SQLModel, table=True):
    """A buyer account (customer) of the wholesaler; its code is a natural, immutable key."""

    __tablename__ = "account"
    id: Optional[int] = _id_field("account")
    code: str = Field(unique=True, index=True)
    name: str = ""
    parent_code: Optional[str] = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class Contact(SQLModel, table=True):
    """A person with a login: a buyer contact or a member of staff."""

    __tablename__ = "contact"
    id: Optional[int] = _id_field("contact")
    username: str = Field(unique=True, index=True)
    name: str
    email: str = ""
    role: str
    password_hash: Optional[str] = None
    disabled: bool = False
    # Sessions and login cookies that started before this moment are no longer valid.
    sessions_valid_after: datetime = Field(
        default_factory=utcnow, sa_type=sa.DateTime(timezone=True)
    )
    failed_logins: int = 0
    locked_until: Optional[datetime] = Field(default=None, sa_type=sa.DateTime(timezone=True))
    last_login_at: Optional[datetime] = Field(default=None, sa_type=sa.DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class Grant(SQLModel, table=True):
    """A contact may see an account, or only one branch of it when branch is set."""

    __tablename__ = "access_grant"
    id: Optional[int] = _id_field("access_grant")
    contact_id: int = Field(foreign_key="contact.id", index=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    branch: Optional[str] = None


class LoginToken(SQLModel, table=True):
    """A one-time link to set a password; only the hash of the secret is kept."""

    __tablename__ = "login_token"
    id: Optional[int] = _id_field("login_token")
    contact_id: int = Field(foreign_key="contact.id", index=True)
    token_hash: str = Field(unique=True)
    purpose: str  # "invite" or "reset"
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    used_at: Optional[datetime] = Field(default=None, sa_type=sa.DateTime(timezone=True))


class Document(SQLModel, table=True):
    """An invoice or credit note; totals are positive, the kind gives the sign."""

    __tablename__ = "document"
    __table_args__ = (sa.UniqueConstraint("kind", "number", name="uq_document_kind_number"),
                      foreign_key_index("document", "account_id"))
    id: Optional[int] = _id_field("document")
    # (kind, number) is unique: that constraint's index serves look-ups by number too.
    kind: str
    number: str
    account_id: int = Field(foreign_key="account.id")
    issue_date: date
    due_date: date
    currency: str
    total: Decimal = _money()
    paid: Decimal = _money()
    # The paid amount the feed last reported: a staff correction changes `paid` only, and
    # a later feed reporting this same value leaves the correction in place.
    feed_paid: Decimal = _money()
    correction_note: str = ""
    po_reference: str = ""
    branch: str = ""
    description: str = ""
    erp_status: str = ""
    pdf_sha256: Optional[str] = None
    import_id: Optional[int] = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class DocumentLine(SQLModel, table=True):
    """A line of a document, when the feed gives lines."""

    __tablename__ = "document_line"
    __table_args__ = (foreign_key_index("document_line", "document_id"),)
    id: Optional[int] = _id_field("document_line")
    document_id: int = Field(foreign_key="document.id")
    line_no: int
    item_code: str = ""
    description: str = ""
    quantity: Decimal = Field(default=Decimal("0"), sa_type=QUANTITY)
    unit_price: Decimal = _money()
    amount: Decimal = _money()


class Payment(SQLModel, table=True):
    """A receipt from a buyer; allocations say which documents it settled."""

    __tablename__ = "payment"
    __table_args__ = (foreign_key_index("payment", "account_id"),)
    id: Optional[int] = _id_field("payment")
    reference: str = Field(unique=True, index=True)
    account_id: int = Field(foreign_key="account.id")
    payment_date: date
    currency: str
    amount: Decimal = _money()
    import_id: Optional[int] = None


class Allocation(SQLModel, table=True):
    """The part of a payment allocated to one document."""

    __tablename__ = "allocation"
    __table_args__ = (foreign_key_index("allocation", "payment_id"),
                      foreign_key_index("allocation", "document_id"))
    id: Optional[int] = _id_field("allocation")
    payment_id: int = Field(foreign_key="payment.id")
    document_id: int = Field(foreign_key="document.id")
    amount: Decimal = _money()


class ImportBatch(SQLModel, table=True):
    """One import of a file: who, when, what, and what it did."""

    __tablename__ = "import_batch"
    id: Optional[int] = _id_field("import_batch")
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    actor: str
    file_name: str
    sha256: str
    kind: str
    mapping_name: str = ""
    mapping_json: str = "{}"
    status: str = "applied"  # applied, reverting (a revert was interrupted), reverted
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors_json: str = "[]"


class ImportChange(SQLModel, table=True):
    """What one import changed, enough to revert it: a row it inserted, or one's prior values.

    entity: "account", "document", "document_lines", "payment" or "payment_allocations";
    action: "insert" (revert deletes it) or "update" (revert restores before_json).
    Documents and payments an import inserted are found by their import_id instead.
    """

    __tablename__ = "import_change"
    id: Optional[int] = _id_field("import_change")
    import_id: int = Field(index=True)
    entity: str
    entity_id: int
    action: str
    before_json: Optional[str] = None


class SavedMapping(SQLModel, table=True):
    """A column mapping saved under a name, recognised again by the file's headers."""

    __tablename__ = "saved_mapping"
    id: Optional[int] = _id_field("saved_mapping")
    name: str = Field(unique=True)
    kind: str
    header_signature: str = Field(index=True)
    mapping_json: str
    options_json: str = "{}"
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class AuditEvent(SQLModel, table=True):
    """An append-only record of a security-relevant event or a change, with before and after."""

    __tablename__ = "audit_event"
    id: Optional[int] = _id_field("audit_event")
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_type=sa.DateTime(timezone=True), index=True
    )
    actor: str
    action: str = Field(index=True)
    account_code: str = ""
    target: str = ""
    detail_json: str = "{}"


class ActivityEvent(SQLModel, table=True):
    """What a buyer viewed or downloaded, to measure the resend work the portal saves."""

    __tablename__ = "activity_event"
    id: Optional[int] = _id_field("activity_event")
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_type=sa.DateTime(timezone=True), index=True
    )
    username: str = Field(index=True)
    account_code: str = Field(index=True)
    action: str
    target: str = ""


class ChangeMark(SQLModel, table=True):
    """One committed write that changes what pages show or who may see it.

    Rows are only ever added, in the writing transaction: their count is the store's version,
    the key of every cached read (lib/versions.py). `topic` names what was written.
    """

    __tablename__ = "change_mark"
    id: Optional[int] = _id_field("change_mark")
    topic: str
