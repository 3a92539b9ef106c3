"""Pure metrics on plain data: coverage, the milestone path and expected values. No Streamlit here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd


@dataclass(frozen=True)
class Milestone:
    deadline: date
    value: float  # percent


def coverage_by_county(townships: pd.DataFrame, covered: set[str]) -> pd.DataFrame:
    """Per county: townships, covered townships and coverage % (one decimal), ordered by code."""
    frame = townships.assign(covered=townships["township_code"].isin(covered))
    out = (
        frame.groupby(["county_code", "county"], sort=True)
        .agg(townships=("township_code", "size"), covered=("covered", "sum"))
        .reset_index()
    )
    out["coverage"] = (100 * out["covered"] / out["townships"]).round(1)
    return out


def share(part: int, whole: int) -> float:
    """``part`` of ``whole`` in percent, one decimal; 0 when there is nothing to count."""
    return round(100 * part / whole, 1) if whole else 0.0


def expected_on(start: date, milestones: list[Milestone], on: date) -> float:
    """Expected value on ``on`` along the straight path from 0 at ``start`` through each milestone."""
    points = [(start, 0.0)] + [(m.deadline, m.value) for m in sorted(milestones, key=lambda m: m.deadline)]
    if on <= start:
        return 0.0
    for (d0, v0), (d1, v1) in zip(points, points[1:]):
        if on <= d1:
            return round(v0 + (v1 - v0) * (on - d0).days / (d1 - d0).days, 1)
    return points[-1][1]


def next_milestone(milestones: list[Milestone], on: date) -> Milestone | None:
    """The first milestone whose deadline is on or after ``on``; None when all have passed."""
    upcoming = [m for m in sorted(milestones, key=lambda m: m.deadline) if m.deadline >= on]
    return upcoming[0] if upcoming else None


def period_end(period: str) -> date:
    """Last day of the month "YYYY-MM"."""
    year, month = int(period[:4]), int(period[5:7])
    first_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return date.fromordinal(first_next.toordinal() - 1)
