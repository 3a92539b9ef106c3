"""Pre-filled templates from the store — the one template service behind the upload page's download button
and the ``qinglian template`` sub-command (the .xlsx itself is drawn by :mod:`loaders.template`).

A template for period P carries what staff would otherwise retype: the county's roster villages,
for 村级指标月报 the latest values reported up to P, for the snapshot kinds (示范点台账, 县级特色品牌) the
latest ledger as of P, for 措施推进月报 the unit's measures with their latest status and progress.
"Latest up to P" is P itself when P already has a version in effect: a correction template starts from what
is to be corrected, not from the month before.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from loaders.schema import KIND_LABELS, KINDS

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from dashboard.accounts import Account
    from loaders.villages import Village

# The store modules are imported inside the functions, as in dashboard/cli.py: registering the
# sub-command must not slow down every other ``qinglian`` command.
COUNTY_KINDS = tuple(key for key, kind in KINDS.items() if kind.scope == "county")
ROSTER_MARKS = ("change", "change_month", "merged_into")


def template_rows(engine: Engine, kind_key: str, period: str, scope: str | None, *,
                  who: Account) -> tuple[list[dict], str | None]:
    """Rows keyed by column key, and the scope's name (county or unit; None for the whole city).

    ``scope`` is a county code for the county kinds and a unit name for 措施推进月报. A county's or unit's staff
    get their own county's or unit's template whatever ``scope`` says (another raises ScopeError).
    """
    from dashboard import facts, intake, queries
    from dashboard.scope import template_scope

    scope = template_scope(who, kind_key, scope)

    if kind_key == "measure_progress":
        return _measure_rows(engine, period, scope), scope
    if KINDS[kind_key].scope == "unit":  # a kind added by its schema and loader only: a blank sheet
        return [], scope
    counties = queries.counties(engine)
    if scope is not None and scope not in counties:
        raise ValueError(f"未知的县(市、区)代码「{scope}」")
    chosen = [scope] if scope else list(counties)
    label = counties[scope] if scope else None
    if kind_key == "county_brands":
        return _brand_rows(engine, period, chosen, counties), label
    villages = sorted((v for v in intake.village_index(engine).villages if v.county_code in chosen),
                      key=lambda v: v.code)
    if kind_key == "roster":  # the 撤并 marks are carried: a re-uploaded template must not undo a merger
        marks: dict[tuple, dict] = {}
        for county in chosen:
            marks |= intake.active_records(engine, "roster", period, county)
        return [{**_identity(v), "lon": v.lon, "lat": v.lat, "crs": "WGS-84",
                 **{k: marks.get((v.code,), {}).get(k) for k in ROSTER_MARKS}} for v in villages], label
    if kind_key == "demo_sites":
        by_code = {v.code: v for v in villages}
        return _ledger_rows(engine, period, chosen, by_code), label
    if kind_key == "village_monthly":  # villages 撤销/合并 by ``period`` no longer report
        gone = facts.removed_villages(engine, period)
        return _monthly_rows(engine, period, chosen, [v for v in villages if v.code not in gone]), label
    return _generic_rows(engine, kind_key, period, chosen, counties, villages), label


def _generic_rows(engine: Engine, kind_key: str, period: str, counties: list[str], names: dict[str, str],
                  villages: list[Village]) -> list[dict]:
    """The template of a kind added by its schema and loader only: one row per village on the roster (or per
    county, for a kind without a village column), a register (snapshot kind) prefilled with its latest rows."""
    from dashboard import facts, intake

    kind = KINDS[kind_key]
    columns = {c.key for c in kind.columns}
    latest: dict[str, dict] = {}
    if kind.snapshot:
        for county in counties:
            for record in intake.active_records(engine, kind_key, period, county).values():
                latest[record.get("village_code") or record.get("county_code")] = record
    if "village" not in columns:
        return [{**{k: v for k, v in latest.get(code, {}).items() if k in columns}, "county": names[code]}
                for code in counties]
    gone = facts.removed_villages(engine, period)
    return [{**{k: x for k, x in latest.get(v.code, {}).items() if k in columns}, **_identity(v)}
            for v in villages if v.code not in gone]


def _identity(v: Village) -> dict:
    return {"county": v.county, "township": v.township, "village": v.name, "code": v.code}


def _latest_period(engine: Engine, kind: str, period: str, scope: str) -> str | None:
    """The period of ``scope``'s latest active upload of ``kind`` at or before ``period``."""
    from sqlalchemy import select

    from dashboard import models

    U = models.Upload
    with engine.connect() as conn:
        return conn.scalar(select(U.period).where(U.kind == kind, U.scope == scope, U.active, U.period <= period)
                           .order_by(U.period.desc()).limit(1))


