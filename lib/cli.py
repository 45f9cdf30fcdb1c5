"""The command line: accounts, users, one-time links and the demo company."""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable, Sequence

from lib import clock, logins, people, store
from lib.errors import PortalError, StoreBusy
from lib.settings import Settings, load_settings

Command = Callable[[argparse.Namespace, Settings], int]
EXIT_BUSY = 3


def _print_link(settings: Settings, username: str, secret: str) -> None:
    print(f"One-time link for {username} (single use, expires in {settings.token_hours} hours):")
    print(people.link_url(settings.base_url, secret))


def cmd_account_add(args: argparse.Namespace, settings: Settings) -> int:
    """Create a buyer account."""
    with store.session_scope(settings.database_url) as session:
        people.add_account(session, "cli", args.code, args.name, args.parent)
    print(f"Account {args.code} added.")
    return 0


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> int:
    """Create a contact, grant accounts, and set a password or print a one-time link."""
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
    now = clock.now()
    with store.session_scope(settings.database_url) as session:
        contact = people.add_contact(
            session, "cli", username=args.username, name=args.name, email=args.email,
            role=args.role, password=password,
        )
        for code in args.account or []:
            people.grant(session, "cli", contact.username, code, args.branch)
        secret = None if password else logins.issue_link(
            session, "cli", contact.username, now, settings.token_hours
        )
    print(f"User {contact.username} added ({contact.role}).")
    if secret:
        _print_link(settings, contact.username, secret)
    return 0


def cmd_user_list(args: argparse.Namespace, settings: Settings) -> int:
    """Print every contact with role, state and accounts."""
    with store.session_scope(settings.database_url) as session:
        frame = people.contacts_frame(session)
    if frame.empty:
        print("No users yet.")
    else:
        print(frame.drop(columns=["Last login"]).to_string(index=False))
    return 0


def cmd_user_disable(args: argparse.Namespace, settings: Settings) -> int:
    """Disable a contact and end their sessions."""
    with store.session_scope(settings.database_url) as session:
        people.set_disabled(session, "cli", args.username, True, clock.now())
    print(f"User {args.username} disabled; their sessions have ended.")
    return 0


def cmd_user_enable(args: argparse.Namespace, settings: Settings) -> int:
    """Enable a disabled contact again."""
    with store.session_scope(settings.database_url) as session:
        people.set_disabled(session, "cli", args.username, False, clock.now())
    print(f"User {args.username} enabled.")
    return 0


def cmd_user_invite(args: argparse.Namespace, settings: Settings) -> int:
    """Print a fresh one-time link (earlier unused links stop working)."""
    with store.session_scope(settings.database_url) as session:
        secret = logins.issue_link(session, "cli", args.username, clock.now(),
                                   settings.token_hours)
    _print_link(settings, people.normalise_username(args.username), secret)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Load the demo company and print its logins with fresh passwords."""
    from lib import demo, demo_people

    today = clock.today()
    codes = demo.load_demo_ledger(settings.database_url, today=today, seed=args.seed)
    with store.session_scope(settings.database_url) as session:
        branched = [c for c in codes if people.account_branches(session, c)]
    logins_made = demo_people.add_demo_people(
        settings.database_url, codes, password=lambda: secrets.token_urlsafe(12),
        branch_account=branched[0] if branched else None,
    )
    print(f"Demo company loaded: {len(codes)} accounts, documents up to {today}.")
    print("Demo logins (passwords generated just now; keep them or issue links later):")
    for username, role, accounts, password in logins_made:
        print(f"  {username:<18} {role:<8} {password}  {accounts}")
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lib.cli",
        description="Manage the invoice portal's store. PORTAL_DATA_DIR chooses the data folder.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    _add_account_commands(commands)
    _add_user_commands(commands)
    demo_cmd = commands.add_parser("demo", help="load a demo company into an empty store")
    demo_cmd.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    demo_cmd.set_defaults(run=cmd_demo)
    for register in _extensions():
        register(commands)
    return parser


def _add_account_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    account = commands.add_parser("account", help="buyer accounts").add_subparsers(
        dest="action", required=True
    )
    add = account.add_parser("add", help="create a buyer account")
    add.add_argument("code", help="the account code used by the ERP")
    add.add_argument("--name", required=True, help="the account's name")
    add.add_argument("--parent", help="code of a parent account")
    add.set_defaults(run=cmd_account_add)


def _add_user_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    user = commands.add_parser("user", help="contacts and their logins").add_subparsers(
        dest="action", required=True
    )
    add = user.add_parser("add", help="create a contact (prints a one-time link)")
    add.add_argument("username")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--role", required=True, choices=["buyer", "finance", "support", "admin"])
    add.add_argument("--account", action="append", metavar="CODE",
                     help="grant this account (repeatable; buyers only)")
    add.add_argument("--branch", help="limit the granted accounts to this branch")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from the first line of standard input")
    add.set_defaults(run=cmd_user_add)
    user.add_parser("list", help="list contacts").set_defaults(run=cmd_user_list)
    for name, run, text in [
        ("disable", cmd_user_disable, "disable a contact and end their sessions"),
        ("enable", cmd_user_enable, "enable a disabled contact"),
        ("invite", cmd_user_invite, "print a fresh one-time set-password link"),
    ]:
        sub = user.add_parser(name, help=text)
        sub.add_argument("username")
        sub.set_defaults(run=run)


def _extensions() -> list[Callable[[argparse._SubParsersAction], None]]:  # type: ignore[type-arg]
    """Commands defined next to their domain (imports, the drop folder)."""
    import lib.imports.cli as import_cli

    return [import_cli.register]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; portal errors print a message and exit non-zero, never a traceback."""
    args = _build_parser().parse_args(argv)
    try:
        return int(args.run(args, load_settings()))
    except StoreBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except PortalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close_all()


if __name__ == "__main__":
    sys.exit(main())
