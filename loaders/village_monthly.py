"""村级指标月报: one row per village; counts must be consistent; falls since last month are warned."""

from __future__ import annotations

import json
from functools import cache

from dashboard import models
from loaders.county_scope import DUP_COLUMN, ROW_NOUN, check_all, resolve_scope, split, village_of  # noqa: F401
from loaders.schema import indicator_columns

STORE_COLUMNS = set(models.VillageReport.__table__.columns.keys())
NOT_MORE_THAN = (("clues_handled", "clues_found"), ("clues_exposed", "clues_handled"),
                 ("disputes_resolved", "disputes_received"))


@cache
def _split() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Indicator keys stored in their own column, and those kept in the JSON ``extra`` column."""
    keys = [col.key for col in indicator_columns()]
    return tuple(k for k in keys if k in STORE_COLUMNS), tuple(k for k in keys if k not in STORE_COLUMNS)


def _label(key: str) -> str:
    return next(c.label for c in indicator_columns() if c.key == key)


def to_record(values: dict, row: int, ctx, scope, report) -> dict | None:
    village = village_of(values, row, ctx, scope, report)
    if village is None:
        return None
    if village.code in ctx.removed:
        gone = ctx.removed[village.code]
        report.error(row, "village", values.get("village"),
                     f"该村已于 {int(gone[:4])}年{int(gone[5:])}月撤销或合并(见村级名录),此后不再单独报送。请删除此行")
        return None
    for part, whole in NOT_MORE_THAN:
        if part in values and whole in values and None not in (values[part], values[whole]) \
                and values[part] > values[whole]:
            report.error(row, part, values[part],
                         f"不能大于「{_label(whole)}」({values[whole]})。请核对后修改")
    record = {"village_code": village.code, "county_code": village.county_code}
    stored, kept_aside = _split()
    for key in stored:
        record[key] = values.get(key)
    extra = {key: values.get(key) for key in kept_aside}
    record["extra"] = json.dumps(extra, ensure_ascii=False) if extra else None
    before = ctx.previous(scope or village.county_code).get(village.code)
    if before and before.get("legal_persons") is not None and record["legal_persons"] is not None \
            and record["legal_persons"] < before["legal_persons"]:
        report.warning(row, "legal_persons", record["legal_persons"],
                       f"比上月({before['legal_persons']}名)减少,请确认是否属实")
    return record
