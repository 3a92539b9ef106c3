"""Who is using this browser session, for the router and the pages: :func:`current` asks
:func:`dashboard.sessions.identify` on every rerun (so an idle timeout, a sign-out in another tab or a disabled
account ends the session at the next click); :func:`account` asks again for the page, which passes the account
to every data function it calls.

In a browser the session cookie comes from the websocket handshake (``st.context.cookies``). Streamlit's
AppTest cannot send cookies, so the page tests put a real session's cookie value into session state under
the same key; it is checked exactly as a cookie is.
"""

from __future__ import annotations

import html

import streamlit as st

from dashboard import accounts, scope, sessions, ui
from dashboard.accounts import Account
from dashboard.settings import session_rules

KEY = "signed_in_account"  # the account of the latest check, for tests to read (never trusted by the app)


def current() -> sessions.Check:
    """The signed-in account of this rerun (also kept for :func:`account`), or None with the reason."""
    cookie = dict(st.context.cookies).get(sessions.COOKIE) or st.session_state.get(sessions.COOKIE)
    headers = {name.lower(): value for name, value in dict(st.context.headers).items()}
    client = _client_address()
    check = sessions.identify(ui.engine(), {sessions.COOKIE: cookie} if isinstance(cookie, str) else {}, headers,
                              client)
    # Single sign-on without a session of ours: only where none was ever presented (the gate bridges a browser
    # to a session at /signin; a session that was signed out or idled must not come back through st.user).
    if check.account is None and check.reason == "none" and session_rules()["oidc"]:
        user = st.user.to_dict()
        if user.get("is_logged_in"):  # single sign-on by Streamlit's st.login: the account of that email
            found = accounts.by_email(ui.engine(), user.get("email"))
            check = sessions.Check(found, "ok" if found else "unknown_email")
    st.session_state[KEY] = check.account
    return check


def _client_address() -> str | None:
    """The address that connected (st.context.ip_address hides 127.0.0.1, which trusted-proxy mode needs)."""
    from streamlit.runtime.context import _get_client_context

    context = _get_client_context()
    address = getattr(context, "remote_ip", None) if context is not None else None
    return address if isinstance(address, str) else None


def account() -> Account:
    """The signed-in account, checked again by the page itself (a page reached other than through the router
    — a slip in the page list, a test running it alone — still serves no one who is not signed in)."""
    found = current().account
    if found is None:
        raise scope.ScopeError("请先登录。")
    return found


def sign_in_needed(check: sessions.Check) -> None:
    """The page a browser sees when it is not (or no longer) signed in: why, and the way to the sign-in page."""
    st.title("清廉乡村建设监测看板")
    if check.reason == "unknown_email":
        st.error("统一身份认证的账号(邮箱)没有对应的本地账号,或该账号已停用。请联系管理员开通。", icon=":material/block:")
    else:
        st.warning(check.message(), icon=":material/lock:")
    st.markdown('<a href="/signin" target="_self">前往登录页</a>', unsafe_allow_html=True)


def sidebar(who: Account) -> None:
    """Who is signed in, with what scope, and the way out."""
    where = {**ui.counties(ui.version())}.get(who.county, who.county) if who.county else who.unit or "全市"
    st.sidebar.markdown(
        f'<div style="font-size:0.9rem;line-height:1.6">当前用户:<strong>{html.escape(who.display_name)}</strong>'
        f"({html.escape(who.username)})<br>{who.role_label} · {html.escape(str(where))}<br>"
        '<a href="/signout" target="_self">退出登录</a></div>', unsafe_allow_html=True)


def not_for_role(who: Account, title: str) -> None:
    """A page of another role, reached by its URL: say so, and offer the way back."""
    st.title(title)
    st.warning(f"{who.role_label}账号不能打开「{title}」页;如需使用,请联系管理员。", icon=":material/lock:")
    st.page_link("pages/overview.py", label="返回总览", icon=":material/dashboard:")


def pages_for(who: Account) -> tuple[str, ...]:
    """The titles of the pages ``who`` is shown."""
    return scope.PAGES[who.role]
