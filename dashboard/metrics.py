"""Pure metrics on plain data: shares, the milestone path, expected values and lamps. No Streamlit here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import months


@dataclass(frozen=True)
class Milestone:
    deadline: date
    value: float  # percent


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


# --- lamps, rankings, pace -------------------------------------------------------------------

LAMP_LABELS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}


def lamp(actual: float, expected: float, yellow_gap: float = 10.0, missed_milestone: bool = False) -> str:
    """green at/above the straight-path value; yellow behind by < ``yellow_gap`` points; red otherwise."""
    if missed_milestone:
        return "red"
    gap = round(expected - actual, 1)  # one-decimal figures: 16.4 - 6.4 must be exactly 10
    if gap <= 0:
        return "green"
    return "yellow" if gap < yellow_gap else "red"


def missed(milestones: list[Milestone], actual: float, on: date) -> bool:
    """True when a milestone date has passed and the actual value is still below it."""
    return any(m.deadline < on and actual < m.value for m in milestones)


def measure_lamp(progress: float | None, expected: float, months_since_report: int | None,
                 yellow_gap: float = 10.0, red_missing: int = 2) -> str:
    """A measure's lamp: progress against the straight path, degraded by late or missing reports.

    ``months_since_report``: 0 when the as-of month is reported, 1 when the last report is a month old,
    None when the measure was never reported.
    """
    if months_since_report is None or months_since_report >= red_missing or progress is None:
        return "red"
    colour = lamp(progress, expected, yellow_gap)
    if months_since_report >= 1 and colour == "green":
        return "yellow"
    return colour


def rank_change(current: pd.Series, previous: pd.Series) -> pd.DataFrame:
    """Rank (1 = best, ties share the better rank) now and before, and places gained since. A missing value
    (未报送) has no rank and does not take a place from anyone."""
    now = current.rank(ascending=False, method="min")
    before = previous.reindex(current.index).rank(ascending=False, method="min")
    out = pd.DataFrame({"rank": now.astype("Int64"), "previous_rank": before.astype("Int64")})
    out["change"] = (out["previous_rank"] - out["rank"]).astype("Int64")
    return out


@dataclass(frozen=True)
class Pace:
    needed: int  # how many more units (townships, villages) are needed
    months_left: int  # whole months from the as-of month to the deadline's month
    per_month: float | None  # needed / months_left; None when the deadline has passed


def pace_needed(count_now: int, total: int, target_pct: float, as_of: str, deadline: date) -> Pace:
    """What it still takes to reach ``target_pct`` of ``total`` by ``deadline`` from month ``as_of``."""
    import math

    needed = max(0, math.ceil(total * target_pct / 100 - count_now - 1e-9))
    months_left = months.index(f"{deadline:%Y-%m}") - months.index(as_of)
    per_month = round(needed / months_left, 1) if months_left > 0 else None
    return Pace(needed, max(months_left, 0), per_month)


def pace_text(pace: Pace, noun: str) -> str:
    """E.g. 还需 12 个乡镇,平均每月 1.5 个 — the sentence the targets page shows."""
    if pace.needed == 0:
        return "已达到目标"
    if pace.per_month is None:
        return f"已到节点日期,仍差 {pace.needed} 个{noun}"
    return f"还需 {pace.needed} 个{noun},平均每月 {pace.per_month:g} 个"
