"""The plan's targets measured on the facts: monthly series, per-county tables, gaps and pace (pure pandas).

Every target is a share in percent, measured as :mod:`dashboard.tracking` says: townships with a built demo
site, counties with a formed brand, or villages meeting a village indicator (是, or at least the plan's number).
Which targets there are, their values and milestones come from the active plan (``Target`` rows sharing a
metric); the expected value follows the straight path from the plan start through each milestone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from dashboard import coverage, months, tracking
from dashboard.metrics import (
    LAMP_LABELS,
    Milestone,
    Pace,
    expected_on,
    lamp,
    missed,
    next_milestone,
    pace_needed,
    rank_change,
)


@dataclass(frozen=True)
class Spec:
    """One target as the dashboards show it: the plan's milestones of one tracked measure."""

    metric: str
    label: str  # e.g. 乡镇示范点覆盖率
    noun: str  # what is counted: 乡镇 / 村 / 县
    milestones: tuple[Milestone, ...]
    source: str  # the plan's own sentence (of the last milestone)
    configured: bool  # True when a deadline is a configured default (year masked in the plan)
    threshold: float | None = None  # a per-village bar the share counts against (the plan's "每村至少N名")
    indicator: str | None = None  # the village indicator counted (village shares only)
    met: str = "达标"  # one unit meeting it, for the 通报 line
    definition: str = ""  # how the share is computed

    @property
    def level(self) -> str:
        """What the share is of: townships, counties or villages."""
        return {"乡镇": "townships", "县": "counties"}.get(self.noun, "villages")


def specs(plan_targets) -> list[Spec]:
    """The active plan's tracked targets, one spec per measure (its rows sharing a metric form the milestone
    ladder), in the dashboards' order (:func:`dashboard.tracking.trackers`). Targets 不在看板跟踪, or tracked by an
    indicator no longer in the catalogue, are left out."""
    out = []
    for t in tracking.trackers():
        rows = sorted((r for r in plan_targets if r.metric == t.metric), key=lambda r: r.deadline)
        if not rows:
            continue
        if t.counted:  # "every village has at least N": N is the bar, 100 % the target
            threshold = float(rows[-1].value)
            ladder = tuple(Milestone(r.deadline, 100.0) for r in rows)
        else:
            threshold, ladder = None, tuple(Milestone(r.deadline, float(r.value)) for r in rows)
        out.append(Spec(t.metric, t.name(threshold), t.noun, ladder, rows[-1].source,
                        any(r.deadline_configured for r in rows), threshold, t.indicator,
                        t.met.format(threshold=threshold or 0), t.definition))
    return out


RANKED = tracking.TOWNSHIP_DEMO.metric  # the share counties are ranked by when the plan tracks it


def ranked(all_specs: list[Spec]) -> Spec | None:
    """The spec counties are ranked (and the map coloured) by: :data:`RANKED` when tracked, else the first one."""
    return next((s for s in all_specs if s.metric == RANKED), all_specs[0] if all_specs else None)


def village_bars(all_specs: list[Spec]) -> tuple[tuple[str, float | None], ...]:
    """The village indicators the specs count, each with its per-village bar (None: a 是/否 indicator) — what
    :func:`dashboard.facts.indicator_series` counts."""
    return tuple((s.indicator, s.threshold) for s in all_specs if s.indicator is not None)


def plan_months(start: str, as_of: str) -> list[str]:
    """Periods from the plan start month to ``as_of`` inclusive."""
    first = start[:7]
    return months.span(first, as_of) or [first]


