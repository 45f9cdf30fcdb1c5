"""The command line, run as a real subprocess against a real store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lib import people, store
from lib.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def cli(
    data_dir: Path, *args: str, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "lib.cli", *args], cwd=ROOT, env=env, input=stdin,
        capture_output=True, text=True, timeout=timeout,
    )


@pytest.mark.parametrize(
    "command",
    [[], ["account"], ["account", "add"], ["user"], ["user", "add"], ["user", "list"],
     ["user", "disable"], ["user", "enable"], ["user", "invite"], ["demo"]],
)
def test_every_command_has_help(data_dir: Path, command: list[str]) -> None:
    result = cli(data_dir, *command, "--help")
    assert result.returncode == 0
    assert "usage: python -m lib.cli" in result.stdout


def test_accounts_users_links_and_disable(data_dir: Path) -> None:
    assert cli(data_dir, "account", "add", "A1", "--name", "Alpha Ltd").returncode == 0
    added = cli(data_dir, "user", "add", "Bea", "--name", "Bea Buyer", "--email", "b@x.com",
                "--role", "buyer", "--account", "A1")
    assert added.returncode == 0, added.stderr
    assert "?link=" in added.stdout and "expires in 72 hours" in added.stdout
    with_password = cli(data_dir, "user", "add", "fin", "--name", "Fin", "--email", "f@x.com",
                        "--role", "finance", "--password-stdin", stdin="a fine long password\n")
    assert with_password.returncode == 0 and "?link=" not in with_password.stdout
    listing = cli(data_dir, "user", "list").stdout
    assert "bea" in listing and "invited" in listing and "A1" in listing
    assert "fin" in listing and "active" in listing
    assert "$2b$" not in listing  # never a hash or secret
    first = cli(data_dir, "user", "invite", "bea").stdout
    second = cli(data_dir, "user", "invite", "bea").stdout
    assert first != second
    assert cli(data_dir, "user", "disable", "bea").returncode == 0
    assert "disabled" in cli(data_dir, "user", "list").stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["user", "add", "xx", "--name", "X", "--email", "", "--role", "buyer",
          "--password-stdin"], "short\n", "at least 12 characters"),
        (["user", "add", "yy", "--name", "Y", "--email", "", "--role", "buyer",
          "--password-stdin"], "é" * 80 + "\n", "at most 64 characters"),
        (["user", "add", "zz", "--name", "Z", "--email", "", "--role", "buyer", "--account",
          "NOPE"], "", "No account with the code 'NOPE'"),
        (["user", "disable", "ghost"], "", "No contact with the username 'ghost'"),
        (["account", "add", "bad code!", "--name", "N"], "", "is not valid"),
    ],
)
def test_errors_are_messages_not_tracebacks(
    data_dir: Path, args: list[str], stdin: str, message: str
) -> None:
    result = cli(data_dir, *args, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failed_command_writes_nothing(data_dir: Path) -> None:
    cli(data_dir, "user", "add", "zz", "--name", "Z", "--email", "", "--role", "buyer",
        "--account", "NOPE")
    with store.session_scope(load_settings().database_url) as session:
        assert people.contact_by_username(session, "zz") is None


def test_a_writing_command_while_the_store_is_held_fails_fast_and_clearly(data_dir: Path) -> None:
    cli(data_dir, "account", "add", "A1", "--name", "Alpha")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "time.sleep(60)", str(data_dir / "portal.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        result = cli(data_dir, "account", "add", "B2", "--name", "Beta", timeout=30)
        assert time.monotonic() - started < 20
        assert result.returncode == 3
        assert "is using the store" in result.stderr and "Traceback" not in result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert "B2" not in cli(data_dir, "user", "list").stdout


def _demo_logins(output: str) -> dict[str, tuple[str, str]]:
    rows = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1] in {"admin", "finance", "support", "buyer"}:
            rows[parts[0]] = (parts[1], parts[2])
    return rows


def test_demo_loads_a_company_and_prints_working_logins(data_dir: Path) -> None:
    from sqlmodel import func, select

    from lib import auth, logins, models, queries
    from lib.clock import now

    result = cli(data_dir, "demo")
    assert result.returncode == 0, result.stderr
    made = _demo_logins(result.stdout)
    assert {"admin", "finance", "support", "buyer"} <= {role for role, _ in made.values()}
    with store.session_scope(load_settings().database_url) as session:
        assert session.exec(select(func.count()).select_from(models.Account)).one() >= 40
        currencies = set(session.exec(select(models.Document.currency).distinct()).all())
        assert len(currencies) >= 2
        for username, (_, password) in made.items():
            entry = logins.credential_entry(session, username, now())
            assert auth.check_password(password, entry["password"]), username
        holders = [people.principal_for(session, u) for u in made]
        grants_per_account: dict[str, int] = {}
        for who in holders:
            assert who is not None
            for code in who.account_codes():
                grants_per_account[code] = grants_per_account.get(code, 0) + 1
        assert sum(1 for n in grants_per_account.values() if n >= 2) >= 3
        assert any(len(who.account_codes()) == 2 for who in holders if who)
        branch_buyer = next(w for w in holders if w and any(g.branch for g in w.grants))
        scope = queries.scope_for(session, branch_buyer, branch_buyer.account_codes()[0])
        assert queries.scoped_documents(session, scope), "the branch buyer sees documents"
    store.close_all()  # this test process must let go of the store for the next command
    again = cli(data_dir, "demo")
    assert again.returncode == 2 and "Traceback" not in again.stderr


def test_demo_passwords_are_generated_each_time(tmp_path: Path) -> None:
    first = _demo_logins(cli(tmp_path / "one", "demo").stdout)
    second = _demo_logins(cli(tmp_path / "two", "demo").stdout)
    assert first.keys() == second.keys()
    assert all(first[name][1] != second[name][1] for name in first)
