"""Version-aware reads of the monthly facts for the dashboards ("数据截至" an as-of month).

A view "as of" month M shows reports of periods up to M, taking for each kind/period/scope the version that
was in effect at the *cut-off*: the end of month M+1, Beijing time (reports of M arrive during M+1). Versions
come into effect by activation events (a commit or a restore, ``models.Activation``): the view uses the
latest activation up to the cut-off, so a restore counts from when it was made and a later correction never
rewrites a past view. A report with no version at all at the cut-off (late, or history back-filled later)
appears from its first upload on, marked 迟报: late reports fill gaps, only corrections are held back.
When the cut-off lies ahead, the versions active now are used.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, case, func, literal, select

from dashboard import coverage, models, months, settings
from dashboard.rollups import count_if

U = models.Upload
R = models.Region


def frame_of(rows, columns: list[str]) -> pd.DataFrame:
    """A DataFrame built column-wise from result rows (pandas probes SQLAlchemy Row objects slowly)."""
    if not rows:  # object columns: an empty frame still compares with strings (period <= "2026-01")
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows)))))


def read_frame(conn, query, columns: list[str]) -> pd.DataFrame:
    """The rows of ``query`` as a frame with these column names, built as :func:`frame_of` builds it.

    On PostgreSQL the server packs each column into one JSON array (``json_agg``), so a country's 113,000 rows
    of a target series cross as one value instead of 113,000 Python row objects."""
    if conn.dialect.name != "postgresql":
        return frame_of(conn.execute(query).all(), columns)
    sub = query.subquery()
    packed = conn.scalar(select(func.json_build_array(*(func.json_agg(c) for c in sub.c))).select_from(sub))
    if not packed or packed[0] is None:  # no rows: json_agg gives NULL
        return frame_of([], columns)
    return pd.DataFrame(dict(zip(columns, packed)))


@dataclass(frozen=True)
class View:
    """What the user chose: the as-of month and a county (None = whole city)."""

    as_of: str
    county: str | None = None

    @property
    def cutoff(self) -> datetime:
        return months.cutoff(self.as_of)

    def uses_active(self, now: datetime | None = None) -> bool:
        return self.cutoff >= (months.local(now) if now else months.now())


def effective_uploads(kind: str, view: View, now: datetime | None = None, only: str | None = None):
    """Select of (id, period, scope, late) of the versions in effect for ``view``, all periods <= as_of.
    ``late``: the report had no version at the cut-off; this is its first, uploaded after it (迟报).
    ``only="month"``: the as-of month's versions only; ``only="latest"``: each scope's latest month only (the
    register in effect) — the same versions, chosen among far fewer reports (a country has 113,000 a kind)."""
    if view.uses_active(now):
        query = select(U.id, U.period, U.scope, literal(False).label("late")).where(
            U.kind == kind, U.active, U.period <= view.as_of)
        if only == "month":
            return query.where(U.period == view.as_of)
        if only == "latest":
            latest = (select(U.scope, func.max(U.period).label("period"))
                      .where(U.kind == kind, U.active, U.period <= view.as_of).group_by(U.scope).subquery())
            return query.join(latest, (latest.c.scope == U.scope) & (latest.c.period == U.period))
        return query
    A = models.Activation
    cutoff = view.cutoff
    # the activation in effect at the cut-off, or — for a report with none then — its first (迟报)
    late = A.first & (A.activated_at > cutoff)
    in_time = (A.activated_at <= cutoff) & (A.ended_at.is_(None) | (A.ended_at > cutoff))
    query = (select(A.upload_id.label("id"), A.period, A.scope, late.label("late"))
             .where(A.kind == kind, A.period <= view.as_of, in_time | late))
    if only == "month":
        return query.where(A.period == view.as_of)
    if only == "latest":  # every report with an activation has a version in effect: the latest month is max(period)
        latest = (select(A.scope, func.max(A.period).label("period"))
                  .where(A.kind == kind, A.period <= view.as_of).group_by(A.scope).subquery())
        return query.join(latest, (latest.c.scope == A.scope) & (latest.c.period == A.period))
    return query


def kinds_in_effect(engine: Engine, view: View) -> set[str]:
    """Report kinds with something in effect for ``view``: a register (ledger, brands, roster) up to the
    as-of month, or a monthly report of the as-of month itself."""
    from loaders.schema import KINDS

    found = set()
    with engine.connect() as conn:
        for key, kind in KINDS.items():
            if key == "roster":
                continue
            eff = effective_uploads(key, view, only="latest" if kind.snapshot else "month").subquery()
            if conn.scalar(select(eff.c.id).limit(1)) is not None:
                found.add(key)
    return found


MONTH_ONLY = ("village_monthly",)  # valid for their own month; every other kind stands until replaced


def _source_selects(kinds: tuple[str, ...], view: View, county: str | None):
    """Per kind, the select of (upload id, late) of the uploads the figures of ``view`` rest on; with ``county``,
    that county's and those of no county (units, city-wide registers)."""
    for kind in kinds:
        eff = effective_uploads(kind, view, only="month" if kind in MONTH_ONLY else "latest").subquery()
        query = select(eff.c.id, eff.c.late)
        if county:
            counties = select(R.code).where(R.level == "county")
            query = query.where((eff.c.scope == county) | eff.c.scope.not_in(counties))
        yield kind, query