@dataclass
class Inputs:
    """The facts one as-of view needs (already filtered to the chosen county, if any): counts, not village rows —
    a country's 490,000 villages are read only where they are named (gap lists, maps)."""

    townships: pd.DataFrame | None  # county_code, county, township_code, township: only the gap lists and exports
    roster: pd.DataFrame  # facts.roster_counts: county_code, removed_from, n
    ledger: pd.DataFrame | None  # facts.ledger_in_effect (the rows in effect at the as-of month): only the gap lists
    ledger_counts: pd.DataFrame  # facts.ledger_counts: county_code, period, n per ledger version
    indicators: pd.DataFrame  # facts.indicator_series
    brands: pd.DataFrame  # facts.brand_history
    counties: dict[str, str]  # code -> name
    # Set to {} to keep every county's monthly counts once computed, and let the views of :meth:`only` slice
    # them instead of counting again: a freeze builds the figures of all counties from one set of inputs.
    memo: dict | None = field(default=None, repr=False, compare=False)
    parent: "Inputs | None" = field(default=None, repr=False, compare=False)
    # townships per county (the denominator of the township target); counted from ``townships`` when not given
    township_counts: pd.Series | None = None

    def __post_init__(self):
        if self.township_counts is None:
            self.township_counts = self.townships.groupby("county_code").size()

    def only(self, county: str | None) -> "Inputs":
        if not county:
            return self
        return Inputs(None if self.townships is None else self.townships[self.townships["county_code"] == county],
                      self.roster[self.roster["county_code"] == county],
                      None if self.ledger is None else self.ledger[self.ledger["scope"] == county],
                      self.ledger_counts[self.ledger_counts["county_code"] == county],
                      self.indicators[self.indicators["county_code"] == county],
                      self.brands[self.brands["county_code"] == county],
                      {county: self.counties[county]}, parent=self if self.memo is not None else None,
                      township_counts=self.township_counts[self.township_counts.index == county])


NOT_REPORTED = "未报送"


def monthly_counts(metric: str, data: Inputs, months_: list[str]) -> pd.DataFrame:
    """Per month and county: ``count`` meeting the target, ``total`` to count against, ``covered`` (how many of
    ``total`` have data at all) and ``source`` (the month the data is from).

    Three states, not two: a village monthly report is valid for its month only — villages without one are
    未报送 (``covered`` < ``total``), never "not meeting" and never last month's value; the registers (demo-site
    ledger, brand register) stay valid until replaced, and ``source`` says from which month they are.
    """
    if data.parent is not None:  # each county is counted on its own rows only: its slice of the whole is the same
        whole = monthly_counts(metric, data.parent, months_)
        return whole[whole["county_code"].isin(list(data.counties))].reset_index(drop=True)
    key = (metric, tuple(months_))
    if data.memo is not None:  # each month's counts stand on their own: any memo holding these months will do
        held = next((v for (m, span), v in list(data.memo.items()) if m == metric and set(months_) <= set(span)), None)
        if held is not None:
            return _months_of(held, months_)
    grid = pd.MultiIndex.from_product([months_, list(data.counties)], names=["month", "county_code"])
    t = tracking.tracker(metric)
    village = t is not None and t.indicator is not None
    if village:
        monthly = data.indicators.rename(columns={"period": "month", t.indicator: "count", "reported": "covered"})
        monthly = monthly[monthly["month"].isin(months_)].assign(source=lambda f: f["month"])
        counts = monthly[["month", "county_code", "count", "covered", "source"]]
        totals = coverage.roster_size(data.roster, months_).set_index(["month", "county_code"])["total"]
    else:
        if metric == "township_demo_coverage":
            per_version = data.ledger_counts
            totals = data.township_counts
        else:  # county_brand_coverage
            per_version = coverage.brands_per_register(data.brands)
            totals = pd.Series(1, index=pd.Index(list(data.counties), name="county_code"))
        counts = coverage.carried(per_version, months_)
        counts["covered"] = counts["county_code"].map(totals).fillna(0)
    if counts.empty:  # nothing reported in these months (pandas cannot reindex an empty multi-index)
        out = pd.DataFrame(index=grid).reset_index().assign(count=0, covered=0, source=None)
    else:
        out = counts.set_index(["month", "county_code"]).reindex(grid).reset_index()
    if village:  # the roster may change from month to month (撤销/合并)
        out["total"] = totals.reindex(pd.MultiIndex.from_frame(out[["month", "county_code"]]), fill_value=0).to_numpy()
    else:
        out["total"] = out["county_code"].map(totals)
    out["total"] = out["total"].fillna(0).astype(int)
    out["count"] = out["count"].fillna(0).astype(int)
    out["covered"] = out["covered"].fillna(0).astype(int)
    if data.memo is not None:
        data.memo[key] = out.copy()
    return out


def _months_of(counts: pd.DataFrame, months_: list[str]) -> pd.DataFrame:
    """The rows of ``months_``, month by month in that order (as :func:`monthly_counts` lays them out)."""
    rank = {m: i for i, m in enumerate(months_)}
    picked = counts[counts["month"].isin(rank)]
    return picked.iloc[np.argsort(picked["month"].map(rank).to_numpy(), kind="stable")].reset_index(drop=True)


