"""Opening a page of the app in Streamlit's AppTest, as the page tests do."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


def open_page(page: str, **params) -> AppTest:
    """``page`` (e.g. "pages/map.py") run once with ``params`` in the URL; fails on any exception or error box."""
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at