def sources(engine: Engine, kinds: tuple[str, ...], view: View, county: str | None = None) -> pd.DataFrame:
    """Exactly the uploads the figures of ``view`` rest on (for the "数据来源" expander), newest first: the
    as-of month's village reports, and each scope's latest register or measure report up to the as-of month
    (carried forward, with the month it is from); superseded versions never. ``late`` marks 迟报. With
    ``county``: that county's uploads and those of no county (lead units, city-wide registers)."""
    frames = []
    columns = ["id", "kind", "period", "scope", "file_name", "uploaded_by", "uploaded_at", "is_demo", "late"]
    with engine.connect() as conn:
        for _, chosen in _source_selects(kinds, view, county):
            chosen = chosen.subquery()
            query = (select(U.id, U.kind, U.period, U.scope, U.file_name, U.uploaded_by, U.uploaded_at, U.is_demo,
                            chosen.c.late).join(chosen, chosen.c.id == U.id))
            frames.append(frame_of(conn.execute(query).all(), columns=columns))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return out.sort_values("uploaded_at", ascending=False, ignore_index=True) if not out.empty else out


def source_count(engine: Engine, kinds: tuple[str, ...], view: View, county: str | None = None) -> int:
    """How many uploads :func:`sources` lists (counted by the store: the label of a closed 数据来源)."""
    with engine.connect() as conn:
        return sum(conn.scalar(select(func.count()).select_from(chosen.subquery()))
                   for _, chosen in _source_selects(kinds, view, county))


def roster_versions(engine: Engine, view: View) -> dict[str, int]:
    """County code -> the roster version the view counts villages on: the one in effect at the view's cut-off
    (latest month up to the as-of month); for a county whose roster only came later, its earliest version."""
    eff = effective_uploads("roster", view).subquery()
    columns = ["id", "period", "scope"]
    with engine.connect() as conn:
        in_effect = frame_of(conn.execute(select(eff.c.id, eff.c.period, eff.c.scope)).all(), columns)
        active = frame_of(conn.execute(select(U.id, U.period, U.scope).where(U.kind == "roster", U.active)).all(),
                          columns)
    chosen = coverage.latest_per_scope(in_effect, view.as_of, ["scope"])
    later = active[~active["scope"].isin(chosen["scope"])].sort_values("period").drop_duplicates("scope")
    return {scope: int(upload_id) for scope, upload_id in  # plain ints: drivers do not bind numpy's
            [*zip(chosen["scope"], chosen["id"]), *zip(later["scope"], later["id"])]}


def _on_roster(versions: dict[str, int]):
    """(village rows joined to their roster entry, the condition "on the roster the view counts"): a village is
    on it when the roster version in effect lists it, or when its county never uploaded a roster."""
    RV = models.RosterVillage
    joined = R.__table__.outerjoin(RV, (RV.village_code == R.code) & RV.upload_id.in_(list(versions.values()) or [-1]))
    return joined, RV.upload_id.is_not(None) | R.county_code.not_in(list(versions) or ["-"])


