"""National-scale store for the page benchmark (issue 10 item 7): ~490,000 villages × 36 months (~17.6 M village
rows) in PostgreSQL, loaded with COPY.

    .venv/bin/python scripts/national.py --db postgresql+psycopg://postgres@127.0.0.1:5432/national [--villages 490000]

The figures are the demo city's rules (:class:`dashboard.demo.DemoBuilder`: each county's pace, late and missing
reports, demo sites, brands, measure reports) on a generated country: a grid of townships (~13 per county, 8–18
villages each), counties of 2,850-odd blocks, 12-digit codes. Rows are generated county by county and streamed to
CSV files on disk (17.6 M rows never sit in memory), then regions, uploads, activations and the facts are
COPY-ed in one transaction after the migrations have made the schema, and the counts the dashboards read are
computed (:func:`dashboard.rollups.fill_all`). Prints the time of each step.
Refuses a store that already holds regions unless ``--replace`` (which empties it first).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard import models, months, rollups  # noqa: E402
from dashboard.catalog import active_plan, ready  # noqa: E402
from dashboard.demo import MONTHS, DemoBuilder  # noqa: E402
from dashboard.demo_geo import FIRST, SECOND, VILLAGE_SECOND, Area, _centroid, walk  # noqa: E402
from dashboard.plan import load_plan_config  # noqa: E402
from dashboard.store import make_engine  # noqa: E402

COLS, STRIP = 200, 4  # township cells across; cells per county column strip
CELL = 0.11  # degrees per township cell
ORIGIN = (97.0, 21.0)
STREAMED = (models.VillageReport, models.DemoSite)  # the big fact tables, written to CSV as they are made


def _unique_names(rng: random.Random, count: int, suffixes: tuple[str, ...], second: str) -> list[str]:
    """``count`` distinct names of three characters and a suffix (two-character stems run out nationally)."""
    stems = [a + b + c for a, b, c in itertools.product(FIRST, second, second) if b != c]
    rng.shuffle(stems)
    return [stem + rng.choice(suffixes) for stem in stems[:count]]


def country(villages: int, seed: int) -> Area:
    """The region tree: rows × COLS township cells (rectangles), counties of STRIP × ~3 cells."""
    rng = random.Random(seed)
    townships = max(1, round(villages / 13))
    rows = max(1, round(townships / COLS))
    root = Area("100000000000", "全国(基准测试)", "city", None, None, ORIGIN[0] + COLS * CELL / 2,
                ORIGIN[1] + rows * CELL / 2)
    blocks = [(c, r) for c in range(0, COLS, STRIP) for r in range(0, rows, 3)]
    names = _unique_names(rng, len(blocks), ("县", "县", "县", "区", "市"), SECOND)
    tnames = iter(_unique_names(rng, COLS * rows, ("镇", "镇", "乡", "街道"), SECOND))
    vnames = _unique_names(rng, 4000, ("村",), VILLAGE_SECOND)
    for k, (c0, r0) in enumerate(blocks):
        code = f"{110001 + k:06d}000000"
        c1, r1 = min(COLS, c0 + STRIP), min(rows, r0 + 3)
        ring = _rect(c0, r0, c1, r1)
        county = Area(code, names[k], "county", root.code, code, *_centroid(ring), ring=ring)
        root.children.append(county)
        for t, (i, j) in enumerate((i, j) for j in range(r0, r1) for i in range(c0, c1)):
            quad = _rect(i, j, i + 1, j + 1)
            tcode = code[:6] + f"{t + 1:03d}000"
            township = Area(tcode, next(tnames), "township", code, code, *_centroid(quad), ring=quad)
            county.children.append(township)
            for n, name in enumerate(rng.sample(vnames, rng.randint(8, 18))):
                lon = quad[0][0] + CELL * rng.uniform(0.08, 0.92)
                lat = quad[0][1] + CELL * rng.uniform(0.08, 0.92)
                township.children.append(Area(tcode[:9] + f"{n + 1:03d}", name, "village", tcode, code, lon, lat))
    return root


def _rect(c0: int, r0: int, c1: int, r1: int) -> list[tuple[float, float]]:
    x0, y0 = ORIGIN
    return [(x0 + c0 * CELL, y0 + r0 * CELL), (x0 + c1 * CELL, y0 + r0 * CELL),
            (x0 + c1 * CELL, y0 + r1 * CELL), (x0 + c0 * CELL, y0 + r1 * CELL)]


class NationalBuilder(DemoBuilder):
    """The demo's rules, county by county, with the big fact tables streamed to CSV files."""

    def __init__(self, city: Area, seed: int, periods: list[str], measures: list[dict], folder: Path):
        super().__init__("city", seed, periods, measures, city=city)
        self.files = {table: (folder / f"{table.__tablename__}.csv").open("w", newline="", encoding="utf-8")
                      for table in STREAMED}
        self.writers = {table: csv.writer(fh) for table, fh in self.files.items()}
        self.columns = {table: [c.key for c in table.__table__.columns if c.key != "id"] for table in STREAMED}
        self.counts = dict.fromkeys(STREAMED, 0)

    def build(self) -> None:
        for county in self.city.children:
            self._demo_sites(county)
            self._village_reports(county)
            self._brand(county)
            self._flush()
        self._measure_reports()
        for fh in self.files.values():
            fh.close()

    def _flush(self) -> None:
        for table in STREAMED:
            columns, writer = self.columns[table], self.writers[table]
            for row in self.rows[table]:
                writer.writerow([_csv(row.get(c)) for c in columns])
            self.counts[table] += len(self.rows[table])
            self.rows[table].clear()