def counts_by_county(metric: str, data: Inputs, period: str) -> pd.DataFrame:
    """Per county at ``period``: count, total, covered and source, indexed by county code."""
    return monthly_counts(metric, data, [period]).set_index("county_code")[["count", "total", "covered", "source"]]


def series(spec: Spec, data: Inputs, start: str, as_of: str, last: int | None = None) -> pd.DataFrame:
    """Per month: actual % (meeting over all units, 未报送 ones included in the denominator; None when nothing
    at all is reported), the number of units 未报送, and the expected % on the straight milestone path.
    ``last``: only the last so many months (each month's figure stands on its own)."""
    months_ = plan_months(start, as_of)[-last:] if last else plan_months(start, as_of)
    sums = monthly_counts(spec.metric, data, months_).groupby("month")[["count", "total", "covered"]].sum()
    sums = sums.reindex(months_, fill_value=0)
    actual = (100 * sums["count"] / sums["total"].where(sums["total"] > 0)).round(1)
    actual = actual.where(sums["covered"] > 0)
    expected = [expected_on(date.fromisoformat(start), list(spec.milestones), months.last_day(m)) for m in months_]
    return pd.DataFrame({"period": months_, "actual": actual.tolist(),
                         "unreported": (sums["total"] - sums["covered"]).astype(int).tolist(), "expected": expected})


def latest(spec: Spec, series_: pd.DataFrame, as_of: str, yellow_gap: float) -> tuple[float | None, float, str | None]:
    """(actual %, expected %, lamp) of the last month of a :func:`series` — actual and lamp None when 未报送."""
    last, expected = series_["actual"].iloc[-1], float(series_["expected"].iloc[-1])
    if last is None or pd.isna(last):
        return None, expected, None
    actual = float(last)
    return actual, expected, lamp(actual, expected, yellow_gap, missed(list(spec.milestones), actual, months.last_day(as_of)))


def county_table(spec: Spec, data: Inputs, start: str, as_of: str, yellow_gap: float) -> pd.DataFrame:
    """Per county at ``as_of``: count, total, unreported, actual % (None: 未报送), expected %, lamp (None: 未报送)
    and the month the figure comes from."""
    counts = counts_by_county(spec.metric, data, as_of)
    on = months.last_day(as_of)
    expected = expected_on(date.fromisoformat(start), list(spec.milestones), on)
    rows, ladder = [], list(spec.milestones)
    # column-wise (a country has 3,150 counties: iterrows alone took half a second)
    for code, count, total, covered, source in zip(counts.index, counts["count"].tolist(), counts["total"].tolist(),
                                                   counts["covered"].tolist(), counts["source"].tolist()):
        reported = covered > 0
        actual = (round(100 * count / total, 1) if total else 0.0) if reported else None
        colour = lamp(actual, expected, yellow_gap, missed(ladder, actual, on)) if reported else None
        rows.append({"county_code": code, "county": data.counties[code], "count": int(count),
                     "total": int(total), "unreported": int(total - covered), "actual": actual,
                     "expected": expected, "lamp": colour, "source": source if reported else None})
    return pd.DataFrame(rows, columns=["county_code", "county", "count", "total", "unreported", "actual", "expected",
                                       "lamp", "source"])


def pace(spec: Spec, data: Inputs, as_of: str) -> Pace | None:
    """What it still takes to reach the next milestone (None when all milestones have passed)."""
    upcoming = next_milestone(list(spec.milestones), months.last_day(as_of)) or spec.milestones[-1]
    counts = counts_by_county(spec.metric, data, as_of)
    return pace_needed(int(counts["count"].sum()), int(counts["total"].sum()), upcoming.value, as_of,
                       upcoming.deadline)


