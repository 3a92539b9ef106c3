"""A month's meeting figures as one plain, JSON-able snapshot: what the deck, the 通报, the pictures and the
workbook are drawn from, and what a frozen month stores.

Every figure comes from the same functions the pages call (targets, accountability, coverage, completeness,
charts_map); this module only gathers them for one month and one scope (the city or a county) and turns the
frames into ``{"columns": [...], "rows": [[...]]}`` tables of plain values, so that a snapshot read back from
the store renders exactly as it was built.

Snapshot keys (``SCHEMA`` 1):

* ``city``, ``as_of`` (YYYY-MM), ``as_of_label`` (2024年05月), ``county`` (code or None), ``where`` (全市/县名),
  ``stamp`` ("全市 · 数据截至 2024年05月"), ``built_at`` (ISO time the figures were read), ``demo`` (bool),
  ``frozen`` (None, or ``{"by", "at"}`` once stored by :mod:`dashboard.freeze`), ``lamp_rule`` (text);
* ``targets``: one dict per target of the plan — ``metric``, ``label``, ``noun``, ``source`` (plan sentence),
  ``configured``, ``milestones`` [{deadline, value}], ``actual`` / ``previous`` (% or None = 未报送),
  ``expected``, ``lamp`` (green/yellow/red/None), ``lamp_label``, ``count``, ``total``, ``unreported``,
  ``next_milestone`` {deadline, value}, ``pace`` (text), ``definition``, ``sentence`` (the 通报 line),
  ``series`` (table: 月份, 实际(%), 应达(%), 未报送), ``counties`` (table), ``gaps`` (table);
* ``ranking`` (table: the township-coverage county ranking with lamps and 较上月), ``ranking_lamps``
  (county -> lamp key, for colouring);
* ``measures`` (table, every measure with lamp), ``lagging`` (table: red then yellow measures, most behind
  first), ``lamp_counts`` {绿灯, 黄灯, 红灯}, ``units`` (table), ``late_units`` (table: lead units still owing
  this month's report);
* ``completeness`` (table), ``received`` {rate, received, expected}, ``missing`` (table: 未报送/部分报送/待报送);
* ``sources`` (table: the uploads behind the figures), ``upload_ids`` (list);
* ``map``: ``sites`` [[lon, lat, status]], ``townships`` [{ring, covered}], ``counties`` [{ring, name}],
  ``status_counts`` {status: n}, ``covered`` / ``township_total``, ``gaps`` (table).
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import pandas as pd
from sqlalchemy import Engine

from dashboard import accountability, coverage, facts, metrics, months, queries, targets
from dashboard.catalog import active_plan
from dashboard.completeness import STATUS_LATE, STATUS_ON_TIME, received
from dashboard.plan import load_plan_config
from dashboard.settings import deadline_day, lamp_rule
from loaders.schema import KIND_LABELS

SCHEMA = 1
RANKED_METRIC = targets.RANKED  # what a snapshot frozen before "ranked" was kept ranks by


def ranked_target(snap: dict) -> dict | None:
    """The snapshot's target its counties are ranked by (a snapshot frozen before this was kept: 乡镇示范点覆盖率)."""
    metric = snap.get("ranked", RANKED_METRIC)
    return next((t for t in snap["targets"] if t["metric"] == metric), None)
SOURCE_KINDS = ("demo_sites", "village_monthly", "county_brands", "measure_progress")
# The reports each target is counted from (village shares: the month's village reports over the roster);
# measures come from the lead units' 措施推进月报.
TARGET_SOURCES = {"township_demo_coverage": ("demo_sites", "roster"), "county_brand_coverage": ("county_brands",)}
VILLAGE_SOURCES = ("village_monthly", "roster")


def sources_text(metric: str | None) -> str:
    """The reports behind a target's figures (a measure's when ``metric`` is None), named: 示范点台账、村级名录."""
    kinds = TARGET_SOURCES.get(metric, VILLAGE_SOURCES) if metric else ("measure_progress",)
    return "、".join(KIND_LABELS[k] for k in kinds)

# --- plain values ------------------------------------------------------------------------------------

