"""The trust tests' AppTest helpers: logged-in sessions, what a page shows, forged widget values."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


def logged_in_app(username: str, role: str = "buyer", **state: Any) -> Any:
    """A fresh AppTest of the real entry file, already logged in, run once."""
    from streamlit.testing.v1 import AppTest

    from lib import clock
    from tests.pagetools import ENTRY

    at = AppTest.from_file(ENTRY, default_timeout=60)
    values = {"authentication_status": True, "username": username, "name": username,
              "roles": [role], "portal_session_started": clock.now().timestamp() + 1, **state}
    for key, value in values.items():
        at.session_state[key] = value
    return at.run()


def page_text(at: Any) -> str:
    """All a user reads on a run: texts, tables, widget labels and options, metrics, charts."""
    from tests.pagetools import texts

    parts = [texts(at)]
    for widget in (*at.selectbox, *at.multiselect, *at.radio):
        parts.append(f"{widget.label} {list(widget.options)}")
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [str(c.proto) for c in at.get("plotly_chart")]
    # Download buttons: label and file name; their media ids change on every run.
    parts += [_VOLATILE.sub("", str(e.proto)) for e in at.get("download_button")]
    return "\n".join(parts)


_VOLATILE = re.compile(r'^\s*(\w*file_id|url|id): ".*"$', re.MULTILINE)


@contextmanager
def forged_widget(widget: Any, **value: Any) -> Iterator[None]:
    """Make the next runs send this raw widget value, as a tampered browser could.

    AppTest only sends values the widget offers; a client speaking the protocol directly can
    send anything, e.g. an option that was never offered or a value for a disabled widget.
    """
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    forged = WidgetState(id=widget.id, **value)
    cls = type(widget)
    original = cls._widget_state
    cls._widget_state = property(
        lambda self: forged if self.id == widget.id else original.fget(self)
    )
    try:
        yield
    finally:
        cls._widget_state = original


def remember_component_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scan installed packages for Streamlit components once, not in every fresh AppTest.

    The scan is most of a fresh AppTest's cost and its answer cannot change during a test;
    tests that open many fresh sessions (one per login attempt) would spend minutes on it.
    """
    from streamlit.components.v2 import manifest_scanner

    scan = manifest_scanner.scan_component_manifests
    if not hasattr(scan, "cache_info"):
        monkeypatch.setattr(manifest_scanner, "scan_component_manifests", functools.cache(scan))