def gaps(spec: Spec, data: Inputs, as_of: str, villages: pd.DataFrame | None = None,
         reports: pd.DataFrame | None = None) -> pd.DataFrame:
    """The named list of what still misses the target at ``as_of``, the month of the inputs (townships, villages
    or counties). For the village targets only: ``villages``, :func:`dashboard.facts.villages` of that month (of
    the county, when one is chosen), and ``reports``, its village reports (:func:`dashboard.facts.village_reports`)."""
    if spec.metric == "township_demo_coverage":
        if data.ledger is None or data.townships is None:
            raise ValueError("township gap list needs the townships and the ledger rows in effect "
                             "(target_inputs(ledger=True))")
        covered = coverage.covered_townships(data.ledger)
        out = data.townships[~data.townships["township_code"].isin(covered)]
        return out.rename(columns={"county": "县(市、区)", "township": "乡镇(街道)"})[["县(市、区)", "乡镇(街道)"]]
    if spec.metric == "county_brand_coverage":
        latest = coverage.brands_as_of(data.brands, as_of).set_index("county_code")
        rows = [{"县(市、区)": name, "品牌": latest["name"].get(code, ""),
                 "状态": latest["status"].get(code, "未上报")}
                for code, name in data.counties.items() if latest["status"].get(code) != coverage.FORMED_BRAND]
        return pd.DataFrame(rows, columns=["县(市、区)", "品牌", "状态"])
    column = spec.indicator
    empty = pd.DataFrame(columns=["village_code", "period", column])
    month_reports = reports if reports is not None else empty
    month_reports = month_reports[month_reports["period"] == as_of]  # a village report counts for its month only
    merged = coverage.on_roster(villages, as_of).merge(month_reports, left_on="code", right_on="village_code",
                                                            how="left")
    reported = merged["period"].notna()
    meets = coverage.meets(merged[column], spec.threshold)  # a count: at least the plan's number per village
    if spec.threshold is not None:
        value = merged[column].map(lambda v: NOT_REPORTED if pd.isna(v) else f"{int(v)} 名")
    else:
        value = merged[column].map(lambda v: NOT_REPORTED if v is None or pd.isna(v) else "否")
    state = reported.map({True: "未达标", False: NOT_REPORTED})
    out = pd.DataFrame({"情况": state, "县(市、区)": merged["county"], "乡镇(街道)": merged["township"],
                        "村(社区)": merged["name"], "填报情况": value})[~meets.astype(bool)]
    out = out.assign(_order=(out["情况"] == NOT_REPORTED).astype(int)).sort_values("_order", kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def ranking(now: pd.DataFrame, before: pd.DataFrame, noun: str = "乡镇") -> pd.DataFrame:
    """Counties ranked by their share (two :func:`county_table` frames: this month and the month before), with
    lamps and places gained; ``noun``: what the share counts (乡镇: 已覆盖/乡镇数). A county with no data is 未报送:
    no rank, no lamp, listed last."""
    now, before = now.set_index("county"), before.set_index("county")
    ranks = rank_change(now["actual"].astype(float), before["actual"].astype(float))
    table = pd.DataFrame({
        "名次": ranks["rank"], "县(市、区)": now.index,
        "覆盖率(%)": now["actual"].map(lambda v: "—" if v is None or pd.isna(v) else f"{v:g}"),
        "应达(%)": now["expected"], "亮灯": now["lamp"].map(lambda c: LAMP_LABELS.get(c, NOT_REPORTED)),
        "较上月": ranks["change"].map(places),
        ("已覆盖/乡镇数" if noun == "乡镇" else f"达标/{noun}数"): now["count"].astype(str) + "/" + now["total"].astype(str),
    }).sort_values(["名次", "县(市、区)"], na_position="last").reset_index(drop=True)
    # the rank as text: a county 未报送 shows "—", never "None" or "nan"
    return table.assign(名次=table["名次"].map(lambda r: "—" if pd.isna(r) else str(int(r))))


def places(change) -> str:
    """Places gained as the rankings show it: ↑2, ↓1, or — (unchanged, or no rank to compare)."""
    return "—" if change is None or pd.isna(change) or change == 0 else (f"↑{change}" if change > 0 else f"↓{-change}")


def rank_vs(now: pd.DataFrame, before: pd.DataFrame, column: str) -> pd.DataFrame:
    """The ranking ``now`` (as :func:`ranking` gives it) with ``column`` after 较上月: places gained since the
    ranking ``before`` (e.g. the one a frozen month's 通报 printed), by county name; — for a county without a
    rank in either."""
    def rank(text) -> int | None:
        return int(text) if str(text).isdigit() else None

    was = {county: rank(r) for county, r in zip(before["县(市、区)"], before["名次"])}
    change = [None if rank(r) is None or was.get(county) is None else was[county] - rank(r)
              for county, r in zip(now["县(市、区)"], now["名次"])]
    out = now.copy()
    at = list(out.columns).index("较上月") + 1 if "较上月" in out.columns else len(out.columns)
    out.insert(at, column, [places(c) for c in change])
    return out
