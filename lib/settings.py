"""One frozen settings object: data folder, database URL, cookie key and limits."""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

from lib.errors import PortalError

ROOT = Path(__file__).resolve().parent.parent
COOKIE_KEY_FILE = "cookie_key"
MIN_COOKIE_KEY_BYTES = 32
# Values copied from documentation or examples: never accepted as a signing key.
PLACEHOLDER_KEYS = frozenset(
    {"", "some_key", "change-me", "changeme", "secret", "replace-me", "your-cookie-key"}
)


@dataclass(frozen=True)
class Settings:
    """Where the store lives and how logins behave; built once per process."""

    data_dir: Path
    cookie_key: str
    cookie_name: str = "portal_session"
    cookie_expiry_days: float = 7.0
    lock_after_failures: int = 5
    lock_minutes: int = 15
    token_hours: int = 72
    max_upload_mb: int = 200
    base_url: str = "http://localhost:8501"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "portal.duckdb"

    @property
    def database_url(self) -> str:
        return os.environ.get("PORTAL_DATABASE_URL") or f"duckdb:///{self.db_path}"

    @property
    def inbox(self) -> Path:
        return self.data_dir / "inbox"

    @property
    def documents_dir(self) -> Path:
        return self.data_dir / "documents"


def data_dir_from_env() -> Path:
    """The data folder: PORTAL_DATA_DIR, or data/ beside the code."""
    return Path(os.environ.get("PORTAL_DATA_DIR") or ROOT / "data").resolve()


def _secret_from_toml(name: str) -> str | None:
    path = ROOT / ".streamlit" / "secrets.toml"
    if not path.exists():
        return None
    with path.open("rb") as handle:
        value = tomllib.load(handle).get(name)
    return str(value) if value is not None else None


def check_cookie_key(key: str) -> str:
    """Refuse a placeholder or short signing key."""
    if key.strip().lower() in PLACEHOLDER_KEYS or len(key.encode()) < MIN_COOKIE_KEY_BYTES:
        raise PortalError(
            "The cookie signing key is a placeholder or shorter than 32 bytes: "
            "set PORTAL_COOKIE_KEY to a long random value, or remove it to have one generated."
        )
    return key


def _generated_cookie_key(data_dir: Path) -> str:
    """Read the installation's key, generating it (owner-only) on first start."""
    path = data_dir / COOKIE_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def load_settings() -> Settings:
    """Build the settings from the environment, secrets.toml and the data folder."""
    data_dir = data_dir_from_env()
    data_dir.mkdir(parents=True, exist_ok=True)
    given = os.environ.get("PORTAL_COOKIE_KEY") or _secret_from_toml("cookie_key")
    key = check_cookie_key(given if given is not None else _generated_cookie_key(data_dir))
    base_url = os.environ.get("PORTAL_BASE_URL", "http://localhost:8501")
    return Settings(data_dir=data_dir, cookie_key=key, base_url=base_url)