def _csv(value):
    if value is None:
        return ""  # NULL in COPY's csv format (unquoted empty)
    if isinstance(value, bool):
        return "t" if value else "f"
    return value


def _aware(value):
    """The demo's times are Beijing wall-clock times (as the app's UTCDateTime column reads naive ones)."""
    return value.replace(tzinfo=months.zone()) if isinstance(value, datetime) and value.tzinfo is None else value


def _copy(cur, table, columns: list[str], rows) -> int:
    n = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _copy_file(cur, table, columns: list[str], path: Path) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy, path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            copy.write(chunk)


def load(url: str, villages: int, seed: int, replace: bool) -> dict:
    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    engine = make_engine(url)
    if engine.dialect.name != "postgresql":
        raise SystemExit("全国规模只支持 PostgreSQL(--db postgresql+psycopg://…)")
    ready(engine)
    plan = active_plan(engine)
    steps["migrate_s"] = time.perf_counter() - t0
    t = time.perf_counter()
    city = country(villages, seed)
    steps["geography_s"] = time.perf_counter() - t
    folder = Path(tempfile.mkdtemp(prefix="qinglian-national-"))
    t = time.perf_counter()
    builder = NationalBuilder(city, seed, months.since(load_plan_config().start, MONTHS), plan.measures, folder)
    builder.build()
    steps["generate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("SELECT count(*) FROM regions")
        if cur.fetchone()[0]:
            if not replace:
                raise SystemExit("数据库中已有区划数据;要覆盖请加 --replace")
            cur.execute("TRUNCATE regions, uploads, activations, village_reports, demo_sites, measure_reports, "
                        "county_brands, roster_villages, report_rows, frozen_months, village_report_counts, "
                        "ledger_township_counts RESTART IDENTITY CASCADE")
        areas = list(walk(city))
        region_cols = ["code", "name", "level", "parent_code", "county_code", "lon", "lat", "boundary", "is_demo"]
        _copy(cur, "regions", region_cols, ((a.code, a.name, a.level, a.parent, a.county, round(a.lon, 6),
                                            round(a.lat, 6), a.geojson(), True) for a in areas))
        upload_cols = [c.key for c in models.Upload.__table__.columns]
        _copy(cur, "uploads", upload_cols, ([_aware(u.get(c)) for c in upload_cols] for u in builder.rows[models.Upload]))
        cur.execute("SELECT setval(pg_get_serial_sequence('uploads', 'id'), (SELECT max(id) FROM uploads))")
        act_cols = ["upload_id", "kind", "period", "scope", "activated_at", "action", "first", "ended_at"]
        _copy(cur, "activations", act_cols, ([_aware(a[c]) for c in act_cols] for a in builder.activations()))
        for table in (models.MeasureReport, models.CountyBrand):
            cols = [c.key for c in table.__table__.columns if c.key != "id"]
            _copy(cur, table.__tablename__, cols, ([r.get(c) for c in cols] for r in builder.rows[table]))
        steps["copy_small_s"] = time.perf_counter() - t
        for table in STREAMED:
            t = time.perf_counter()
            _copy_file(cur, table.__tablename__, builder.columns[table], folder / f"{table.__tablename__}.csv")
            steps[f"copy_{table.__tablename__}_s"] = time.perf_counter() - t
        raw.commit()
        t = time.perf_counter()
        with engine.begin() as conn:  # the counts the dashboards read (kept at commit by intake)
            rollups.fill_all(conn)
        steps["rollups_s"] = time.perf_counter() - t
        t = time.perf_counter()
        raw.driver_connection.autocommit = True
        raw.driver_connection.execute("VACUUM ANALYZE")
        steps["analyze_s"] = time.perf_counter() - t
    finally:
        raw.close()
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    counts = {"counties": len(city.children), "townships": sum(len(c.children) for c in city.children),
              "villages": sum(len(t.children) for c in city.children for t in c.children),
              "uploads": len(builder.rows[models.Upload]),
              **{t.__tablename__: n for t, n in builder.counts.items()}}
    return {"counts": counts, "seconds": {k: round(v, 1) for k, v in steps.items()},
            "total_s": round(time.perf_counter() - t0, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description="全国规模基准数据 / national-scale benchmark store")
    parser.add_argument("--db", required=True, help="PostgreSQL URL")
    parser.add_argument("--villages", type=int, default=490_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--replace", action="store_true")
    args = parser.parse_args()
    print(json.dumps(load(args.db, args.villages, args.seed, args.replace), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