def villages(engine: Engine, as_of: str | None = None, county: str | None = None) -> pd.DataFrame:
    """The villages of the roster in effect for the as-of month (default: this month), with their township
    and county: code, name, township_code, township, county_code, county, lon, lat, and ``removed_from`` —
    the month a 撤销/合并 took effect (None for a village that stays). A county that never uploaded a roster
    counts every village the store knows for it. ``county``: that county's villages only."""
    view = View(as_of or months.this_month())
    joined, listed = _on_roster(roster_versions(engine, view))
    town, county_ = R.__table__.alias("t"), R.__table__.alias("c")
    RV = models.RosterVillage
    query = (select(R.code, R.name, town.c.code, town.c.name, county_.c.code, county_.c.name, R.lon, R.lat,
                    case((RV.change.is_not(None), RV.change_month)))
             .select_from(joined.join(town, town.c.code == R.parent_code)
                          .join(county_, county_.c.code == town.c.parent_code))
             .where(R.level == "village", listed).order_by(R.code))
    if county:
        query = query.where(R.county_code == county)
    with engine.connect() as conn:
        return frame_of(conn.execute(query).all(), columns=[
            "code", "name", "township_code", "township", "county_code", "county", "lon", "lat", "removed_from"])


def roster_counts(engine: Engine, as_of: str) -> pd.DataFrame:
    """The villages of :func:`villages` counted in the store, per county and month of 撤销/合并 (None: stays):
    county_code, removed_from, n — all the village shares need for their denominators."""
    joined, listed = _on_roster(roster_versions(engine, View(as_of)))
    RV = models.RosterVillage
    removed = case((RV.change.is_not(None), RV.change_month))
    query = (select(R.county_code, removed, func.count()).select_from(joined)
             .where(R.level == "village", listed).group_by(R.county_code, removed))
    with engine.connect() as conn:
        frame = frame_of(conn.execute(query).all(), columns=["county_code", "removed_from", "n"])
    return frame.astype({"n": int})


def removals(engine: Engine, as_of: str) -> dict[str, str]:
    """Village code -> month of its 撤销/合并, as the rosters of the as-of view record them (whatever the month)."""
    versions = list(roster_versions(engine, View(as_of)).values())
    RV = models.RosterVillage
    if not versions:
        return {}
    with engine.connect() as conn:
        return dict(conn.execute(select(RV.village_code, RV.change_month).where(
            RV.upload_id.in_(versions), RV.change.is_not(None))).all())


def removed_villages(engine: Engine, period: str) -> dict[str, str]:
    """Village code -> month of its 撤销/合并, for the villages no longer on the roster in ``period``."""
    return {code: month for code, month in removals(engine, period).items() if month <= period}


def boundaries(engine: Engine, level: str) -> pd.DataFrame:
    """code, name, county_code, boundary (a GeoJSON Polygon as text) of every county or township that has one.
    A MultiPolygon (islands, enclaves) gives one row per part, its largest first, so a drawer takes each row's
    outer ring (``coordinates[0]``) and the first row of a code for its name."""
    with engine.connect() as conn:
        rows = conn.execute(select(R.code, R.name, R.county_code, R.boundary)
                            .where(R.level == level, R.boundary.is_not(None)).order_by(R.code)).all()
    return frame_of([part for row in rows for part in _polygon_rows(row)],
                    columns=["code", "name", "county_code", "boundary"])


def _polygon_rows(row) -> list[tuple]:
    code, name, county_code, boundary = row
    if '"MultiPolygon"' not in boundary:
        return [tuple(row)]
    parts = json.loads(boundary)["coordinates"]  # stored largest part first (dashboard.boundaries.drawing)
    return [(code, name, county_code, json.dumps({"type": "Polygon", "coordinates": part}, separators=(",", ":")))
            for part in parts]


def ledger_in_effect(engine: Engine, view: View) -> pd.DataFrame:
    """Every row of each county's demo-site ledger in effect at the as-of month: upload_period, scope,
    village_code, township_code (the village's township), level, status, brand."""
    chosen = effective_uploads("demo_sites", view, only="latest").subquery()
    D = models.DemoSite
    query = (select(chosen.c.period, chosen.c.scope, D.village_code, R.parent_code, D.level, D.status, D.brand)
             .join(D, D.upload_id == chosen.c.id).join(R, R.code == D.village_code))
    columns = ["upload_period", "scope", "village_code", "township_code", "level", "status", "brand"]
    with engine.connect() as conn:
        return read_frame(conn, query, columns)


def ledger_counts(engine: Engine, view: View) -> pd.DataFrame:
    """Per ledger version in effect (county_code, period = its month): ``n`` townships with a built demo site
    (kept at commit, :mod:`dashboard.rollups`). A ledger whose built sites were all demoted still stands and
    counts 0 — it is not absent."""
    eff = effective_uploads("demo_sites", view).subquery()
    LC = models.LedgerCount
    with engine.connect() as conn:
        return read_frame(conn, select(eff.c.scope, eff.c.period, LC.townships).join(LC, LC.upload_id == eff.c.id),
                          ["county_code", "period", "n"])


