"""Settings an administrator edits in the portal, stored in the `setting` table, audited."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlmodel import Session

from lib import audit, ledger, models
from lib.errors import PortalError
from lib.ledger import Bucket
from lib.statements import Wholesaler

NAME, ADDRESS, LOGO, AGING, SESSION_HOURS, INBOX_SUGGESTED = (
    "wholesaler_name", "wholesaler_address", "logo_file", "aging_edges", "session_hours",
    "inbox_suggested",
)  # fmt: skip
DEFAULTS = {NAME: "", ADDRESS: "", LOGO: "", AGING: "30,60,90", SESSION_HOURS: "168",
            INBOX_SUGGESTED: "yes"}  # fmt: skip
LABELS = {
    NAME: "Wholesaler name", ADDRESS: "Wholesaler address", LOGO: "Logo",
    AGING: "Aging buckets (days)", SESSION_HOURS: "Session length (hours)",
    INBOX_SUGGESTED: "Drop folder: when no saved mapping matches a file's headers, import it "
                     "with the suggested mapping if every required column was recognised",
}  # fmt: skip
UNNAMED = "Wholesaler"
LOGO_RELATIVE = "branding/logo.png"
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_SIDE = 4000
MAX_ADDRESS_LINES = 6
MAX_SESSION_HOURS = 90 * 24


def _clean_name(value: str) -> str:
    name = " ".join(value.split())
    if not name or len(name) > 120:
        raise PortalError("The wholesaler name needs 1 to 120 characters.")
    return name


def _clean_address(value: str) -> str:
    lines = [" ".join(line.split()) for line in value.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > MAX_ADDRESS_LINES or any(len(line) > 100 for line in lines):
        raise PortalError(f"The address takes at most {MAX_ADDRESS_LINES} lines of 100 characters.")
    return "\n".join(lines)


def _clean_edges(value: str) -> str:
    try:
        edges = tuple(int(part) for part in value.replace(";", ",").split(",") if part.strip())
    except ValueError:
        raise PortalError("Aging buckets are whole numbers of days, e.g. 30, 60, 90.") from None
    ledger.aging_buckets(edges)  # raises PortalError unless increasing and positive
    return ",".join(str(edge) for edge in edges)


def _clean_hours(value: str) -> str:
    try:
        hours = int(value.strip())
    except ValueError:
        raise PortalError("The session length is a whole number of hours.") from None
    if not 1 <= hours <= MAX_SESSION_HOURS:
        raise PortalError(f"The session length is 1 to {MAX_SESSION_HOURS} hours (90 days).")
    return str(hours)


def _clean_yes_no(value: str) -> str:
    answer = value.strip().lower()
    if answer not in {"yes", "no"}:
        raise PortalError("Answer yes or no.")
    return answer


CLEANERS: dict[str, Callable[[str], str]] = {
    NAME: _clean_name, ADDRESS: _clean_address, AGING: _clean_edges, SESSION_HOURS: _clean_hours,
    INBOX_SUGGESTED: _clean_yes_no,
}  # fmt: skip


def get_value(session: Session, key: str) -> str:
    """The stored value of a setting, or its default."""
    if key not in DEFAULTS:
        raise PortalError(f"Unknown setting {key!r}.")
    row = session.get(models.Setting, key)
    return row.value if row is not None else DEFAULTS[key]


def _store(session: Session, actor: str, key: str, value: str) -> bool:
    """Write a value and audit it with before and after; False when nothing changed."""
    before = get_value(session, key)
    if value == before:
        return False
    row = session.get(models.Setting, key) or models.Setting(key=key, value=value)
    row.value = value
    session.add(row)
    audit.record(session, actor, "setting_changed", target=key, before=before, after=value)
    return True


def set_value(session: Session, actor: str, key: str, value: str) -> bool:
    """Validate and save one text setting; True when it changed (and was audited)."""
    if key not in CLEANERS:
        raise PortalError(f"The setting {key!r} cannot be typed in.")
    return _store(session, actor, key, CLEANERS[key](value))


def current(session: Session) -> dict[str, str]:
    """Every setting with its current value."""
    return {key: get_value(session, key) for key in DEFAULTS}


def aging_edges(session: Session) -> tuple[int, ...]:
    """The upper edges of the aging buckets, e.g. (30, 60, 90)."""
    return tuple(int(edge) for edge in get_value(session, AGING).split(","))


def buckets(session: Session) -> tuple[Bucket, ...]:
    """The aging buckets from the setting."""
    return ledger.aging_buckets(aging_edges(session))


def session_hours(session: Session) -> int:
    """How long a login lasts, in hours."""
    return int(get_value(session, SESSION_HOURS))


def inbox_uses_suggestions(session: Session) -> bool:
    """Whether the drop folder may import a file with a confident suggested mapping."""
    return get_value(session, INBOX_SUGGESTED) == "yes"


def logo_path(session: Session, data_dir: Path) -> Path | None:
    """The stored logo file, when one was uploaded and is still there."""
    relative = get_value(session, LOGO)
    path = data_dir / relative if relative else None
    return path if path is not None and path.is_file() else None


def wholesaler(session: Session, data_dir: Path) -> Wholesaler:
    """Who issues statements: name, address lines and logo."""
    address = tuple(line for line in get_value(session, ADDRESS).splitlines() if line)
    return Wholesaler(get_value(session, NAME) or UNNAMED, address, logo_path(session, data_dir))


def _decoded_logo(data: bytes) -> Image.Image:
    """The uploaded image, checked before it is decoded (size, type, dimensions)."""
    if not data or len(data) > MAX_LOGO_BYTES:
        raise PortalError("The logo must be a PNG or JPEG file of at most 2 MB.")
    try:
        image = Image.open(io.BytesIO(data))
        if image.format not in ("PNG", "JPEG"):
            raise PortalError("The logo must be a PNG or JPEG file of at most 2 MB.")
        if max(image.size) > MAX_LOGO_SIDE:
            raise PortalError(f"The logo may be at most {MAX_LOGO_SIDE} pixels wide and high.")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise PortalError("The logo file could not be read as an image.") from None
    return image


def save_logo(session: Session, actor: str, data: bytes, data_dir: Path) -> Path:
    """Check an uploaded logo, store it re-encoded as PNG under the data folder, and audit it."""
    image = _decoded_logo(data)
    target = data_dir / LOGO_RELATIVE
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    # Re-encoding keeps only pixels: no metadata or trailing bytes of the upload survive.
    image.convert("RGBA" if "A" in image.getbands() else "RGB").save(partial, format="PNG")
    os.replace(partial, target)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    # Always audited, even under the same file name: the picture itself changed.
    row = session.get(models.Setting, LOGO) or models.Setting(key=LOGO, value="")
    row.value = LOGO_RELATIVE
    session.add(row)
    audit.record(session, actor, "setting_changed", target=LOGO, after=LOGO_RELATIVE,
                 sha256=digest)  # fmt: skip
    return target


def remove_logo(session: Session, actor: str, data_dir: Path) -> bool:
    """Stop using the logo; True when there was one."""
    path = logo_path(session, data_dir)
    changed = _store(session, actor, LOGO, "")
    if path is not None:
        path.unlink(missing_ok=True)
    return changed or path is not None
