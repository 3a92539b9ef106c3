"""Opening a page of the app in Streamlit's AppTest, signed in, as the page tests do.

AppTest cannot send cookies, so :func:`sign_in` makes a real account and session in the app's store
(``QINGLIAN_DB_URL``) and puts the session's cookie value into session state, where the router checks it
exactly as it checks a browser's cookie (:mod:`dashboard.signed_in`)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard import accounts, sessions
from dashboard.accounts import Account
from dashboard.catalog import ready
from dashboard.scope import command_line
from dashboard.store import make_engine

# session cookies of page, browser and benchmark runs are signed with this (servers they start inherit it), so
# no test writes a secret into the checkout's .streamlit/secrets.toml
os.environ.setdefault("QINGLIAN_COOKIE_SECRET", "test-only-cookie-secret-" + "x" * 32)
APP = str(Path(__file__).resolve().parents[1] / "router.py")
PASSWORD = "清廉-test-password-1"
ADMIN = Account("tester", "测试管理员", "admin")  # for data functions called directly (no sign-in needed)


def account(role: str = "admin", county: str | None = None, unit: str | None = None,
            username: str | None = None, url: str | None = None) -> Account:
    """The account ``username`` (default: one per role and scope) in the store at ``url`` (default: the app's),
    made on first use."""
    engine = make_engine(url)
    try:
        ready(engine)
        name = username or f"t_{role}" + (f"_{hashlib.sha1(f'{county}|{unit}'.encode()).hexdigest()[:6]}"
                                          if county or unit else "")
        found = accounts.find(engine, name)
        if found is None:
            found = accounts.add(engine, name, PASSWORD, role, f"测试{accounts.ROLES[role]}", county=county,
                                 unit=unit, by=command_line())
        return found
    finally:
        engine.dispose()


def sign_in(at: AppTest, role: str = "admin", county: str | None = None, unit: str | None = None,
            username: str | None = None) -> Account:
    """Sign ``at`` in as an account of ``role`` (made if missing); returns the account."""
    who = account(role, county, unit, username)
    engine = make_engine()
    try:
        at.session_state[sessions.COOKIE] = sessions.open_session(engine, who)
    finally:
        engine.dispose()
    return who


def app(timeout: float = 90, role: str = "admin", **scope) -> AppTest:
    """The router in AppTest, signed in as ``role`` (not yet run)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    sign_in(at, role, **scope)
    return at


def open_page(page: str, **params) -> AppTest:
    """``page`` (e.g. "pages/map.py") run once with ``params`` in the URL, as 管理员; fails on any exception
    or error box."""
    at = app()
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at


def open_sources(at: AppTest) -> AppTest:
    """Open the page's 数据来源 expander, as a click on it does (its list is read only when open), and rerun."""
    from dashboard.ui import SOURCES_KEY

    at.session_state[SOURCES_KEY] = True
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at
