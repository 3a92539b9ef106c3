"""措施推进月报: one row per (measure, unit); the unit must be named for that measure in the plan."""

from __future__ import annotations

DUP_COLUMN = "measure_number"
ROW_NOUN = "措施的同一单位"


def resolve_scope(parsed, ctx, report) -> str | None:
    """The reporting unit: the one chosen, else the single unit named in the file."""
    if ctx.scope:
        return ctx.scope
    units = {v["unit_name"] for _, v in parsed if v.get("unit_name")}
    if len(units) == 1:
        return units.pop()
    if len(units) > 1:
        report.error(None, None, None, "文件中包含多个责任单位的数据。请按单位分别上报,或在上报时选择填报单位")
    return None


def to_record(values: dict, row: int, ctx, scope, report) -> dict | None:
    number, unit = values.get("measure_number"), values.get("unit_name")
    if number is None or unit is None:
        return None
    measure = ctx.measures.get(number)
    if measure is None:
        report.error(row, "measure_number", number,
                     f"实施方案中没有第{number}项措施。请填写 1–{max(ctx.measures, default=0)} 之间的序号")
        return None
    units = ([measure["lead_unit"]] if measure["lead_unit"] else []) + list(measure["co_units"])
    if unit not in units:
        listed = "、".join(units) or "(方案未列明责任单位)"
        report.error(row, "unit_name", unit, f"不是第{number}项措施的责任单位。该措施的责任单位为:{listed}")
        return None
    if scope and unit != scope:
        report.error(row, "unit_name", unit, f"与本次填报单位「{scope}」不一致。请只填写本单位的措施")
        return None
    if values.get("progress") == 100 and values.get("status") not in (None, "已完成"):
        report.warning(row, "status", values.get("status"), "完成进度为100%,但状态不是“已完成”,请确认")
    return {key: values.get(key) for key in (
        "measure_number", "unit_name", "status", "progress", "this_month", "problems", "next_steps", "reporter")}


def check_all(records, ctx, scope, report) -> None:
    """No file-wide rule beyond the row rules."""
