"""催报: who has reported a period on time, late or not yet — per county for village kinds, per lead unit for measures."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, select

from dashboard import models
from dashboard.catalog import active_plan
from dashboard import months
from dashboard.settings import DATA_DIR, KIND_LABELS

MONTHLY_COUNTY_KINDS = ("village_monthly", "demo_sites")
STATUS_ON_TIME, STATUS_LATE, STATUS_MISSING, STATUS_PENDING = "按时报送", "逾期报送", "未报送", "待报送(未到截止日)"


def deadline_day() -> int:
    """Day of the next month by which a period must be reported (data/intake.toml, default 5)."""
    with (DATA_DIR / "intake.toml").open("rb") as fh:
        return int(tomllib.load(fh).get("deadline", {}).get("day_of_next_month", 5))


@dataclass(frozen=True)
class Expected:
    kind: str
    scope: str  # county code or unit name
    label: str  # what the user reads: county name or unit name


def classify(expected: list[Expected], first_seen: dict[tuple[str, str], datetime],
             deadline: datetime, now: datetime) -> pd.DataFrame:
    """One row per expected report with its status; pure, so it is tested on hand-made inputs."""
    rows = []
    for e in expected:
        seen = first_seen.get((e.kind, e.scope))
        if seen is None:
            status = STATUS_PENDING if now <= deadline else STATUS_MISSING
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


def completeness(engine: Engine, period: str, now: datetime | None = None) -> pd.DataFrame:
    """The 催报 list of ``period``: status of every expected report against the configured deadline."""
    U = models.Upload
    with engine.connect() as conn:
        first = conn.execute(
            select(U.kind, U.scope, func.min(U.uploaded_at))
            .where(U.period == period, U.outcome == "accepted").group_by(U.kind, U.scope)).all()
    seen = {(k, s): t for k, s, t in first}
    return classify(expected_reports(engine), seen, months.deadline(period, deadline_day()),
                    months.local(now) if now else months.now())
