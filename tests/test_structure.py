"""The layout promises of DESIGN.md, checked on the code itself."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_lib_never_imports_streamlit_except_ui() -> None:
    # lib/ui (the package: its login and the buyer pages' shared reads) is the only one.
    ui = ROOT / "lib" / "ui"
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "lib").rglob("*.py")
        if ui not in path.parents
        and {"streamlit", "streamlit_authenticator"} & _imports(path)
    ]
    assert offenders == []


def test_no_pages_folder_beside_the_entry_file() -> None:
    # A pages/ folder turns on Streamlit's legacy navigation, which skips the login.
    assert not (ROOT / "pages").exists()
    assert (ROOT / "app_pages").is_dir()


def test_pages_hold_no_sql_and_open_no_connection() -> None:
    for path in list((ROOT / "app_pages").glob("*.py")) + [ROOT / "portal_app.py"]:
        text = path.read_text().lower()
        assert "duckdb" not in text and "create_engine" not in text, path
        assert "sqlmodel" not in _imports(path) and "sqlalchemy" not in _imports(path), path


def test_every_page_checks_access_itself() -> None:
    open_pages = {"first_admin.py", "set_password.py"}
    for path in (ROOT / "app_pages").glob("*.py"):
        if path.name in open_pages:
            continue
        assert "ui.require(" in path.read_text(), f"{path.name} has no guard"


def test_streamlit_config_is_hardened() -> None:
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert 'showErrorDetails = "none"' in config
    assert "gatherUsageStats = false" in config
    assert "enableXsrfProtection = true" in config
    assert "maxUploadSize" in config


def test_secrets_are_ignored_and_an_example_is_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".streamlit/secrets.toml" in ignored
    assert "/data/" in ignored
    assert (ROOT / ".streamlit" / "secrets.toml.example").exists()


def test_no_api_key_is_ever_given_to_the_login_library() -> None:
    for path in [*ROOT.joinpath("lib").rglob("*.py"), ROOT / "portal_app.py"]:
        assert "api_key" not in path.read_text(), path
