"""Settings an administrator edits: defaults, validation, the logo file, and the audit trail."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from lib import models, portal_settings, store
from lib.errors import PortalError


def _png(size: tuple[int, int] = (40, 20), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


def _audit(url: str) -> list[tuple[str, str, dict[str, str]]]:
    with store.session_scope(url) as s:
        rows = s.exec(select(models.AuditEvent).where(
            models.AuditEvent.action == "setting_changed").order_by(models.AuditEvent.id)).all()
        return [(r.actor, r.target, json.loads(r.detail_json)) for r in rows]


def test_defaults_before_anything_is_set(url: str, data_dir: Path) -> None:
    with store.session_scope(url) as s:
        assert portal_settings.aging_edges(s) == (30, 60, 90)
        assert [b.label for b in portal_settings.buckets(s)] == [
            "Not yet due", "1-30 days", "31-60 days", "61-90 days", "Over 90 days"]
        assert portal_settings.session_hours(s) == 168
        seller = portal_settings.wholesaler(s, data_dir)
        assert (seller.name, seller.address_lines, seller.logo_path) == ("Wholesaler", (), None)


def test_each_change_is_saved_cleaned_and_audited_once(url: str, data_dir: Path) -> None:
    with store.session_scope(url) as s:
        assert portal_settings.set_value(s, "ada", portal_settings.NAME, "  Northwind   Ltd ")
        assert portal_settings.set_value(s, "ada", portal_settings.ADDRESS, "1 Dock Rd\n\n Hull ")
        assert portal_settings.set_value(s, "ada", portal_settings.AGING, "15; 45, 90")
        assert portal_settings.set_value(s, "ada", portal_settings.SESSION_HOURS, " 12 ")
        assert not portal_settings.set_value(s, "ada", portal_settings.NAME, "Northwind Ltd")
    with store.session_scope(url) as s:
        seller = portal_settings.wholesaler(s, data_dir)
        assert (seller.name, seller.address_lines) == ("Northwind Ltd", ("1 Dock Rd", "Hull"))
        assert portal_settings.aging_edges(s) == (15, 45, 90)
        assert portal_settings.session_hours(s) == 12
    events = _audit(url)
    assert [target for _, target, _ in events] == [
        "wholesaler_name", "wholesaler_address", "aging_edges", "session_hours"]
    assert events[0] == ("ada", "wholesaler_name", {"before": "", "after": "Northwind Ltd"})
    assert events[2][2] == {"before": "30,60,90", "after": "15,45,90"}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (portal_settings.NAME, "   ", "1 to 120 characters"),
        (portal_settings.AGING, "60, 30", "increasing"),
        (portal_settings.AGING, "30, sixty", "whole numbers"),
        (portal_settings.AGING, "0, 30", "increasing"),
        (portal_settings.SESSION_HOURS, "0", "1 to 2160"),
        (portal_settings.SESSION_HOURS, "1.5", "whole number"),
        (portal_settings.ADDRESS, "\n".join("x" * 7), "at most 6 lines"),
        (portal_settings.LOGO, "/etc/passwd", "cannot be typed"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(
    url: str, key: str, value: str, message: str
) -> None:
    with store.session_scope(url) as s, pytest.raises(PortalError, match=message):
        portal_settings.set_value(s, "ada", key, value)
    assert _audit(url) == []


def test_the_logo_is_checked_re_encoded_and_stored_under_the_data_folder(
    url: str, data_dir: Path
) -> None:
    with store.session_scope(url) as s:
        path = portal_settings.save_logo(s, "ada", _png(fmt="JPEG"), data_dir)
    assert path == data_dir / "branding" / "logo.png"
    assert Image.open(path).format == "PNG"
    with store.session_scope(url) as s:
        assert portal_settings.wholesaler(s, data_dir).logo_path == path
        assert portal_settings.remove_logo(s, "ada", data_dir)
    assert not path.exists()
    with store.session_scope(url) as s:
        assert portal_settings.wholesaler(s, data_dir).logo_path is None
    assert [target for _, target, _ in _audit(url)] == ["logo_file", "logo_file"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "at most 2 MB"),
        (b"%PDF-1.4 not an image", "could not be read"),
        (b"x" * (2 * 1024 * 1024 + 1), "at most 2 MB"),
        (_png((4001, 10)), "4000 pixels"),
        (_png(fmt="GIF"), "PNG or JPEG"),
    ],
)
def test_bad_logos_are_refused(url: str, data_dir: Path, data: bytes, message: str) -> None:
    with store.session_scope(url) as s, pytest.raises(PortalError, match=message):
        portal_settings.save_logo(s, "ada", data, data_dir)
    assert not (data_dir / "branding" / "logo.png").exists()
