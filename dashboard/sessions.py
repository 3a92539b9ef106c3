"""Signed-in browsers. Signing in makes a random token; the browser keeps it in an HttpOnly cookie signed with
``[session] cookie_secret`` (HMAC-SHA256), the store keeps only the token's SHA-256 with the account and the
time of last activity. Every process on the store (two instances behind nginx) checks the same rows, so a
sign-in works on both, and a sign-out, an idle timeout or a disabled account ends it on both.

:func:`check` is the one definition of "who is this browser": the gate in front of every HTTP and websocket
request (:mod:`dashboard.gate`) and the router of every rerun both call it.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from dashboard import audit, months
from dashboard.accounts import Account, find
from dashboard.models import SignInSession as S
from dashboard.settings import account_rules, session_rules

log = logging.getLogger("qinglian")
COOKIE = "qinglian_session"
TOUCH_SECONDS = 60  # last activity is written at most once a minute per browser (a tenth of a short idle limit)
VIA = {"password": "账号密码", "oidc": "统一身份认证", "proxy": "可信代理"}


@dataclass(frozen=True)
class Check:
    """The answer of :func:`check`: the account, or None with why (``none``, ``forged``, ``ended``, ``idle``)."""

    account: Account | None
    reason: str = "ok"

    def message(self) -> str:
        """What the sign-in page says about a browser that is not (or no longer) signed in."""
        return {"idle": f"超过 {account_rules()['idle_minutes']} 分钟无操作,已自动退出,请重新登录。",
                "ended": "已退出登录或账号已停用,请重新登录。",
                "store": "数据库暂时无法访问,无法核对登录状态;请稍后再试,或联系管理员。"}.get(self.reason, "请先登录。")


def _secret() -> bytes:
    secret = session_rules()["cookie_secret"]
    if not secret or len(secret) < 32:
        raise RuntimeError("未设置登录 Cookie 密钥:请在 .streamlit/secrets.toml 的 [session] 中设置 cookie_secret"
                           "(至少 32 个字符),或用 qinglian serve 启动以自动生成。")
    return secret.encode()


def _signature(token: str) -> str:
    return hmac.new(_secret(), token.encode(), hashlib.sha256).hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(cookie: str | None) -> str | None:
    """The token of a cookie whose signature is right, else None (a forged or foreign cookie)."""
    if not cookie or cookie.count(".") != 1 or len(cookie) > 200:
        return None
    token, signature = cookie.split(".")
    return token if hmac.compare_digest(signature, _signature(token)) else None


def open_session(engine: Engine, account: Account, via: str = "password", at: datetime | None = None) -> str:
    """A new session for ``account``; returns the cookie value (token and signature)."""
    token = secrets.token_urlsafe(32)
    now = months.local(at) if at else months.now()
    with engine.begin() as conn:
        conn.execute(insert(S).values(token_hash=_hash(token), username=account.username, created_at=now,
                                      last_seen=now, ended_at=None, via=via))
        if via != "password":  # a password sign-in is recorded by accounts.authenticate, with its failures
            audit.record(conn, account.username, "sign_in", account.username, f"{account.role_label}登录({VIA[via]})",
                         at=now)
    return f"{token}.{_signature(token)}"


def identify(engine: Engine, cookies: dict[str, str], headers: dict[str, str], client: str | None,
             at: datetime | None = None, touch: bool = True) -> Check:
    """Who a browser is, from its request: in trusted-proxy mode (``[session] trusted_proxy_header``, off by
    default) the account the proxy names — only when the request comes from one of ``trusted_proxies`` —
    else the session cookie (:func:`check`). ``headers`` are keyed in lower case."""
    rules = session_rules()
    header = rules["trusted_proxy_header"].lower()
    if header and client in rules["trusted_proxies"] and headers.get(header):
        account = find(engine, headers[header].strip())
        return Check(account, "ok" if account else "ended")
    return check(engine, cookies.get(COOKIE), at, touch)


def check(engine: Engine, cookie: str | None, at: datetime | None = None, touch: bool = True) -> Check:
    """Who this cookie signs in: an active account whose session has not ended nor idled past
    ``[accounts] idle_minutes``. An idle session is ended here; ``touch`` records the activity."""
    token = token_of(cookie)
    if token is None:
        return Check(None, "forged" if cookie else "none")
    now = months.local(at) if at else months.now()
    with engine.connect() as conn:
        row = conn.execute(select(S.username, S.last_seen, S.ended_at).where(S.token_hash == _hash(token))).one_or_none()
    if row is None or row.ended_at is not None:
        return Check(None, "ended")
    if now - months.local(row.last_seen) > timedelta(minutes=account_rules()["idle_minutes"]):
        _end(engine, token, now)
        return Check(None, "idle")
    account = find(engine, row.username)
    if account is None:  # disabled (or removed) since signing in
        _end(engine, token, now)
        return Check(None, "ended")
    every = min(TOUCH_SECONDS, account_rules()["idle_minutes"] * 6)  # never a noticeable share of the limit
    if touch and (now - months.local(row.last_seen)).total_seconds() >= every:
        _write(engine, update(S).where(S.token_hash == _hash(token)).values(last_seen=now))
    return Check(account)


def _end(engine: Engine, token: str, now: datetime) -> None:
    _write(engine, update(S).where(S.token_hash == _hash(token), S.ended_at.is_(None)).values(ended_at=now))


def _write(engine: Engine, statement) -> None:
    """Record activity or an ended session; a store that takes no writes (read-only, full) still lets
    people read, so the failure is logged, not raised."""
    try:
        with engine.begin() as conn:
            conn.execute(statement)
    except SQLAlchemyError as exc:
        log.warning("无法记录登录会话的活动时间:%s", exc.__class__.__name__)


def sign_out(engine: Engine, cookie: str | None) -> str | None:
    """End the session of ``cookie``; returns the account name it belonged to (None: nothing to end)."""
    token = token_of(cookie)
    if token is None:
        return None
    now = months.now()
    with engine.begin() as conn:
        username = conn.scalar(select(S.username).where(S.token_hash == _hash(token), S.ended_at.is_(None)))
        if username is None:
            return None
        conn.execute(update(S).where(S.token_hash == _hash(token)).values(ended_at=now))
        audit.record(conn, username, "sign_out", username, "退出登录", at=now)
    return username