def scalar(value):
    """A JSON-able scalar: NaN/NaT/None -> None, numpy numbers -> Python, dates -> ISO text."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value


def table(frame: pd.DataFrame) -> dict:
    """A frame as ``{"columns", "rows"}`` of plain values (the snapshot's table form)."""
    return {"columns": [str(c) for c in frame.columns],
            "rows": [[scalar(v) for v in row] for row in frame.itertuples(index=False)]}


def frame(tab: dict) -> pd.DataFrame:
    """A snapshot table back as a frame (same columns, same order)."""
    return pd.DataFrame(tab["rows"], columns=tab["columns"])


def dumps(snapshot: dict) -> str:
    """The canonical JSON text of a snapshot (what is stored; sorted keys, Chinese kept)."""
    return json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --- building ---------------------------------------------------------------------------------------

def _pct(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


UNITS = {"乡镇": "个乡镇(街道)", "村": "个村(社区)", "县": "个县(市、区)"}


def sentence(spec: targets.Spec, where: str, count: int, total: int, actual: float | None, previous: float | None,
             expected: float, upcoming: metrics.Milestone, on: date, unreported: int) -> str:
    """The 通报 line of one target: "全市 100 个乡镇(街道)中 82 个已有示范点,乡镇示范点覆盖率 82.0%,较上月提高
    2.0 个百分点,已达到 70% 的节点要求。”"""
    if actual is None:
        return f"{where}{spec.label}:本月未报送,无法计算。"
    unit = UNITS.get(spec.noun, f"个{spec.noun}")
    text = f"{where} {total} {unit}中 {count} 个{spec.met},{spec.label} {actual:.1f}%"
    if previous is not None:
        change = round(actual - previous, 1)
        text += ",与上月持平" if change == 0 else (f",较上月提高 {change:.1f} 个百分点" if change > 0
                                                 else f",较上月下降 {-change:.1f} 个百分点")
    if actual >= upcoming.value:
        text += f",已达到 {upcoming.value:g}% 的节点要求"
    elif upcoming.deadline < on:
        text += f",{upcoming.deadline:%Y年%m月%d日}前达到 {upcoming.value:g}% 的节点期限已过,仍差 {upcoming.value - actual:.1f} 个百分点"
    else:
        text += (f",距 {upcoming.deadline:%Y年%m月%d日}前达到 {upcoming.value:g}% 的节点要求"
                 f"还差 {upcoming.value - actual:.1f} 个百分点")
    text += f"(按直线进度本月应达 {expected:.1f}%)"
    if unreported:
        text += f";另有 {unreported} {unit[1:]}未报送,不计为达标"
    return text + "。"


def _target(spec: targets.Spec, data: targets.Inputs, start: str, as_of: str, where: str, rule,
            villages: pd.DataFrame, reports: pd.DataFrame, city_gaps: pd.DataFrame | None = None) -> dict:
    """One target's figures (``villages``: those of ``data``'s counties); a county's gap list is its rows of the
    city's (``city_gaps``), when given."""
    series = targets.series(spec, data, start, as_of)
    actual, expected, colour = targets.latest(spec, series, as_of, rule.yellow_gap_points)
    previous_month = months.previous(as_of)
    before = series[series["period"] == previous_month]["actual"]
    previous = _pct(before.iloc[0]) if len(before) else None
    counts = targets.counts_by_county(spec.metric, data, as_of)
    count, total = int(counts["count"].sum()), int(counts["total"].sum())
    unreported = int(series["unreported"].iloc[-1])
    on = months.last_day(as_of)
    upcoming = metrics.next_milestone(list(spec.milestones), on) or spec.milestones[-1]
    pace = targets.pace(spec, data, as_of)
    county_rows = targets.county_table(spec, data, start, as_of, rule.yellow_gap_points)
    if city_gaps is None:
        gaps = targets.gaps(spec, data, as_of, villages, reports if spec.noun == "村" else None)
    else:  # every list names its county: the county's rows, in the city list's order
        gaps = city_gaps[city_gaps["县(市、区)"].isin(list(data.counties.values()))].reset_index(drop=True)
    return {
        "metric": spec.metric, "label": spec.label, "noun": spec.noun, "source": spec.source,
        "configured": spec.configured,
        "milestones": [{"deadline": m.deadline.isoformat(), "value": m.value} for m in spec.milestones],
        "actual": actual, "previous": previous, "expected": expected, "lamp": colour,
        "lamp_label": metrics.LAMP_LABELS.get(colour, targets.NOT_REPORTED),
        "count": count, "total": total, "unreported": unreported,
        "next_milestone": {"deadline": upcoming.deadline.isoformat(), "value": upcoming.value},
        "pace": metrics.pace_text(pace, spec.noun) if pace else "—",
        "definition": spec.definition or spec.label,
        "sentence": sentence(spec, where, count, total, actual, previous, expected, upcoming, on, unreported),
        "series": table(pd.DataFrame({"月份": series["period"], "实际(%)": series["actual"],
                                      "应达(%)": series["expected"], "未报送": series["unreported"]})),
        "counties": table(pd.DataFrame({
            "县(市、区)": county_rows["county"], f"达标{spec.noun}": county_rows["count"],
            f"{spec.noun}总数": county_rows["total"], f"未报送{spec.noun}": county_rows["unreported"],
            "实际(%)": county_rows["actual"], "应达(%)": county_rows["expected"],
            "灯": county_rows["lamp"].map(lambda c: metrics.LAMP_LABELS.get(c, targets.NOT_REPORTED))})),
        "gaps": table(gaps),
    }


def _map(sites: pd.DataFrame, ledger: pd.DataFrame, townships: pd.DataFrame, town_bounds: pd.DataFrame, county_bounds: pd.DataFrame,
         county: str | None) -> dict:
    from dashboard import charts_map  # pydeck import: only when a map is drawn

    if county:
        sites = sites[sites["county_code"] == county]
        townships = townships[townships["county_code"] == county]
        town_bounds = town_bounds[town_bounds["county_code"] == county]
    covered = charts_map.covered_townships(sites)
    located = sites.dropna(subset=["lon", "lat"])
    gaps = charts_map.gap_townships(townships, ledger)
    return {
        "sites": [[round(float(x), 5), round(float(y), 5), s]
                  for x, y, s in zip(located["lon"], located["lat"], located["status"])],
        "townships": [{"ring": json.loads(b)["coordinates"][0], "covered": code in covered}
                      for code, b in zip(town_bounds["code"], town_bounds["boundary"])],
        "counties": [{"ring": json.loads(b)["coordinates"][0], "name": name, "chosen": code == county}
                     for code, name, b in zip(county_bounds["code"], county_bounds["name"], county_bounds["boundary"])],
        "status_counts": charts_map.status_counts(sites),
        "covered": len(townships) - len(gaps), "township_total": len(townships),
        "gaps": table(gaps.drop(columns="区划代码")),
    }


class Month:
    """Everything one as-of month's figures rest on, read once; :meth:`snapshot` gives the city's or a
    county's figures from it without reading the store again (a freeze builds them all)."""

    def __init__(self, engine: Engine, as_of: str, at: datetime | None = None, share: bool = True):
        self.as_of = as_of
        self.at = months.local(at) if at else months.now()
        self.view = facts.View(as_of)
        self.plan = active_plan(engine)
        self.specs = targets.specs(self.plan.targets) if self.plan else []
        self.inputs = queries.target_inputs(engine, as_of, targets.village_bars(self.specs))
        if share:  # the city's counts and gap lists, computed once, are sliced for every county
            self.inputs.memo = {}
        self.share = share
        self._memo: dict = {}
        self.city = queries.city_name(engine) or "本市"
        self.demo = queries.has_demo_data(engine)
        self.reports = facts.village_reports(engine, self.view)
        self.measure_reports = facts.measure_reports(engine, self.view)
        read_at = min(self.at, months.cutoff(as_of))
        self.due = months.due(as_of, deadline_day(), read_at)
        self.completeness = {None: facts.completeness(engine, as_of, read_at)}
        for code in self.inputs.counties:
            self.completeness[code] = facts.completeness(engine, as_of, read_at, code)
        self.sources = facts.sources(engine, SOURCE_KINDS, self.view)
        self.town_bounds = facts.boundaries(engine, "township")
        self.county_bounds = facts.boundaries(engine, "county")
        from dashboard import charts_map

        self.villages = facts.villages(engine, as_of)
        self.sites = charts_map.village_sites(coverage.on_roster(self.villages, as_of), self.inputs.ledger)

    def snapshot(self, county: str | None = None) -> dict:
        rule, start = lamp_rule(), load_plan_config().start
        data = self.inputs.only(county)
        where = self.inputs.counties.get(county, "全市") if county else "全市"
        label = months.label(self.as_of)
        villages = self.villages[self.villages["county_code"] == county] if county else self.villages
        shown_targets = [_target(s, data, start, self.as_of, where, rule, villages, self.reports,
                                 self._city_gaps(s) if county and self.share else None) for s in self.specs]
        ranked = targets.ranked(self.specs)  # what the overview ranks by: the same counties in the same order
        if ranked is not None:
            now = targets.county_table(ranked, data, start, self.as_of, rule.yellow_gap_points)
            before = targets.county_table(ranked, data, start, months.previous(self.as_of), rule.yellow_gap_points)
            ranking = targets.ranking(now, before, ranked.noun)
            lamps = {c: k for c, k in zip(now["county"], now["lamp"])}
        else:
            ranking, lamps = pd.DataFrame(columns=["名次", "县(市、区)"]), {}
        measures_ = self._measures(rule, start)
        units = (accountability.unit_table(self.plan.measures, self.measure_reports, self.as_of, measures_,
                                           self.plan.units) if self.plan else pd.DataFrame())
        late_units = (units[units["本月未报"] != accountability.NONE][["单位", "本月未报"]]
                      .rename(columns={"本月未报": "未报措施序号"}) if not units.empty else
                      pd.DataFrame(columns=["单位", "未报措施序号"]))
        done = self.completeness[county]
        rate, got, expected = received(done)
        missing = done[~done["状态"].isin([STATUS_ON_TIME, STATUS_LATE])]
        sources = self.sources
        if county:
            sources = sources[sources["scope"].isin([county]) | ~sources["scope"].isin(self.inputs.counties)]
        names = self.inputs.counties
        shown_sources = pd.DataFrame({
            "报表": sources["kind"].map(KIND_LABELS), "报送期": sources["period"],
            "范围": sources["scope"].map(lambda s: names.get(s, s)), "文件": sources["file_name"],
            "填报人": sources["uploaded_by"],
            "上报时间": pd.to_datetime(sources["uploaded_at"]).dt.strftime("%Y-%m-%d %H:%M"),
            "说明": sources["late"].map(lambda late: "迟报(截止点后首次上报)" if late else ""),
        })
        return {
            "schema": SCHEMA, "city": self.city, "as_of": self.as_of, "as_of_label": label,
            "county": county, "where": where, "stamp": f"{where} · 数据截至 {label}",
            "built_at": self.at.isoformat(timespec="seconds"), "demo": self.demo, "frozen": None,
            "lamp_rule": rule.text(), "due": self.due,
            "targets": shown_targets,
            "ranking": table(ranking), "ranking_lamps": lamps, "ranked": ranked.metric if ranked else None,
            "measures": table(measures_), "lagging": table(accountability.lagging(measures_)[lambda f: f["灯"] != "绿灯"]),
            "lamp_counts": accountability.lamp_counts(measures_),
            "units": table(units), "late_units": table(late_units),
            "completeness": table(done), "received": {"rate": rate, "received": got, "expected": expected},
            "missing": table(missing),
            "sources": table(shown_sources), "upload_ids": sorted(int(i) for i in sources["id"]),
            "map": _map(self.sites, data.ledger, data.townships, self.town_bounds, self.county_bounds, county),
        }

    def _city_gaps(self, spec: targets.Spec) -> pd.DataFrame:
        key = ("gaps", spec.metric)
        if key not in self._memo:
            self._memo[key] = targets.gaps(spec, self.inputs, self.as_of, self.villages,
                                           self.reports if spec.noun == "村" else None)
        return self._memo[key]

    def _measures(self, rule, start) -> pd.DataFrame:
        """The measure table: the city's lead units report for everyone, so it is the same for every county."""
        if self.plan is None:
            return pd.DataFrame(columns=accountability.MEASURE_COLUMNS)
        if "measures" not in self._memo:
            self._memo["measures"] = accountability.measure_table(
                self.plan.measures, self.plan.sections, self.measure_reports, self.as_of, start, rule, self.due)
        return self._memo["measures"]


def build(engine: Engine, as_of: str, county: str | None = None, at: datetime | None = None) -> dict:
    """The live snapshot of one month for the city (``county`` None) or one county."""
    return Month(engine, as_of, at).snapshot(county)
