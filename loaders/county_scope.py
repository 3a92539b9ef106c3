"""Shared rules of the per-county kinds: which county a file is for, and which village a row names."""

from __future__ import annotations

from loaders.villages import Village

DUP_COLUMN = "village"
ROW_NOUN = "个村"


def resolve_scope(parsed, ctx, report) -> str | None:
    """The county code the file reports for: the one chosen, else the single county named in the file."""
    if ctx.scope:
        return ctx.scope
    named = {ctx.villages.county_code(v["county"]) for _, v in parsed if v.get("county")}
    named.discard(None)
    if len(named) == 1:
        return named.pop()
    if len(named) > 1:
        report.error(None, None, None, "文件中包含多个县(市、区)的数据。请按县分别上报,或在上报时选择所属县")
    return None


def village_of(values: dict, row: int, ctx, scope: str | None, report) -> Village | None:
    """The roster village a row names, reporting an error (with a suggestion) when there is none."""
    if values.get("village") is None or values.get("county") is None or values.get("township") is None:
        return None
    village, why = ctx.villages.find(values["county"], values["township"], values["village"], values.get("code"))
    if village is None:
        report.error(row, "code" if values.get("code") else "village", values.get("code") or values["village"], why)
        return None
    if scope and village.county_code != scope:
        report.error(row, "county", values["county"],
                     f"「{village.township}{village.name}」属于{village.county},不属于本次上报的县。"
                     f"请删除该行,或在{village.county}的报表中上报")
        return None
    return village


def check_all(records, ctx, scope, report) -> None:
    """No file-wide rule beyond the row rules for most county kinds."""
