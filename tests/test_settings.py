"""The cookie signing key: generated per installation, owner-only, never a placeholder."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lib.errors import PortalError
from lib.settings import load_settings


def test_key_is_generated_on_first_start_with_owner_only_permissions(data_dir: Path) -> None:
    first = load_settings()
    key_file = data_dir / "cookie_key"
    assert len(first.cookie_key.encode()) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_settings().cookie_key == first.cookie_key  # kept, not regenerated


def test_two_installations_get_different_keys(tmp_path: Path, monkeypatch) -> None:
    keys = []
    for name in ("one", "two"):
        monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / name))
        keys.append(load_settings().cookie_key)
    assert keys[0] != keys[1]


def test_operator_key_is_used(data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_COOKIE_KEY", "an-operator-provided-key-of-enough-length-1234")
    assert load_settings().cookie_key.startswith("an-operator")
    assert not (data_dir / "cookie_key").exists()


@pytest.mark.parametrize("placeholder", ["some_key", "change-me", "short-but-real"])
def test_placeholder_or_short_keys_are_refused(data_dir: Path, monkeypatch, placeholder) -> None:
    monkeypatch.setenv("PORTAL_COOKIE_KEY", placeholder)
    with pytest.raises(PortalError, match="placeholder or shorter"):
        load_settings()


def test_data_dir_follows_the_environment(data_dir: Path) -> None:
    settings = load_settings()
    assert settings.data_dir == data_dir.resolve()
    assert settings.db_path == data_dir.resolve() / "portal.duckdb"
