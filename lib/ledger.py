"""The ledger's pure rules: document status, balances and aging, per currency, at an explicit date.

Sign convention: totals and paid amounts are stored positive and the kind gives the sign. The
*signed* outstanding of a document is what it adds to the buyer's balance: ``total - paid`` for an
invoice and ``-(total - paid)`` for a credit note (its unused credit reduces what is owed).

Overpayment: an invoice paid beyond its total has status ``paid`` and its negative outstanding is
kept, as an AR ledger does: the excess is money the wholesaler holds for the buyer, so it is a
credit that reduces the balance, exactly like an unused credit note. Nothing is clipped at zero,
so every balance is the plain sum of signed outstanding amounts.

Aging: every positive signed outstanding amount (a debt) is aged by its days past due; every
negative one (credit notes' unused credit, overpayments) goes to one separate "unapplied credit"
line rather than into a bucket, because credit is not late and netting it against the oldest
debt would hide what is overdue. Buckets plus unapplied credit add up to the balance exactly.

Balance at a date: see ``ledger_at``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from lib.errors import PortalError

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
PAID, PARTIALLY_PAID, OPEN, OVERDUE, VOID = "paid", "partially paid", "open", "overdue", "void"
STATUSES = (OPEN, OVERDUE, PARTIALLY_PAID, PAID, VOID)
# ERP words meaning the document was cancelled (English, American, German).
VOID_WORDS = frozenset({"void", "voided", "cancelled", "canceled", "storniert"})
ZERO = Decimal("0")


@dataclass(frozen=True)
class LedgerDoc:
    """An invoice or credit note as the ledger sees it; totals positive, kind gives the sign."""

    kind: str
    number: str
    issue_date: date
    due_date: date
    currency: str
    total: Decimal
    paid: Decimal = ZERO
    erp_status: str = ""
    branch: str = ""
    account_code: str = ""
    id: int | None = None
    po_reference: str = ""
    description: str = ""


@dataclass(frozen=True)
class LedgerAllocation:
    """The part of a payment applied to one document, named by kind and number.

    Amounts are positive. On an invoice it is money paid; on a credit note it is credit used
    within that remittance (the receipt is then that much smaller), see `net_allocated`.
    """

    number: str
    amount: Decimal
    kind: str = INVOICE


@dataclass(frozen=True)
class LedgerPayment:
    """A dated receipt and the documents it was allocated to."""

    reference: str
    payment_date: date
    currency: str
    amount: Decimal
    allocations: tuple[LedgerAllocation, ...] = ()
    account_code: str = ""


@dataclass(frozen=True)
class Bucket:
    """An aging bucket: days past due from low to high, inclusive; None is open-ended."""

    label: str
    low: int | None
    high: int | None

    def holds(self, days: int) -> bool:
        """Whether an amount this many days past due belongs here."""
        return (self.low is None or days >= self.low) and (self.high is None or days <= self.high)


def aging_buckets(edges: Sequence[int] = (30, 60, 90)) -> tuple[Bucket, ...]:
    """Buckets from upper edges: (30, 60, 90) is not yet due, 1-30, 31-60, 61-90, over 90."""
    if not edges or any(e < 1 for e in edges) or list(edges) != sorted(set(edges)):
        raise PortalError("Aging buckets need increasing whole numbers of days, e.g. 30, 60, 90.")
    buckets = [Bucket("Not yet due", None, 0)]
    low = 1
    for edge in edges:
        buckets.append(Bucket(f"{low}-{edge} days", low, edge))
        low = edge + 1
    buckets.append(Bucket(f"Over {edges[-1]} days", low, None))
    return tuple(buckets)


DEFAULT_BUCKETS = aging_buckets()
UNAPPLIED_CREDIT = "Unapplied credit"


@dataclass(frozen=True)
class Aging:
    """Outstanding debt per bucket plus unapplied credit (zero or negative), for one currency."""

    currency: str
    buckets: tuple[tuple[str, Decimal], ...]
    unapplied_credit: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """The balance: every bucket plus the unapplied credit."""
        return sum((amount for _, amount in self.buckets), ZERO) + self.unapplied_credit

    def rows(self) -> list[tuple[str, Decimal]]:
        """Label and amount of each bucket, then the unapplied credit line."""
        return [*self.buckets, (UNAPPLIED_CREDIT, self.unapplied_credit)]


@dataclass(frozen=True)
class Balance:
    """One currency's position: the net balance and what it is made of."""

    currency: str
    outstanding: Decimal  # the balance: owed minus credit available (negative: in credit)
    owed: Decimal  # positive outstanding amounts (debts)
    overdue: Decimal  # the part of `owed` past its due date
    credit_available: Decimal  # unused credit notes and overpayments, as a positive amount
    next_due_date: date | None = None
    next_due_amount: Decimal = ZERO
    documents: int = 0  # non-void documents counted


def is_void(doc: LedgerDoc) -> bool:
    """Whether the ERP marked the document void (void, voided, cancelled, storniert, any case)."""
    return doc.erp_status.strip().lower() in VOID_WORDS


def sign(doc: LedgerDoc) -> int:
    """+1 for an invoice, -1 for a credit note: the direction of its effect on the balance."""
    return -1 if doc.kind == CREDIT_NOTE else 1


def outstanding(doc: LedgerDoc) -> Decimal:
    """Total minus paid, as stored (positive): left to pay, or for a credit note credit left."""
    return doc.total - doc.paid


