"""审计记录: who did what, when — sign-ins, uploads (accepted or refused), restores, roster and plan changes,
freezes, exports, account changes, backups. :func:`record` writes inside the caller's transaction, so an action
and its record stand or fall together; :func:`log` is for actions with no transaction of their own."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select

from dashboard import months
from dashboard.models import AuditEntry

ACTIONS = {
    "sign_in": "登录", "sign_in_failed": "登录失败", "sign_out": "退出登录", "upload": "上报(接收)", "upload_refused": "上报(拒收)",
    "roster": "名录变更", "restore": "恢复版本", "plan": "方案变更", "freeze": "冻结", "unfreeze": "解除冻结",
    "export": "导出", "account": "账号管理", "backup": "备份", "restore_store": "恢复数据库",
}
COLUMNS = ["时间", "账号", "操作", "对象", "说明", "结果"]


def record(conn: Connection, account: str, action: str, target: str, detail: str = "", ok: bool = True,
           at: datetime | None = None) -> None:
    """One entry, in the transaction of ``conn`` (the action it records commits or rolls back with it)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    conn.execute(insert(AuditEntry).values(at=at or months.now(), account=(account or "未知")[:100], action=action,
                                           target=target[:300], detail=detail, ok=ok))


def log(engine: Engine, account: str, action: str, target: str, detail: str = "", ok: bool = True) -> None:
    """:func:`record` in a transaction of its own."""
    with engine.begin() as conn:
        record(conn, account, action, target, detail, ok)


def entries(engine: Engine, account: str | None = None, action: str | None = None, since: datetime | None = None,
            until: datetime | None = None, limit: int = 1000, *, who) -> pd.DataFrame:
    """The newest entries first, filtered, as the admin page and the CLI list them; 管理员 ``who`` only."""
    from dashboard.scope import require

    require(who, "audit")
    A = AuditEntry
    query = select(A.at, A.account, A.action, A.target, A.detail, A.ok).order_by(A.id.desc()).limit(limit)
    if account:
        query = query.where(AuditEntry.account == account)
    if action:
        query = query.where(AuditEntry.action == action)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([{
        "时间": months.local(r.at).strftime("%Y-%m-%d %H:%M:%S"), "账号": r.account, "操作": ACTIONS.get(r.action, r.action),
        "对象": r.target, "说明": r.detail, "结果": "成功" if r.ok else "未成功"} for r in rows], columns=COLUMNS)