STORED = frozenset(models.VillageReport.__table__.columns.keys())  # indicators with their own column
Bars = tuple[tuple[str, float | None], ...]  # (indicator key, per-village bar or None for a 是/否 indicator)


def _kept(key: str, bar: int | None) -> str | None:
    """The column of ``village_report_counts`` (:mod:`dashboard.rollups`) that already counts this, if any."""
    if key == "legal_persons" and bar in models.LEGAL_BARS:
        return f"legal_{bar}"
    return key if bar is None and key in ("micro_power_list", "discipline_member") else None


def _village_rows(engine: Engine, ids, bars: Bars, villages: list[str] | None = None) -> pd.DataFrame:
    """Per village report of the uploads ``ids`` (a select of upload ids): period, county_code, village_code and,
    per indicator of ``bars``, 1 when it meets it — read row by row, for the indicators kept in ``extra``."""
    V = models.VillageReport
    stored = [k for k, _ in bars if k in STORED]
    query = select(V.period, V.county_code, V.village_code, *(V.__table__.c[k] for k in stored), V.extra) \
        .where(V.upload_id.in_(ids))
    if villages is not None:
        query = query.where(V.village_code.in_(villages))
    with engine.connect() as conn:
        frame = frame_of(conn.execute(query).all(), ["period", "county_code", "village_code", *stored, "extra"])
    extra = frame["extra"].map(lambda text: json.loads(text) if isinstance(text, str) and text else {})
    for key, bar in bars:
        frame[key] = coverage.meets(frame[key] if key in stored else extra.map(lambda d, k=key: d.get(k)), bar)
    return frame.drop(columns="extra").assign(reported=1)


def indicator_series(engine: Engine, view: View, bars: Bars, removed: dict[str, str] | None = None) -> pd.DataFrame:
    """Per period and county: villages reported, and per indicator of ``bars`` (a column named by its key) how
    many met it — 是 for a 是/否 indicator, at least the bar (the plan's "每村至少N名") for a count. Reports of
    ``removed`` villages (code -> month of their 撤销/合并) from that month on are not counted: they are off the
    roster."""
    V, C = models.VillageReport, models.VillageCount
    bars = tuple((k, None if b is None else max(0, math.ceil(b))) for k, b in bars)  # counts are whole people
    keys = [k for k, _ in bars]
    counts = ["reported", *keys]
    eff = effective_uploads("village_monthly", view)
    chosen = eff.subquery()
    if all(_kept(k, b) for k, b in bars):  # the counts kept at commit (dashboard.rollups): a row per report
        query = (select(chosen.c.period, chosen.c.scope, C.villages, *(C.__table__.c[_kept(k, b)] for k, b in bars))
                 .join(C, C.upload_id == chosen.c.id))
    elif all(k in STORED for k in keys):  # a bar above the counted ones: count the village rows themselves
        query = (select(chosen.c.period, chosen.c.scope, func.count(),
                        *(count_if(V.__table__.c[k] >= b if b is not None else V.__table__.c[k]) for k, b in bars))
                 .join(V, V.upload_id == chosen.c.id).group_by(chosen.c.id, chosen.c.period, chosen.c.scope))
    else:  # an indicator kept in the JSON column: read the rows
        query = None
    if query is not None:
        with engine.connect() as conn:
            frame = read_frame(conn, query, ["period", "county_code", *counts])
    else:
        rows = _village_rows(engine, select(eff.subquery().c.id), bars)
        frame = rows.groupby(["period", "county_code"], as_index=False)[counts].sum()
    if removed:
        off = _village_rows(engine, select(eff.subquery().c.id), bars, list(removed))
        off = off[off["period"] >= off["village_code"].map(removed)]
        if not off.empty:
            less = off.groupby(["period", "county_code"])[counts].sum()
            frame = frame.set_index(["period", "county_code"])
            frame = frame.sub(less.reindex(frame.index, fill_value=0)).reset_index()
    return frame.fillna(0).astype({c: int for c in counts})


