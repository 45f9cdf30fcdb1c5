"""Who may do what to which account: one pure, deny-by-default decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

# Actions that are not about one account's records: the roles that may do each.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "buyer_pages": frozenset({"buyer"}),
    "own_login": frozenset({"buyer", "support", "finance", "admin"}),
    "list_accounts": frozenset({"support", "finance", "admin"}),
    "view_as_buyer": frozenset({"support", "finance", "admin"}),
    "import": frozenset({"finance", "admin"}),
    "correct": frozenset({"finance", "admin"}),
    "view_audit_imports": frozenset({"finance", "admin"}),
    "view_audit": frozenset({"admin"}),
    "view_analytics": frozenset({"finance", "admin"}),
    "invite": frozenset({"finance", "admin"}),
    "manage_people": frozenset({"admin"}),
    "edit_settings": frozenset({"admin"}),
}
# Reading an account's documents, balances and statements.
VIEW_ACCOUNT = "view_account"
STAFF_ROLES = frozenset({"support", "finance", "admin"})


@dataclass(frozen=True)
class AccountGrant:
    """One account a buyer may see, limited to one branch when branch is set."""

    account_code: str
    branch: Optional[str] = None


@dataclass(frozen=True)
class Principal:
    """The person asking: their role and, for buyers, their grants."""

    username: str
    role: str
    grants: frozenset[AccountGrant] = field(default_factory=frozenset)
    # Set when a member of staff views the portal as this buyer: read-only, never counted.
    viewed_by: Optional[str] = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def account_codes(self) -> list[str]:
        """The codes of the accounts granted to this person, sorted."""
        return sorted({grant.account_code for grant in self.grants})


def allowed(
    who: Optional[Principal],
    action: str,
    account_code: Optional[str] = None,
    branch: Optional[str] = None,
) -> bool:
    """True only if `who` may do `action` (on `account_code`, limited to `branch`)."""
    if who is None or not who.username:
        return False
    if action in ROLE_ACTIONS:
        return who.role in ROLE_ACTIONS[action]
    if action != VIEW_ACCOUNT or not account_code:
        return False
    if who.is_staff:
        return True
    if who.role != "buyer":
        return False
    return any(_grant_covers(g, account_code, branch) for g in who.grants)


def _grant_covers(grant: AccountGrant, account_code: str, branch: Optional[str]) -> bool:
    if grant.account_code != account_code:
        return False
    return grant.branch is None or grant.branch == branch


def branch_limit(who: Principal, account_code: str) -> Optional[frozenset[str]]:
    """The branches `who` is limited to in an account, or None when they see all of it.

    Callers must first check `allowed(who, VIEW_ACCOUNT, account_code, ...)`; for a person
    with no grant on the account this returns an empty set, which shows nothing.
    """
    if who.is_staff:
        return None
    grants = [g for g in who.grants if g.account_code == account_code and who.role == "buyer"]
    if any(g.branch is None for g in grants):
        return None
    return frozenset(g.branch for g in grants if g.branch is not None)


def may_view_any_part(who: Optional[Principal], account_code: str) -> bool:
    """True if `who` may see the account, whole or at least one branch of it."""
    if who is None:
        return False
    if allowed(who, VIEW_ACCOUNT, account_code):
        return True
    limit = branch_limit(who, account_code) if who.role == "buyer" else None
    return bool(limit) and all(allowed(who, VIEW_ACCOUNT, account_code, b) for b in limit or ())
