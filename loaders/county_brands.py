"""县级特色品牌: one row per county, for the county the file is reported for."""

from __future__ import annotations

from loaders.county_scope import check_all, resolve_scope, split  # noqa: F401

DUP_COLUMN = "county"
ROW_NOUN = "个县"


def to_record(values: dict, row: int, ctx, scope, report) -> dict | None:
    if values.get("county") is None or values.get("name") is None:
        return None
    code = ctx.villages.county_code(values["county"])
    if code is None:
        report.error(row, "county", values["county"], "县(市、区)名称不在名录中,请核对县名")
        return None
    if scope and code != scope:
        report.error(row, "county", values["county"], "与本次上报的县不一致。请只填写本县的品牌")
        return None
    return {"county_code": code, "name": values["name"], "description": values.get("description"),
            "status": values.get("status")}
