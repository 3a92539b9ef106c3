"""示范点台账: one row per demo village; 已验收命名 needs its acceptance date."""

from __future__ import annotations

from loaders.county_scope import DUP_COLUMN, ROW_NOUN, check_all, resolve_scope, split, village_of  # noqa: F401


def to_record(values: dict, row: int, ctx, scope, report) -> dict | None:
    village = village_of(values, row, ctx, scope, report)
    if village is None:
        return None
    if values.get("status") == "已验收命名" and values.get("accepted_on") is None:
        report.error(row, "accepted_on", None, "状态为“已验收命名”时必须填写验收日期,例如 2024-06-30")
    return {"village_code": village.code, "level": values.get("level"), "status": values.get("status"),
            "year": values.get("year"), "brand": values.get("brand"), "accepted_on": values.get("accepted_on")}
