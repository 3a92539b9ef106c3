"""Local accounts: passwords hashed with argon2id (argon2-cffi), four roles with their scope, sign-in with a
lock after repeated failures. Every change and every sign-in attempt is written to the audit log in the same
transaction. ``qinglian user …`` and the 用户管理 page both come here.

Roles (BRIEF: who uses it): 领导 reads everything; 管理员 does everything (plan, accounts, freezing, demo
removal); 县级填报员 uploads for and changes only its county; 单位填报员 reports only its unit's measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard import audit, months
from dashboard.models import Account as AccountRow
from dashboard.models import SignInSession
from dashboard.settings import account_rules
from loaders.cells import norm_text

ROLES = {"leader": "领导", "admin": "管理员", "county": "县级填报员", "unit": "单位填报员"}
USERNAME = re.compile(r"[A-Za-z0-9_.-]{2,40}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,100}\.[^@\s]{1,20}")
WRONG = "账号或密码不正确。"
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# verified against when the account does not exist, so that an unknown name costs as long as a wrong password
_DUMMY = _hasher.hash("未使用的占位密码")


class AccountError(ValueError):
    """An account change that cannot be made, said in Chinese (CLI exit 1, the page shows it)."""


class SignInError(ValueError):
    """A refused sign-in, said in Chinese without telling whether the account exists."""


@dataclass(frozen=True)
class Account:
    """Who is signed in: the scope every read and write is limited to."""

    username: str
    display_name: str
    role: str  # a key of ROLES
    county: str | None = None  # county code, for 县级填报员
    unit: str | None = None  # lead unit, for 单位填报员

    @property
    def role_label(self) -> str:
        return ROLES[self.role]

    @property
    def signature(self) -> str:
        """How uploads, restores and freezes name their author: 姓名(账号)."""
        return f"{self.display_name}({self.username})"


def role_key(role: str) -> str:
    """``admin`` or ``管理员`` -> ``admin``."""
    for key, label in ROLES.items():
        if role in (key, label):
            return key
    raise AccountError(f"角色「{role}」无效,可选:{'、'.join(ROLES.values())}。")


def _check_password(password: str, username: str) -> None:
    least = account_rules()["min_password_chars"]
    if len(password) < least:
        raise AccountError(f"密码至少 {least} 个字符。")
    if password.lower() == username.lower() or len(set(password)) < 4:
        raise AccountError("密码过于简单(与账号相同或字符种类太少),请换一个。")


def _row(session: Session, username: str) -> AccountRow | None:
    return session.scalar(select(AccountRow).where(AccountRow.username == username))


def _of(row: AccountRow) -> Account:
    return Account(row.username, row.display_name, row.role, row.county_code, row.unit_name)


def add(engine: Engine, username: str, password: str, role: str, display_name: str | None = None,
        county: str | None = None, unit: str | None = None, *, by: Account, email: str | None = None) -> Account:
    """A new account, made by the 管理员 ``by``. ``county`` is a county name or code (县级填报员), ``unit`` a unit
    of the plan (单位填报员)."""
    from dashboard import queries
    from dashboard.templates import plan_units

    _admin(by)
    username = (username or "").strip()
    if not USERNAME.fullmatch(username):
        raise AccountError("账号须为 2–40 个英文字母、数字或 _ . -(例如 yixi_li)。")
    key = role_key(role)
    _check_password(password, username)
    code = unit_name = None
    if key == "county":
        counties = queries.counties(engine)
        code = county if county in counties else {n: c for c, n in counties.items()}.get(county or "")
        if code is None:
            raise AccountError(f"县级填报员须指定所属县(市、区);「{county or ''}」不在区划中,可选:{'、'.join(counties.values()) or '(尚无区划)'}。")
    if key == "unit":
        units = plan_units(engine)
        if unit not in units:
            raise AccountError(f"单位填报员须指定实施方案中的单位;「{unit or ''}」不在方案的责任单位中。")
        unit_name = unit
    email = (email or "").strip().lower() or None
    if email is not None and not EMAIL.fullmatch(email):
        raise AccountError(f"邮箱「{email}」格式不对(统一身份认证按邮箱对应账号)。")
    now = months.now()
    name = norm_text(display_name or username)[:40] or username  # cleaned like every uploaded text
    try:
        with Session(engine) as session, session.begin():
            session.add(AccountRow(username=username, display_name=name, password_hash=_hasher.hash(password),
                                   role=key, county_code=code, unit_name=unit_name, active=True, failures=0,
                                   created_at=now, email=email))
            session.flush()
            scope = f",范围 {county}" if code else f",单位 {unit_name}" if unit_name else ""
            audit.record(session.connection(), by.signature, "account", username, f"新建账号:{name},角色 {ROLES[key]}{scope}")
    except IntegrityError as exc:
        raise AccountError(f"账号「{username}」{'或邮箱「' + email + '」' if email else ''}已存在。") from exc
    return Account(username, name, key, code, unit_name)


def _admin(by: Account) -> None:
    from dashboard.scope import require  # scope imports this module

    require(by, "accounts")


def _end_sessions(session: Session, username: str) -> None:
    """End every signed-in browser of ``username`` (password reset, account disabled), in this transaction."""
    session.execute(update(SignInSession).where(SignInSession.username == username, SignInSession.ended_at.is_(None))
                    .values(ended_at=months.now()))


def set_password(engine: Engine, username: str, password: str, *, by: Account) -> None:
    """A new password, set by the 管理员 ``by``; also lifts a lock (an admin resetting it is how a locked
    account gets back in) and signs the account's browsers out."""
    _admin(by)
    _check_password(password, username)
    with Session(engine) as session, session.begin():
        row = _row(session, username)
        if row is None:
            raise AccountError(f"账号「{username}」不存在。")
        row.password_hash, row.failures, row.locked_until = _hasher.hash(password), 0, None
        _end_sessions(session, username)  # signed-in browsers sign in again
        audit.record(session.connection(), by.signature, "account", username, "重设密码(并解除锁定,已登录的浏览器须重新登录)")


