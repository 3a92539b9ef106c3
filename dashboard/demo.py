"""Deterministic demo data: a fictional city with 36 months of uploads and realistic variety.

Counties run at different paces (some ahead of the 40 %/70 % milestones, some behind), some lead
units skip months and some counties are late for the latest month, so that every lamp colour and
every gap list has something to show. Every row is marked as demo (regions.is_demo, uploads.is_demo).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from dashboard import models, months, rollups
from dashboard.accounts import Account
from dashboard.catalog import active_plan, ensure_default_plan
from dashboard.demo_geo import Area, build_city, walk
from dashboard.plan import load_plan_config
from loaders.schema import KIND_LABELS

MONTHS = 36
DEMO_USER = "演示数据"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁宋郑谢韦覃蒙莫"
GIVEN = "建华明军丽芳敏强伟静磊洋艳勇杰娟涛超霞平刚桂英秀兰"
THEMES = ("清风村务", "廉洁家风", "阳光三务", "法治明白", "清廉屯组", "红色清风", "德润乡风")
PROGRESS_TEXT = ("召开专题部署会", "完成阶段性督导检查", "开展集中宣传活动", "组织业务培训", "推进示范点创建")
PROBLEM_TEXT = ("部分村进度偏慢", "经费保障不足", "基层人员力量薄弱", "")
NEXT_TEXT = ("加强督促指导", "开展交叉检查", "总结推广经验做法", "召开推进会")
# Lead units that miss reports, so the accountability lamps show yellow and red.
SKIPPING_UNITS = {"市生态环境局": 2, "市委宣传部": 1}


@dataclass
class Counter:
    """Hands out upload ids so fact rows can reference uploads in one bulk insert."""

    next_id: int = 1

    def take(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def _curve(m: int) -> float:
    """Share of townships with a built demo site at month index ``m`` for a county on plan pace."""
    points = [(-1, 0.0), (11, 0.45), (23, 0.76), (35, 0.93)]
    for (m0, v0), (m1, v1) in zip(points, points[1:]):
        if m <= m1:
            return v0 + (v1 - v0) * (m - m0) / (m1 - m0)
    return points[-1][1]


def _uploaded_at(rng: random.Random, period: str, late: bool = False) -> datetime:
    year, month = int(period[:4]), int(period[5:7])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    day = rng.randint(6, 12) if late else rng.randint(1, 5)
    return datetime(year, month, day, rng.randint(8, 17), rng.randint(0, 59))


class DemoBuilder:
    """Collects regions, uploads and fact rows in memory, then writes them in one transaction."""

    def __init__(self, scale: str, seed: int, months: list[str], plan_measures: list[dict], city: Area | None = None):
        self.rng = random.Random(seed)
        self.city = city or build_city(scale, seed)  # ``city``: a region tree built elsewhere (scripts/national.py)
        self.months = months
        self.measures = [m for m in plan_measures if m["lead_unit"]]
        self.ids = Counter()
        self.rows: dict[type, list[dict]] = {t: [] for t in (
            models.Upload, models.DemoSite, models.VillageReport,
            models.MeasureReport, models.CountyBrand)}
        counties = self.city.children
        paces = [1.3, 1.12, 1.0, 0.92, 0.82, 0.68, 0.55]
        self.rng.shuffle(paces)
        self.pace = {
            c.code: paces[k] if len(counties) <= len(paces) else self.rng.uniform(0.5, 1.3)
            for k, c in enumerate(counties)
        }
        late = self.rng.sample([c.code for c in counties], k=max(1, len(counties) // 4))
        self.missing_last_month = set(late)

    def upload(self, kind: str, period: str, scope: str, rows: int, late: bool = False) -> int:
        uid = self.ids.take()
        self.rows[models.Upload].append({
            "id": uid, "kind": kind, "period": period, "scope": scope,
            "file_name": f"演示_{KIND_LABELS[kind]}_{period}.xlsx",
            "sha256": hashlib.sha256(f"{kind}{period}{scope}".encode()).hexdigest(),
            "content": None, "uploaded_by": DEMO_USER,
            "uploaded_at": _uploaded_at(self.rng, period, late), "rows": rows, "errors": 0,
            "warnings": 0, "outcome": "accepted", "message": "演示数据", "active": True,
            "superseded_at": None, "is_demo": True,
        })
        return uid

    def activations(self) -> list[dict]:
        """Every demo upload was committed once, when it was uploaded."""
        return [{"upload_id": u["id"], "kind": u["kind"], "period": u["period"], "scope": u["scope"],
                 "activated_at": u["uploaded_at"], "action": "commit", "first": True, "ended_at": None}
                for u in sorted(self.rows[models.Upload], key=lambda u: (u["uploaded_at"], u["id"]))]

    def build(self) -> None:
        for county in self.city.children:
            self._demo_sites(county)
            self._village_reports(county)
            self._brand(county)
        self._measure_reports()

    def _skip(self, county: Area, m: int) -> bool:
        return m == len(self.months) - 1 and county.code in self.missing_last_month

    def _demo_sites(self, county: Area) -> None:
        pace = self.pace[county.code]
        sites = []  # (village, level, brand, month built or None, month planned)
        for township in county.children:
            u = self.rng.random()
            built = next((m for m in range(len(self.months)) if min(0.98, pace * _curve(m)) >= u), None)
            if built is None and u > min(0.98, pace * _curve(len(self.months) - 1)) + 0.15:
                continue
            planned = max(0, built - 4) if built is not None else len(self.months) - 6
            for village in self.rng.sample(township.children, k=1 if self.rng.random() < 0.8 else 2):
                brand = f"{village.name[:2]}“{self.rng.choice(THEMES)}”"
                level = "市级" if self.rng.random() < 0.25 else "县级"
                sites.append((village, level, brand, built, planned))
        for m, period in enumerate(self.months):
            if self._skip(county, m) and county.code in sorted(self.missing_last_month)[:1]:
                continue
            rows = [self._site_row(period, m, *site) for site in sites if site[4] <= m]
            uid = self.upload("demo_sites", period, county.code, len(rows))
            for row in rows:
                row["upload_id"] = uid
            self.rows[models.DemoSite].extend(rows)

    def _site_row(self, period, m, village, level, brand, built, planned) -> dict:
        if built is not None and m >= built + 4:
            status, accepted = "已验收命名", date(int(self.months[built + 4][:4]), int(self.months[built + 4][5:]), 15)
        elif built is not None and m >= built:
            status, accepted = "已建成", None
        else:
            status, accepted = ("创建中" if m >= planned + 2 else "计划创建"), None
        year = int(self.months[built][:4]) if built is not None else int(self.months[-1][:4])
        return {"period": period, "village_code": village.code, "level": level, "status": status,
                "year": year, "brand": brand, "accepted_on": accepted}

    def _village_reports(self, county: Area) -> None:
        pace, rng = self.pace[county.code], self.rng
        plans = []
        for township in county.children:
            for v in township.children:
                plans.append((v, rng.randint(0, 2), int(rng.gauss(24 / pace, 7)),
                              int(rng.gauss(18 / pace, 7)), int(rng.gauss(15 / pace, 6)),
                              int(rng.gauss(6, 5)), rng.random() < 0.2))
        for m, period in enumerate(self.months):
            if self._skip(county, m):
                continue
            uid = self.upload("village_monthly", period, county.code, len(plans),
                              late=rng.random() < 0.1)
            for v, start, reach3, mpl, dm, sc, extra in plans:
                share = 1.0 if reach3 <= 0 else min(1.0, max(0.0, m / reach3))
                legal = start + int((3 - start) * share) + (1 if extra and m > reach3 else 0)
                found = (rng.random() < 0.12) + (rng.random() < 0.03)
                handled = min(found, (rng.random() < 0.8) + (found > 1))
                received = rng.choice((0, 0, 0, 1, 1, 2, 3))
                self.rows[models.VillageReport].append({
                    "upload_id": uid, "period": period, "village_code": v.code,
                    "county_code": county.code, "legal_persons": legal,
                    "micro_power_list": m >= mpl, "discipline_member": m >= dm,
                    "affairs_disclosed": rng.random() < 0.9 + 0.05 * min(pace, 1.2),
                    "supervision_committee": m >= sc, "clues_found": found,
                    "clues_handled": handled, "clues_exposed": handled if rng.random() < 0.5 else 0,
                    "disputes_received": received,
                    "disputes_resolved": received - (rng.random() < 0.2 and received > 0),
                    "extra": None,
                })

    def _brand(self, county: Area) -> None:
        pace = self.pace[county.code]
        name = f"“{county.name[:2]}{self.rng.choice(THEMES)}”品牌"
        start, formed = int(6 / pace), int(20 / pace)
        for m in (start, formed):
            if m >= len(self.months):
                continue
            status = "已形成" if m == formed else "培育中"
            uid = self.upload("county_brands", self.months[m], county.code, 1)
            self.rows[models.CountyBrand].append({
                "upload_id": uid, "period": self.months[m], "county_code": county.code,
                "name": name, "description": f"{county.name}打造{name},推动清廉乡村建设特色化。",
                "status": status,
            })

    def _measure_reports(self) -> None:
        rng, n = self.rng, len(self.months)
        by_unit: dict[str, list[dict]] = {}
        for measure in self.measures:
            by_unit.setdefault(measure["lead_unit"], []).append(measure)
        # most measures near the straight path, a few clearly behind
        speed = {m["number"]: rng.uniform(0.6, 0.78) if rng.random() < 0.25 else rng.uniform(0.9, 1.15)
                 for m in self.measures}
        for unit, measures in by_unit.items():
            reporter = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            skip_from = n - SKIPPING_UNITS.get(unit, 0)
            for m, period in enumerate(self.months):
                if m >= skip_from or (unit == "市司法局" and m == n - 8):
                    continue
                uid = self.upload("measure_progress", period, unit, len(measures),
                                  late=rng.random() < 0.08)
                for measure in measures:
                    expected = 100 * (m + 1) / n
                    progress = min(100.0, round(expected * speed[measure["number"]] + rng.uniform(-3, 3), 1))
                    progress = max(0.0, progress)
                    status = ("已完成" if progress >= 100 else "滞后" if progress < expected - 10
                              else "未启动" if progress == 0 else "推进中")
                    self.rows[models.MeasureReport].append({
                        "upload_id": uid, "period": period, "measure_number": measure["number"],
                        "unit_name": unit, "status": status, "progress": progress,
                        "this_month": f"{rng.choice(PROGRESS_TEXT)},{measure['title']}工作稳步推进。",
                        "problems": rng.choice(PROBLEM_TEXT) or None,
                        "next_steps": rng.choice(NEXT_TEXT), "reporter": reporter,
                    })


def region_rows(city: Area) -> list[dict]:
    """Rows of the regions table for the whole tree, parents before children."""
    return [
        {"code": a.code, "name": a.name, "level": a.level, "parent_code": a.parent,
         "county_code": a.county, "lon": round(a.lon, 6), "lat": round(a.lat, 6), "boundary": a.geojson(),
         "is_demo": True}
        for a in walk(city)
    ]


FACT_TABLES = (models.DemoSite, models.VillageReport, models.MeasureReport, models.CountyBrand)
# rows of uploads the demo never makes itself (roster versions, kinds without a table, the counts kept at commit)
UPLOAD_ROWS = (*FACT_TABLES, models.RosterVillage, models.ReportRow, models.VillageCount, models.LedgerCount,
               models.BoundaryRow)


def _shift_upload_ids(rows: dict[type, list[dict]], offset: int) -> None:
    """Move the pre-assigned upload ids past ``offset`` (uploads already in the store)."""
    if not offset:
        return
    for row in rows[models.Upload]:
        row["id"] += offset
    for table in FACT_TABLES:
        for row in rows[table]:
            row["upload_id"] += offset


def seed_demo(engine: Engine, scale: str = "city", seed: int = 42, replace: bool = False) -> dict:
    """Write the demo city into the store in one transaction; returns counts of what was written.

    Refuses (ValueError, Chinese message) when the store already holds regions and ``replace`` is off.
    """
    ensure_default_plan(engine)
    plan = active_plan(engine)
    start = load_plan_config().start
    builder = DemoBuilder(scale, seed, months.since(start, MONTHS), plan.measures)
    builder.build()
    with Session(engine) as session, session.begin():
        if session.scalar(select(models.Region.code).limit(1)) is not None:
            if not replace:
                raise ValueError("数据库中已有区划数据,未写入演示数据。如需覆盖,请加 --replace 参数。")
            for table in (*UPLOAD_ROWS, models.Activation, models.Upload, models.FrozenMonth):
                session.execute(delete(table))
            session.execute(delete(models.Region).where(models.Region.level == "village"))
            for level in ("township", "county", "city"):
                session.execute(delete(models.Region).where(models.Region.level == level))
        conn = session.connection()
        _shift_upload_ids(builder.rows, session.scalar(select(func.max(models.Upload.id))) or 0)
        regions = region_rows(builder.city)
        for start_at in range(0, len(regions), 5000):
            conn.execute(insert(models.Region), regions[start_at:start_at + 5000])
        for table, rows in builder.rows.items():
            for start_at in range(0, len(rows), 20000):
                conn.execute(insert(table), rows[start_at:start_at + 20000])
        rollups.fill(conn, [row["id"] for row in builder.rows[models.Upload]])
        events = builder.activations()
        for start_at in range(0, len(events), 20000):
            conn.execute(insert(models.Activation), events[start_at:start_at + 20000])
        if engine.dialect.name == "postgresql":
            conn.execute(text(
                "SELECT setval(pg_get_serial_sequence('uploads', 'id'), (SELECT max(id) FROM uploads))"))
    if engine.dialect.name in ("sqlite", "postgresql"):
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    counts = {"regions": len(regions)}
    counts.update({t.__tablename__: len(r) for t, r in builder.rows.items()})
    return counts


def remove_demo(engine: Engine, who: Account) -> dict:
    """Delete every demo row — demo uploads with their rows, and the demo regions — and nothing else (管理员 only).

    One transaction. Refuses (ValueError, Chinese) when a city's own data still refers to a demo region
    (a report about a demo village, or a roster placed under a demo county): deleting would orphan it.
    Counties of the city's own roster hang under the city node; if that is the demo city, it stays, renamed
    to the neutral 本市 and no longer marked demo.
    """
    from dashboard.scope import require

    require(who, "demo")
    R, U = models.Region, models.Upload
    demo_uploads = select(U.id).where(U.is_demo)
    demo_regions = select(R.code).where(R.is_demo)
    with Session(engine) as session, session.begin():
        own = 0
        for table in UPLOAD_ROWS:
            refs = [table.__table__.c[c].in_(demo_regions) for c in ("village_code", "county_code")
                    if c in table.__table__.c]
            if refs:
                own += session.scalar(select(func.count()).select_from(table).where(
                    table.upload_id.not_in(demo_uploads), or_(*refs))) or 0
        own += session.scalar(select(func.count()).select_from(R).where(
            R.is_demo.is_(False), R.level != "county", R.parent_code.in_(demo_regions))) or 0
        if own:
            raise ValueError(f"本市自己上报的数据中有 {own} 行引用了演示区划(演示的县、乡镇或村),删除演示数据会使其失去对应。"
                             "请先上报本市的村级名录并按本市区划重新上报这些数据,再删除演示数据。")
        kept_city = select(R.parent_code).where(R.level == "county", R.is_demo.is_(False))
        session.execute(update(R).where(R.level == "city", R.is_demo, R.code.in_(kept_city))
                        .values(is_demo=False, name="本市"))
        counts = {}
        for table in UPLOAD_ROWS:
            counts[table.__tablename__] = session.execute(
                delete(table).where(table.upload_id.in_(demo_uploads))).rowcount
        session.execute(delete(models.Activation).where(models.Activation.upload_id.in_(demo_uploads)))
        counts["uploads"] = session.execute(delete(U).where(U.is_demo)).rowcount
        # a month frozen on demo figures is demo data too; the city's own frozen months stay
        counts["frozen_months"] = session.execute(delete(models.FrozenMonth).where(models.FrozenMonth.is_demo)).rowcount
        counts["regions"] = 0
        for level in ("village", "township", "county", "city"):
            counts["regions"] += session.execute(delete(R).where(R.is_demo, R.level == level)).rowcount
    return counts
