"""The access function, as a table of cases: deny by default."""

from __future__ import annotations

import pytest

from lib.access import AccountGrant, Principal, allowed, branch_limit, may_view_any_part

BUYER = Principal("bea", "buyer", frozenset({AccountGrant("A1"), AccountGrant("B2", "North")}))
NO_GRANTS = Principal("nobody", "buyer")
SUPPORT = Principal("sam", "support")
FINANCE = Principal("fin", "finance")
ADMIN = Principal("ada", "admin")
STRANGER = Principal("x", "auditor")  # an unknown role gets nothing


@pytest.mark.parametrize(
    ("who", "action", "account", "branch", "expected"),
    [
        (BUYER, "view_account", "A1", None, True),
        (BUYER, "view_account", "A1", "South", True),
        (BUYER, "view_account", "B2", "North", True),
        (BUYER, "view_account", "B2", "South", False),
        (BUYER, "view_account", "B2", None, False),  # whole account: only North is granted
        (BUYER, "view_account", "C3", None, False),
        (BUYER, "view_account", None, None, False),
        (BUYER, "buyer_pages", None, None, True),
        (BUYER, "list_accounts", None, None, False),
        (BUYER, "import", None, None, False),
        (BUYER, "correct", None, None, False),
        (BUYER, "manage_people", None, None, False),
        (BUYER, "delete_everything", None, None, False),
        (NO_GRANTS, "view_account", "A1", None, False),
        (SUPPORT, "view_account", "C3", None, True),
        (SUPPORT, "view_as_buyer", None, None, True),
        (SUPPORT, "import", None, None, False),
        (SUPPORT, "correct", None, None, False),
        (SUPPORT, "invite", None, None, False),
        (SUPPORT, "buyer_pages", None, None, False),
        (FINANCE, "import", None, None, True),
        (FINANCE, "correct", None, None, True),
        (FINANCE, "view_audit_imports", None, None, True),
        (FINANCE, "view_audit", None, None, False),
        (FINANCE, "manage_people", None, None, False),
        (ADMIN, "manage_people", None, None, True),
        (ADMIN, "edit_settings", None, None, True),
        (ADMIN, "view_account", "ANY", None, True),
        (STRANGER, "view_account", "A1", None, False),
        (STRANGER, "own_login", None, None, False),
        (None, "view_account", "A1", None, False),
        (Principal("", "admin"), "manage_people", None, None, False),
    ],
)
def test_allowed(who, action, account, branch, expected) -> None:
    assert allowed(who, action, account, branch) is expected


@pytest.mark.parametrize(
    ("who", "account", "expected"),
    [
        (BUYER, "A1", None),
        (BUYER, "B2", frozenset({"North"})),
        (BUYER, "C3", frozenset()),
        (ADMIN, "C3", None),
    ],
)
def test_branch_limit(who, account, expected) -> None:
    assert branch_limit(who, account) == expected


@pytest.mark.parametrize(
    ("who", "account", "expected"),
    [(BUYER, "A1", True), (BUYER, "B2", True), (BUYER, "C3", False), (NO_GRANTS, "A1", False),
     (SUPPORT, "C3", True), (None, "A1", False)],
)
def test_may_view_any_part(who, account, expected) -> None:
    assert may_view_any_part(who, account) is expected