def set_active(engine: Engine, username: str, active: bool, *, by: Account) -> None:
    """Enable or disable an account (管理员 ``by``); disabling signs its browsers out at once."""
    _admin(by)
    if not active and username == by.username:
        raise AccountError("不能停用自己正在使用的账号。")
    with Session(engine) as session, session.begin():
        row = _row(session, username)
        if row is None:
            raise AccountError(f"账号「{username}」不存在。")
        row.active = active
        if not active:
            _end_sessions(session, username)
        audit.record(session.connection(), by.signature, "account", username, "启用账号" if active else "停用账号(已登录的浏览器随即退出)")


def listing(engine: Engine) -> pd.DataFrame:
    """Every account as the 用户管理 page and ``qinglian user list`` show it (never the hash)."""
    from dashboard import queries

    names = queries.counties(engine)
    now = months.now()
    with Session(engine) as session:
        rows = session.scalars(select(AccountRow).order_by(AccountRow.username)).all()
    out = []
    for r in rows:
        locked = r.locked_until is not None and months.local(r.locked_until) > now
        state = "已停用" if not r.active else f"锁定至 {months.local(r.locked_until):%H:%M}" if locked else "正常"
        scope = names.get(r.county_code, r.county_code) if r.county_code else (r.unit_name or "全市")
        out.append({"账号": r.username, "姓名": r.display_name, "角色": ROLES.get(r.role, r.role), "范围": scope,
                    "状态": state, "最近登录": months.local(r.last_sign_in).strftime("%Y-%m-%d %H:%M")
                    if r.last_sign_in else ""})
    return pd.DataFrame(out, columns=["账号", "姓名", "角色", "范围", "状态", "最近登录"])


def authenticate(engine: Engine, username: str, password: str, at: datetime | None = None) -> Account:
    """The account, when the password is right and the account is active and not locked; else SignInError.
    Wrong passwords count up to ``[accounts] max_failures``, which locks the account for ``lock_minutes``."""
    rules = account_rules()
    now = months.local(at) if at else months.now()
    username = (username or "").strip()[:40]
    refusal = None  # raised after the transaction, so the failure count and its audit entry are kept
    with Session(engine) as session, session.begin():
        conn = session.connection()
        row = _row(session, username)
        if row is None or not row.active:
            _verify(_DUMMY, password)
            audit.record(conn, username or "(空)", "sign_in_failed", username, "账号不存在或已停用", ok=False, at=now)
            refusal = WRONG
        elif row.locked_until is not None and months.local(row.locked_until) > now:
            audit.record(conn, username, "sign_in_failed", username, "账号锁定中", ok=False, at=now)
            refusal = (f"连续输错密码次数过多,账号已锁定至 {months.local(row.locked_until):%H:%M};"
                       "请稍后再试,或请管理员重设密码。")
        elif not _verify(row.password_hash, password):
            row.failures += 1
            if row.failures >= rules["max_failures"]:
                row.failures, row.locked_until = 0, now + timedelta(minutes=rules["lock_minutes"])
                audit.record(conn, username, "sign_in_failed", username,
                             f"密码错误,连续 {rules['max_failures']} 次,锁定 {rules['lock_minutes']} 分钟", ok=False, at=now)
                refusal = f"连续输错密码 {rules['max_failures']} 次,账号已锁定 {rules['lock_minutes']} 分钟。"
            else:
                audit.record(conn, username, "sign_in_failed", username, f"密码错误(第 {row.failures} 次)",
                             ok=False, at=now)
                refusal = WRONG  # the same words as for an unknown account: nothing tells which names exist
        else:
            row.failures, row.locked_until, row.last_sign_in = 0, None, now
            if _hasher.check_needs_rehash(row.password_hash):
                row.password_hash = _hasher.hash(password)
            audit.record(conn, username, "sign_in", username, f"{ROLES.get(row.role, row.role)}登录", at=now)
            account = _of(row)
    if refusal:
        raise SignInError(refusal)
    return account


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password or "")
    except (VerificationError, InvalidHashError):
        return False


def by_email(engine: Engine, email: str | None) -> Account | None:
    """The active account whose email single sign-on (OIDC) reports, or None."""
    if not email:
        return None
    with Session(engine) as session:
        row = session.scalar(select(AccountRow).where(AccountRow.email == email.strip().lower()))
        return _of(row) if row is not None and row.active else None


def find(engine: Engine, username: str) -> Account | None:
    """The active account called ``username`` (what a valid session cookie names), or None."""
    with Session(engine) as session:
        row = _row(session, username)
        return _of(row) if row is not None and row.active else None


def count(engine: Engine) -> int:
    """How many accounts there are (none: a fresh install, whose first admin is made on the command line)."""
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(AccountRow)) or 0)


def first_admin(engine: Engine) -> str | None:
    """On a store without any account, make 管理员 ``admin`` with a random password and return the password
    (``qinglian serve`` prints it and writes it to var/初始管理员密码.txt); None when accounts exist."""
    import secrets

    if count(engine):
        return None
    from dashboard.scope import command_line

    password = secrets.token_urlsafe(12)
    add(engine, "admin", password, "admin", "系统管理员", by=command_line())
    return password
