"""Helpers for page tests: start the real app with AppTest and log in through the form."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ENTRY = str(Path(__file__).resolve().parent.parent / "portal_app.py")


def new_app() -> AppTest:
    """The real entry file, run once (login form or first-administrator page)."""
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.run()
    return at


def log_in(at: AppTest, username: str, password: str) -> AppTest:
    """Fill the login form's Username and Password, press Login, and run again."""
    by_label = {t.label: t for t in at.text_input}
    by_label["Username"].input(username)
    by_label["Password"].input(password)
    next(b for b in at.button if b.label == "Login").click()
    at.run()
    at.run()
    return at


def texts(at: AppTest) -> str:
    """Everything a user reads on the page, as one string (for 'is it shown' checks)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info",
                 "success", "warning", "error", "code"):
        parts.extend(str(element.value) for element in getattr(at, kind))
    for frame in at.dataframe:
        parts.append(frame.value.to_string())
    return "\n".join(parts)


def page_titles(at: AppTest) -> list[str]:
    """The titles of the pages registered in the navigation for this run."""
    return [title.value for title in at.title]
