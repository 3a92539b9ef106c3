"""Shared rules of the per-county kinds: which county a file is for, which village a row names, and how a
file of several counties (the city office's consolidated upload) is cut into one part per county."""

from __future__ import annotations

from loaders.villages import Village

DUP_COLUMN = "village"
ROW_NOUN = "个村"


def resolve_scope(parsed, ctx, report) -> str | None:
    """The county code the file reports for: the one chosen, else the single county named in the file.

    None when no county was chosen and the file names several: every row is then validated against the
    whole roster and the clean file is cut by county (:func:`split`)."""
    if ctx.scope:
        return ctx.scope
    named = {ctx.villages.county_code(name) for name in {v["county"] for _, v in parsed if v.get("county")}}
    named.discard(None)
    return named.pop() if len(named) == 1 else None


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


def county_of(record: dict, ctx) -> str:
    """The county code a clean record belongs to (its own, else its village's)."""
    return record.get("county_code") or ctx.villages.by_code[record["village_code"]].county_code


def split(result, ctx) -> list:
    """A clean result without a single county as one result per county, in code order.

    Each part keeps the warnings of its own rows (and those of no row); ``rows_read`` is its row count."""
    from loaders.validate import Result

    rows: dict[str, list[int]] = {}
    records: dict[str, list[dict]] = {}
    for record, row in zip(result.records, result.record_rows):
        county = county_of(record, ctx)
        records.setdefault(county, []).append(record)
        rows.setdefault(county, []).append(row)
    parts = []
    for county in sorted(records):
        own = set(rows[county])
        warnings = [w for w in result.warnings if w.row is None or w.row in own]
        parts.append(Result(result.kind, result.sheet, county, len(records[county]), records[county], [],
                            warnings, rows[county]))
    return parts
