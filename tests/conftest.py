"""Shared fixtures: every test gets its own data folder and real DuckDB store."""

from __future__ import annotations

import os

# Cheaper bcrypt for the suite (and the portals and commands it starts): same code, cost 4.
os.environ.setdefault("PORTAL_TESTING", "1")
os.environ.setdefault("PORTAL_BCRYPT_ROUNDS", "4")
from collections.abc import Iterator
from pathlib import Path

import pytest

from lib import store
from lib.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh PORTAL_DATA_DIR for this test; engines are closed afterwards."""
    folder = tmp_path / "portal-data"
    monkeypatch.setenv("PORTAL_DATA_DIR", str(folder))
    monkeypatch.delenv("PORTAL_COOKIE_KEY", raising=False)
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    yield folder
    from lib import inbox

    inbox.stop_watchers()  # page runs start a drop-folder watcher on this folder
    store.close_all()


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """Settings pointing at this test's data folder."""
    return load_settings()


@pytest.fixture
def url(settings: Settings) -> str:
    """The database URL of this test's own store (created on first use)."""
    store.engine_for(settings.database_url)
    return settings.database_url


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    """Streamlit's caches are process-wide: clear them so no test sees another's store."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
