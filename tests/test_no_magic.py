"""Streamlit's "magic" is off: no page relies on it, so turning it off changes nothing shown.

With magic on, Streamlit rewrites each script on every run so that a bare expression statement
is written to the page. The portal's scripts have none (checked here with Streamlit's own
rewriter), and .streamlit/config.toml turns magic off: a stray expression never shows a value
to a buyer, and no run pays for the rewrite.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from streamlit.runtime.scriptrunner import magic

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted([ROOT / "portal_app.py", *(ROOT / "app_pages").glob("*.py")])


def _magic_writes(path: Path) -> list[int]:
    """Lines that magic would write to the page."""
    tree = magic.add_magic(path.read_text(), str(path))
    return [
        node.lineno for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "transparent_write"
    ]  # fmt: skip


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_no_script_relies_on_magic(path: Path) -> None:
    assert _magic_writes(path) == []


def test_the_rewriter_is_what_this_test_thinks(tmp_path: Path) -> None:
    # The control: a bare expression is exactly what magic writes.
    script = tmp_path / "page.py"
    script.write_text('import streamlit as st\nname = "x"\nname\nst.title(name)\n')
    assert _magic_writes(script) == [3]


def test_magic_is_off_in_the_config() -> None:
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "magicEnabled = false" in config
