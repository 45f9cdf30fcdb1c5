"""The demo company's logins: staff of each role and buyer contacts with varied grants."""

from __future__ import annotations

from collections.abc import Callable

from lib import people, store
from lib.errors import PortalError

DemoLogin = tuple[str, str, str, str]  # username, role, accounts, password


def _plan(codes: list[str], branch_account: str | None) -> list[tuple[str, str, list[str], str]]:
    """Who gets which accounts: several contacts on three accounts, one holding two."""
    first, second, third = codes[0], codes[1], codes[2]
    plan = [
        ("demo-admin", "admin", [], ""),
        ("demo-finance", "finance", [], ""),
        ("demo-support", "support", [], ""),
        (f"{first.lower()}-buyer", "buyer", [first], ""),
        (f"{first.lower()}-ap", "buyer", [first], ""),
        (f"{second.lower()}-buyer", "buyer", [second], ""),
        (f"{second.lower()}-ap", "buyer", [second], ""),
        (f"{third.lower()}-buyer", "buyer", [third], ""),
        (f"{third.lower()}-controller", "buyer", [third], ""),
        ("group-buyer", "buyer", [first, second], ""),
    ]
    if branch_account:
        plan.append(("branch-buyer", "buyer", [branch_account], "North"))
    return plan


def add_demo_people(
    url: str, codes: list[str], *, password: Callable[[], str], branch_account: str | None = None
) -> list[DemoLogin]:
    """Create the demo logins with passwords from `password()`; refused if any login exists."""
    if len(codes) < 3:
        raise PortalError("The demo needs at least three accounts.")
    made: list[DemoLogin] = []
    with store.session_scope(url) as session:
        if people.count_contacts(session):
            raise PortalError("The store already has users: the demo loads into an empty store.")
        for username, role, accounts, branch in _plan(codes, branch_account):
            secret = password()
            name = username.replace("-", " ").title()
            people.add_contact(session, "demo", username=username, name=name,
                               email=f"{username}@example.com", role=role, password=secret)
            for code in accounts:
                people.grant(session, "demo", username, code, branch or None)
            shown = ", ".join(accounts) + (f" (branch {branch})" if branch else "")
            made.append((username, role, shown or "all accounts", secret))
    return made