def _snapshot(engine: Engine, kind: str, period: str, scope: str) -> list[dict]:
    from dashboard import intake

    latest = _latest_period(engine, kind, period, scope)
    return list(intake.active_records(engine, kind, latest, scope).values()) if latest else []


def _ledger_rows(engine: Engine, period: str, counties: list[str], villages: dict[str, Village]) -> list[dict]:
    rows = []
    for county in counties:
        for rec in _snapshot(engine, "demo_sites", period, county):
            village = villages.get(rec["village_code"])
            if village is not None:
                rows.append({**_identity(village), **{k: rec[k] for k in
                             ("level", "status", "year", "brand", "accepted_on")}})
    return sorted(rows, key=lambda r: r["code"])


def _monthly_rows(engine: Engine, period: str, counties: list[str], villages: list[Village]) -> list[dict]:
    """Every village with its latest values reported up to ``period`` — ``period``'s own when it has a version
    (a correction), else the last month reported (blank where never reported)."""
    from dashboard import intake

    last: dict[str, dict] = {}
    for county in counties:
        latest = _latest_period(engine, "village_monthly", period, county)
        if latest is None:
            continue
        for (code,), rec in intake.active_records(engine, "village_monthly", latest, county).items():
            last[code] = {**json.loads(rec.get("extra") or "{}"), **rec}
    skip = {"village_code", "county_code", "extra"}
    return [{**{k: v for k, v in last.get(v.code, {}).items() if k not in skip}, **_identity(v)}
            for v in villages]


def _brand_rows(engine: Engine, period: str, counties: list[str], names: dict[str, str]) -> list[dict]:
    rows = []
    for county in counties:
        brands = _snapshot(engine, "county_brands", period, county)
        brand = brands[0] if brands else {}
        rows.append({"county": names[county], "name": brand.get("name"),
                     "description": brand.get("description"), "status": brand.get("status")})
    return rows


def _measure_rows(engine: Engine, period: str, unit: str | None) -> list[dict]:
    """The unit's measures (those it leads, else those it co-owns) with their latest status/progress up to
    ``period`` (``period``'s own when it was reported: a correction)."""
    from dashboard import intake
    from dashboard.catalog import active_plan

    plan = active_plan(engine)
    measures = plan.measures if plan else []
    if unit is None:
        pairs = [(m, m["lead_unit"]) for m in measures if m["lead_unit"]]
    else:
        mine = [m for m in measures if m["lead_unit"] == unit] or [m for m in measures if unit in m["co_units"]]
        pairs = [(m, unit) for m in mine]
    last: dict[tuple, dict] = {}
    for name in {u for _, u in pairs}:
        latest = _latest_period(engine, "measure_progress", period, name)
        if latest is not None:
            last |= {key: {**rec, "_own": latest == period}
                     for key, rec in intake.active_records(engine, "measure_progress", latest, name).items()}
    rows = []
    for measure, name in pairs:
        rec = last.get((measure["number"], name), {})
        # the month's texts belong to their month: carried only into a correction of that same month
        texts = ("this_month", "problems", "next_steps") if rec.get("_own") else ()
        rows.append({"measure_number": measure["number"], "measure_title": measure["title"], "unit_name": name,
                     "status": rec.get("status"), "progress": rec.get("progress"), "reporter": rec.get("reporter"),
                     **{k: rec.get(k) for k in texts}})
    return rows


