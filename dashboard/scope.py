"""What an account may do and see: the one place the four roles' scopes are written down. The data functions
(intake, templates, freezing, the plan, accounts, demo removal) call these with the caller's account, so a
county's staff cannot change or download another county's reports whatever page, query parameter or cache
they come through; the router uses :data:`PAGES` to show each role its pages only.

领导 reads everything (dashboards, meeting materials, upload history and original files) and writes nothing;
管理员 does everything; 县级填报员 uploads, restores and downloads only its county's reports and reads the
city-wide figures; 单位填报员 reports only its unit's measures and reads the city-wide figures.
"""

from __future__ import annotations

import getpass

from dashboard.accounts import ROLES, Account
from loaders.schema import KIND_LABELS, KINDS

DASHBOARDS = ("总览", "示范点地图", "目标进度", "责任落实")
PAGES = {
    "leader": (*DASHBOARDS, "会议材料", "数据上报", "实施方案"),
    "admin": (*DASHBOARDS, "会议材料", "数据上报", "实施方案", "用户管理", "审计日志"),
    "county": (*DASHBOARDS, "会议材料", "数据上报"),
    "unit": (*DASHBOARDS, "会议材料", "数据上报"),
}
# actions of the whole store, not of one county or unit
ADMIN_ONLY = {"freeze": "冻结或解除冻结月度数据", "plan": "更换实施方案或调整目标", "accounts": "管理账号",
              "audit": "查看审计日志", "demo": "删除演示数据",
              "boundaries": "导入或恢复行政区划边界"}


class ScopeError(PermissionError):
    """A request outside the account's scope, said in Chinese (the page shows it, nothing is written)."""


def command_line() -> Account:
    """Whoever runs ``qinglian …`` on the server: a shell on the server can do everything, so it acts as
    管理员, recorded with the operating-system user's name."""
    return Account(f"cli-{getpass.getuser()}"[:40], "服务器命令行", "admin")


def require(who: Account | None, action: str) -> None:
    """Raise :class:`ScopeError` unless ``who`` may do the store-wide ``action`` (a key of :data:`ADMIN_ONLY`)."""
    _signed_in(who)
    if who.role != "admin":
        raise ScopeError(f"{who.role_label}不能{ADMIN_ONLY[action]},请联系管理员。")


def _signed_in(who: Account | None) -> None:
    if not isinstance(who, Account) or who.role not in ROLES:
        raise ScopeError("请先登录。")


def writes(who: Account | None) -> bool:
    """Whether ``who`` may upload or restore anything at all (领导 reads only)."""
    return isinstance(who, Account) and who.role in ("admin", "county", "unit")


def kinds(who: Account | None) -> list[str]:
    """The report kinds ``who`` may upload, in the order of the upload page."""
    if not writes(who):
        return []
    if who.role == "admin":
        return list(KIND_LABELS)
    wanted = "county" if who.role == "county" else "unit"
    return [kind for kind in KIND_LABELS if KINDS[kind].scope == wanted]


def own(who: Account) -> str | None:
    """The county code or unit ``who`` is limited to (None: the whole city)."""
    return who.county if who.role == "county" else who.unit if who.role == "unit" else None


def write_scope(who: Account | None, kind: str, scope: str | None) -> str | None:
    """The scope an upload or restore of ``kind`` by ``who`` is for: ``scope`` itself for 管理员, always the
    account's own county or unit otherwise — any other is refused, never quietly replaced."""
    _signed_in(who)
    if not writes(who):
        raise ScopeError(f"{who.role_label}只能查看,不能上报或恢复数据。")
    if who.role == "admin":
        return scope
    if kind not in kinds(who):
        raise ScopeError(f"{who.role_label}不能上报「{KIND_LABELS.get(kind, kind)}」。")
    mine = own(who)
    if scope not in (None, mine):
        raise ScopeError(f"{who.role_label}只能上报、恢复本{'县' if who.role == 'county' else '单位'}的数据。")
    return mine


def readable(who: Account | None, scope: str | None) -> bool:
    """Whether ``who`` may see the upload history and original file of a report of ``scope``."""
    if not isinstance(who, Account) or who.role not in ROLES:
        return False
    return who.role in ("admin", "leader") or (scope is not None and scope == own(who))


def read_scope(who: Account | None) -> str | None:
    """The one scope whose upload records ``who`` may list (None: every scope); raises when not signed in."""
    _signed_in(who)
    return None if who.role in ("admin", "leader") else own(who)


def template_scope(who: Account | None, kind: str, scope: str | None) -> str | None:
    """The scope of a template ``who`` may download: anything for those who read everything, else as for an upload."""
    _signed_in(who)
    return scope if who.role in ("admin", "leader") else write_scope(who, kind, scope)
