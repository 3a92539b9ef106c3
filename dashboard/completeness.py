"""催报: who has reported a period on time, late or not yet — per county for village kinds, per lead unit for measures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, select

from dashboard import models, months
from dashboard.catalog import active_plan
from dashboard.settings import deadline_day
from loaders.schema import KIND_LABELS

MONTHLY_COUNTY_KINDS = ("village_monthly", "demo_sites")
STATUS_ON_TIME, STATUS_LATE, STATUS_MISSING, STATUS_PENDING = "按时报送", "逾期报送", "未报送", "待报送(未到截止日)"
STATUS_PARTIAL = "部分报送"  # shown with its count: 部分报送(37/115 村)


@dataclass(frozen=True)
class Expected:
    kind: str
    scope: str  # county code or unit name
    label: str  # what the user reads: county name or unit name


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


def expected_reports(engine: Engine) -> list[Expected]:
    """Every county for the monthly village kinds, every lead unit of the active plan for measures."""
    R = models.Region
    with engine.connect() as conn:
        counties = conn.execute(select(R.code, R.name).where(R.level == "county").order_by(R.code)).all()
    out = [Expected(kind, code, name) for kind in MONTHLY_COUNTY_KINDS for code, name in counties]
    plan = active_plan(engine)
    leads = dict.fromkeys(m["lead_unit"] for m in (plan.measures if plan else []) if m["lead_unit"])
    out += [Expected("measure_progress", unit, unit) for unit in leads]
    return out


def completeness(engine: Engine, period: str, now: datetime | None = None, county: str | None = None
                 ) -> pd.DataFrame:
    """The 催报 list of ``period`` as it stood at ``now`` (default: now): the status of every expected report
    (of ``county`` and the lead units, when a county is given) against the configured deadline.
    The one definition of completeness: the 催报 tab, the overview tile and the CLI all read it."""
    at = months.local(now) if now else months.now()
    U = models.Upload
    with engine.connect() as conn:
        first = conn.execute(
            select(U.kind, U.scope, func.min(U.uploaded_at))
            .where(U.period == period, U.outcome == "accepted", U.uploaded_at <= at).group_by(U.kind, U.scope)).all()
        partial = partial_reports(conn, period)
    seen = {(k, s): months.local(t) for k, s, t in first}
    expected = [e for e in expected_reports(engine) if county is None or e.scope == county
                or e.kind == "measure_progress"]
    return classify(expected, seen, months.deadline(period, deadline_day()), at, partial)


def received(table: pd.DataFrame) -> tuple[float, int, int]:
    """(share in percent, reports in full — on time or late, expected reports) of a completeness table."""
    done = int(table["状态"].isin([STATUS_ON_TIME, STATUS_LATE]).sum())
    return (round(100 * done / len(table), 1) if len(table) else 0.0), done, len(table)


def partial_reports(conn, period: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(kind, scope) -> (rows, expected rows) of the active versions of ``period`` that are partial."""
    U = models.Upload
    rows = conn.execute(select(U.kind, U.scope, U.rows, U.expected_rows).where(
        U.period == period, U.active, U.expected_rows.is_not(None), U.rows < U.expected_rows)).all()
    return {(k, s): (n, total) for k, s, n, total in rows}