def signed_outstanding(doc: LedgerDoc) -> Decimal:
    """What the document adds to the balance now; zero when void."""
    return ZERO if is_void(doc) else sign(doc) * outstanding(doc)


def days_past_due(doc: LedgerDoc, as_of: date) -> int:
    """Days after the due date at as_of; zero or less when not yet due (due today is not late)."""
    return (as_of - doc.due_date).days


def status(doc: LedgerDoc, as_of: date) -> str:
    """Derived status: void, paid, partially paid, open or overdue (credit notes are never late)."""
    if is_void(doc):
        return VOID
    if doc.paid >= doc.total:
        return PAID
    if doc.kind == INVOICE and days_past_due(doc, as_of) > 0:
        return OVERDUE
    return PARTIALLY_PAID if doc.paid > 0 else OPEN


def net_allocated(payment: LedgerPayment) -> Decimal:
    """The cash a payment's allocations account for: invoices paid minus credit notes used."""
    signed = (-a.amount if a.kind == CREDIT_NOTE else a.amount for a in payment.allocations)
    return sum(signed, ZERO)


def allocated(
    payments: Iterable[LedgerPayment], after: date | None = None
) -> dict[tuple[str, str], Decimal]:
    """Per (kind, number): what the payments allocated; only payments dated after `after` if set."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for payment in payments:
        if after is None or payment.payment_date > after:
            for alloc in payment.allocations:
                totals[(alloc.kind, alloc.number)] += alloc.amount
    return totals


def ledger_at(
    docs: Iterable[LedgerDoc], as_of: date, payments: Iterable[LedgerPayment] = ()
) -> list[LedgerDoc]:
    """The non-void documents issued on or before as_of, each with its amount paid at as_of.

    The rule for a date in the past: a document's `paid` is what is paid *to date*; the only
    payment dates known are those of dated payments and their allocations. So the amount paid at
    as_of is `paid` minus what payments dated after as_of allocated to it. A paid amount with no
    dated payment behind it counts as paid from the document's issue date: the portal does not
    invent a payment date, and the statements say so. With no payments after as_of (always the
    case for today) this is simply `paid`, and the balance is the DESIGN rule, total - paid.
    """
    later = allocated(payments, after=as_of)
    return [
        replace(doc, paid=doc.paid - later.get((doc.kind, doc.number), ZERO))
        for doc in docs
        if not is_void(doc) and doc.issue_date <= as_of
    ]


def by_currency(docs: Iterable[LedgerDoc]) -> dict[str, list[LedgerDoc]]:
    """Documents grouped by currency, currencies in alphabetical order."""
    groups: dict[str, list[LedgerDoc]] = defaultdict(list)
    for doc in docs:
        groups[doc.currency].append(doc)
    return {currency: groups[currency] for currency in sorted(groups)}


def aging_of(
    currency: str,
    docs: Iterable[LedgerDoc],
    as_of: date,
    buckets: Sequence[Bucket] = DEFAULT_BUCKETS,
) -> Aging:
    """Aging of documents already in one currency and seen at as_of (see ledger_at)."""
    amounts = [ZERO] * len(buckets)
    credit = ZERO
    for doc in docs:
        amount = signed_outstanding(doc)
        if amount < 0:
            credit += amount
        elif amount > 0:
            days = days_past_due(doc, as_of)
            index = next(i for i, bucket in enumerate(buckets) if bucket.holds(days))
            amounts[index] += amount
    return Aging(currency, tuple(zip((b.label for b in buckets), amounts, strict=False)), credit)


def aging(
    docs: Iterable[LedgerDoc],
    as_of: date,
    *,
    payments: Iterable[LedgerPayment] = (),
    buckets: Sequence[Bucket] = DEFAULT_BUCKETS,
) -> dict[str, Aging]:
    """Aging per currency at as_of: debts by days past due, credit apart; sums to the balance."""
    view = ledger_at(docs, as_of, payments)
    return {cur: aging_of(cur, group, as_of, buckets) for cur, group in by_currency(view).items()}


def _balance_of(currency: str, docs: list[LedgerDoc], as_of: date) -> Balance:
    owed = overdue = credit = ZERO
    upcoming: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for doc in docs:
        amount = signed_outstanding(doc)
        if amount < 0:
            credit -= amount
        elif amount > 0:
            owed += amount
            if days_past_due(doc, as_of) > 0:
                overdue += amount
            else:
                upcoming[doc.due_date] += amount
    next_date = min(upcoming) if upcoming else None
    next_amount = upcoming[next_date] if next_date else ZERO
    return Balance(
        currency, owed - credit, owed, overdue, credit, next_date, next_amount, len(docs)
    )


def balances(
    docs: Iterable[LedgerDoc], as_of: date, payments: Iterable[LedgerPayment] = ()
) -> dict[str, Balance]:
    """Balance per currency at as_of of the non-void documents issued by then (see ledger_at)."""
    view = ledger_at(docs, as_of, payments)
    return {cur: _balance_of(cur, group, as_of) for cur, group in by_currency(view).items()}


def balance_at(
    docs: Iterable[LedgerDoc], currency: str, as_of: date, payments: Iterable[LedgerPayment] = ()
) -> Decimal:
    """The balance in one currency at as_of (zero when the account has nothing in it)."""
    found = balances(docs, as_of, payments).get(currency)
    return found.outstanding if found else ZERO