def store_and_scope(args):
    """(engine, scope) for a CLI call with --county/--unit, or (None, Chinese message) for an unknown county."""
    from dashboard import intake
    from dashboard.catalog import ready
    from dashboard.store import make_engine

    engine = make_engine(args.db)
    ready(engine)
    if not args.county:
        return engine, args.unit
    scope = intake.county_code(engine, args.county)
    if scope is None:
        return None, f"未找到县(市、区)「{args.county}」,请核对县名或先上报村级名录。"
    return engine, scope


def template_file(engine: Engine, kind_key: str, period: str, scope: str | None, *,
                  who: Account) -> tuple[bytes, str, int]:
    """The pre-filled template as the page and the CLI hand it out: (xlsx bytes, file name, prefilled rows)."""
    from dashboard import queries
    from loaders.template import build_template

    rows, label = template_rows(engine, kind_key, period, scope, who=who)
    data = build_template(KINDS[kind_key], period, rows, label, queries.city_name(engine))
    return data, f"{KIND_LABELS[kind_key]}_{period}{'_' + label if label else ''}.xlsx", len(rows)


def plan_units(engine: Engine) -> set[str]:
    """Every unit named as lead or co-unit of a measure of the active plan."""
    from dashboard.catalog import active_plan

    plan = active_plan(engine)
    return {u for m in (plan.measures if plan else []) for u in [m["lead_unit"], *m["co_units"]] if u}


def _fail(message: str, code: int = 2) -> int:
    sys.stderr.write(message + "\n")
    return code


def cmd_template(args) -> int:
    """Write a pre-filled template; exit 2 on an unknown period, county, unit or an unwritable file."""
    from loaders.cells import parse_period
    from loaders.errors import CellError

    try:
        period = parse_period(args.period)
    except CellError as exc:
        return _fail(f"报送期「{args.period}」有误:{exc}。")
    if args.kind == "measure_progress" and args.county:
        return _fail("措施推进月报按责任单位填报,请用 --unit 指定单位,不要用 --county。")
    if args.kind in COUNTY_KINDS and args.unit:
        return _fail(f"{KIND_LABELS[args.kind]}按县(市、区)填报,请用 --county 指定县,不要用 --unit。")
    engine, scope = store_and_scope(args)
    if engine is None:
        return _fail(scope)
    if args.unit and args.unit not in plan_units(engine):
        return _fail(f"未找到责任单位「{args.unit}」:实施方案中没有以它为牵头或配合单位的措施。请核对单位名称。")
    from dashboard.scope import command_line

    data, name, count = template_file(engine, args.kind, period, scope, who=command_line())
    path = Path(args.output or name)
    try:
        path.write_bytes(data)
    except OSError:
        return _fail(f"无法写入文件「{path}」:目录不存在或没有写入权限。")
    print(f"已生成模板:{path}({count} 行预填)")
    return 0


def _kind_key(text: str) -> str:
    """A kind given by its key or its Chinese name (村级指标月报)."""
    return next((key for key, label in KIND_LABELS.items() if text == label), text)


def add_template_parser(subparsers) -> None:
    """Register ``template KIND --period YYYY-MM [--county NAME] [--unit NAME] [-o FILE]``."""
    names = "、".join(f"{k}({v})" for k, v in KIND_LABELS.items())
    tpl = subparsers.add_parser("template", help="生成预填好的报表模板(.xlsx)")
    tpl.add_argument("kind", type=_kind_key, choices=tuple(KIND_LABELS), metavar="KIND",
                     help=f"报表类型:{names}")
    tpl.add_argument("--period", required=True, help="报送期,YYYY-MM")
    tpl.add_argument("--county", help="所属县(市、区)名称;不填则包含全市")
    tpl.add_argument("--unit", help="填报单位(措施推进月报);不填则列出全部措施及其牵头单位")
    tpl.add_argument("-o", "--output", help="输出文件(默认:报表名_报送期_范围.xlsx)")
    tpl.set_defaults(func=cmd_template)