def village_reports(engine: Engine, view: View) -> pd.DataFrame:
    """The village reports of the as-of month (the versions in effect): a village report counts for its own
    month only, so a county late this month has none here — its villages are 未报送, not last month's values.
    Columns: village_code, county_code, period and every indicator of the catalogue (data/indicators.toml)."""
    eff = effective_uploads("village_monthly", view, only="month").subquery()
    V = models.VillageReport
    keys = [i["key"] for i in settings.indicators()]
    cols = [V.village_code, V.county_code, V.period, *(V.__table__.c[k] for k in keys if k in STORED), V.extra]
    with engine.connect() as conn:
        rows = conn.execute(select(*cols).join(eff, eff.c.id == V.upload_id)).all()
    frame = frame_of(rows, columns=[c.key for c in cols])
    extra = frame.pop("extra").map(lambda text: json.loads(text) if isinstance(text, str) and text else {})
    for key in keys:
        if key not in STORED:
            frame[key] = extra.map(lambda d, k=key: d.get(k))
    return frame


def measure_reports(engine: Engine, view: View) -> pd.DataFrame:
    """Every measure report in effect up to as_of, with the time it was uploaded."""
    eff = effective_uploads("measure_progress", view).subquery()
    M = models.MeasureReport
    query = (select(M.period, M.measure_number, M.unit_name, M.status, M.progress, M.this_month, M.problems,
                    M.next_steps, M.reporter, U.uploaded_at)
             .join(eff, eff.c.id == M.upload_id).join(U, U.id == M.upload_id)
             .order_by(M.measure_number, M.period))
    with engine.connect() as conn:
        return frame_of(conn.execute(query).all(), columns=[
            "period", "measure_number", "unit_name", "status", "progress", "this_month", "problems",
            "next_steps", "reporter", "uploaded_at"])


def brand_history(engine: Engine, view: View) -> pd.DataFrame:
    """Every county-brand row in effect up to as_of: county_code, name, status, period."""
    eff = effective_uploads("county_brands", view).subquery()
    B = models.CountyBrand
    with engine.connect() as conn:
        return frame_of(conn.execute(select(B.county_code, B.name, B.status, B.period)
                                         .join(eff, eff.c.id == B.upload_id)).all(),
                            columns=["county_code", "name", "status", "period"])


# --- 催报: the store reads behind dashboard.completeness ------------------------------------------

def first_reports(engine: Engine, period: str, at: datetime) -> dict[tuple[str, str], datetime]:
    """(kind, scope) -> time of the first accepted upload of ``period`` made by ``at`` (local time)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(U.kind, U.scope, func.min(U.uploaded_at))
            .where(U.period == period, U.outcome == "accepted", U.uploaded_at <= at).group_by(U.kind, U.scope)).all()
    return {(kind, scope): months.local(t) for kind, scope, t in rows}


def partial_reports(engine: Engine, period: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(kind, scope) -> (rows, expected rows) of the active versions of ``period`` that are partial."""
    with engine.connect() as conn:
        rows = conn.execute(select(U.kind, U.scope, U.rows, U.expected_rows).where(
            U.period == period, U.active, U.expected_rows.is_not(None), U.rows < U.expected_rows)).all()
    return {(kind, scope): (n, total) for kind, scope, n, total in rows}


def expected_reports(engine: Engine, county: str | None = None, period: str | None = None) -> list:
    """The reports expected for ``period`` (:func:`dashboard.completeness.expected`): every county from the
    regions, every lead unit of the active plan — but a unit that finished every measure it leads (已完成 at
    100 %) before ``period`` is not expected any more."""
    from dashboard.accountability import finished_units
    from dashboard.catalog import active_plan
    from dashboard.completeness import expected

    with engine.connect() as conn:
        counties = conn.execute(select(R.code, R.name).where(R.level == "county").order_by(R.code)).all()
    plan = active_plan(engine)
    measures = plan.measures if plan else []
    done = finished_units(measures, measure_reports(engine, View(period)), months.previous(period)) if period else set()
    return expected(counties, (m["lead_unit"] for m in measures if m["lead_unit"] not in done), county)


def completeness(engine: Engine, period: str, now: datetime | None = None, county: str | None = None
                 ) -> pd.DataFrame:
    """The 催报 list of ``period`` as it stood at ``now`` (default: now): the status of every expected report
    (of ``county`` and the lead units, when a county is given) against the configured deadline.
    The one definition of completeness: the 催报 tab and the overview tile both read it."""
    from dashboard.completeness import classify
    from dashboard.settings import deadline_day

    at = months.local(now) if now else months.now()
    return classify(expected_reports(engine, county, period), first_reports(engine, period, at),
                    months.deadline(period, deadline_day()), at, partial_reports(engine, period))
