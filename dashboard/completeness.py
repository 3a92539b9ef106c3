"""催报 rules: who has reported a period on time, late or not yet — per county for village kinds, per lead unit
for measures. Pure: plain inputs in, a table out; :func:`dashboard.facts.completeness` reads the store for it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from loaders.schema import KIND_LABELS

MONTHLY_COUNTY_KINDS = ("village_monthly", "demo_sites")
STATUS_ON_TIME, STATUS_LATE, STATUS_MISSING, STATUS_PENDING = "按时报送", "逾期报送", "未报送", "待报送(未到截止日)"
STATUS_PARTIAL = "部分报送"  # shown with its count: 部分报送(37/115 村)


@dataclass(frozen=True)
class Expected:
    kind: str
    scope: str  # county code or unit name
    label: str  # what the user reads: county name or unit name


def expected(counties: Iterable[tuple[str, str]], lead_units: Iterable[str | None], county: str | None = None
             ) -> list[Expected]:
    """Every county (code, name) for the monthly village kinds, every lead unit once for measures; with
    ``county``, that county's reports and all the lead units'."""
    counties = [(code, name) for code, name in counties if county is None or code == county]
    out = [Expected(kind, code, name) for kind in MONTHLY_COUNTY_KINDS for code, name in counties]
    return out + [Expected("measure_progress", unit, unit) for unit in dict.fromkeys(lead_units) if unit]


def classify(expected: list[Expected], first_seen: dict[tuple[str, str], datetime],
             deadline: datetime, now: datetime, partial: dict[tuple[str, str], tuple[int, int]] | None = None
             ) -> pd.DataFrame:
    """One row per expected report with its status; pure, so it is tested on hand-made inputs.

    ``partial``: (kind, scope) -> (villages reported, roster villages) of a version in effect that leaves
    villages out; such a report is 部分报送 whatever its time, so the county is still chased for the rest.
    """
    partial = partial or {}
    rows = []
    for e in expected:
        seen = first_seen.get((e.kind, e.scope))
        if seen is None:
            status = STATUS_PENDING if now <= deadline else STATUS_MISSING
        elif (e.kind, e.scope) in partial:
            done, total = partial[(e.kind, e.scope)]
            status = f"{STATUS_PARTIAL}({done}/{total} 村)"
        else:
            status = STATUS_ON_TIME if seen <= deadline else STATUS_LATE
        rows.append({"报表": KIND_LABELS[e.kind], "报送对象": e.label, "状态": status,
                     "首次报送时间": seen.strftime("%Y-%m-%d %H:%M") if seen else ""})
    return pd.DataFrame(rows, columns=["报表", "报送对象", "状态", "首次报送时间"])


def received(table: pd.DataFrame) -> tuple[float, int, int]:
    """(share in percent, reports in full — on time or late, expected reports) of a completeness table."""
    done = int(table["状态"].isin([STATUS_ON_TIME, STATUS_LATE]).sum())
    return (round(100 * done / len(table), 1) if len(table) else 0.0), done, len(table)
