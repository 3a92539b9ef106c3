"""The demo city: deterministic, plausible, geometrically consistent, with variety to show."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd
import pytest
from sqlalchemy import func, select

from dashboard import models, queries
from dashboard.demo import seed_demo
from dashboard.demo_geo import build_city, point_in_ring, walk
from tests.intake_fixtures import covered_townships_sql


def _digest(city) -> str:
    rows = [(a.code, a.name, round(a.lon, 6), round(a.lat, 6)) for a in walk(city)]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def test_geography_is_deterministic_and_seed_dependent():
    assert _digest(build_city("city", 42)) == _digest(build_city("city", 42))
    assert _digest(build_city("city", 42)) != _digest(build_city("city", 7))


def test_city_scale_sizes_and_codes():
    areas = list(walk(build_city("city", 42)))
    levels = [a.level for a in areas]
    assert levels.count("county") == 7
    assert levels.count("township") == 100
    assert 1200 <= levels.count("village") <= 1400
    assert all(re.fullmatch(r"\d{12}", a.code) for a in areas)
    assert len({a.code for a in areas}) == len(areas)


def test_names_are_chinese_and_unique_within_parent():
    city = build_city("city", 42)
    assert all(c.name[-1] in "县区市" for c in city.children)
    for county in city.children:
        assert len({t.name for t in county.children}) == len(county.children)
        for township in county.children:
            assert township.name.endswith(("镇", "乡", "街道"))
            names = [v.name for v in township.children]
            assert len(set(names)) == len(names)
            assert all(n.endswith(("村", "社区")) for n in names)


def test_every_village_lies_inside_its_township_and_township_inside_county():
    city = build_city("city", 42)
    for county in city.children:
        for township in county.children:
            assert point_in_ring(township.lon, township.lat, county.ring)
            for village in township.children:
                assert point_in_ring(village.lon, village.lat, township.ring), village.name
    assert 105 < city.lon < 112 and 21 < city.lat < 26  # a plausible region of southern China


def test_province_scale_sizes():
    areas = list(walk(build_city("province", 1)))
    levels = [a.level for a in areas]
    assert 100 <= levels.count("county") <= 120
    assert 1150 <= levels.count("township") <= 1350
    assert 13500 <= levels.count("village") <= 16500


def test_demo_months_span_the_plan_period():
    from dashboard import months
    from dashboard.demo import MONTHS

    periods = months.since("2023-01-01", MONTHS)
    assert periods[0] == "2023-01" and periods[11] == "2023-12" and periods[-1] == "2025-12"
    assert len(periods) == 36


def test_demo_store_has_variety_for_every_lamp(demo_store):
    towns = queries.townships(demo_store)

    def coverage(period: str) -> pd.Series:
        covered = towns["township_code"].isin(covered_townships_sql(demo_store, period))
        return 100 * covered.groupby(towns["county_code"]).mean()

    at_2024 = coverage("2024-12")
    assert (at_2024 >= 70).any() and (at_2024 < 70).any()
    assert (coverage("2023-12") < 40).any()  # a milestone missed somewhere
    with demo_store.connect() as conn:
        U = models.Upload
        village_scopes = conn.execute(
            select(U.period, func.count()).where(U.kind == "village_monthly").group_by(U.period)
        ).all()
        per_month = dict(village_scopes)
        assert per_month["2025-11"] == 7 and per_month["2025-12"] < 7  # some counties late
        units_last = set(conn.scalars(select(U.scope).where(U.kind == "measure_progress", U.period == "2025-12")))
        units_before = set(conn.scalars(select(U.scope).where(U.kind == "measure_progress", U.period == "2025-09")))
        assert "市生态环境局" in units_before - units_last  # a lead unit that stopped reporting
        assert conn.scalar(select(func.count()).select_from(models.Upload).where(~U.is_demo)) == 0
        statuses = set(conn.scalars(select(models.DemoSite.status).distinct()))
        assert statuses == {"计划创建", "创建中", "已建成", "已验收命名"}
        brands = set(conn.scalars(select(models.CountyBrand.status).distinct()))
        assert brands == {"培育中", "已形成"}


def test_demo_refuses_a_non_empty_store_without_replace(sqlite_url):
    from dashboard.store import make_engine, upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    first = seed_demo(engine)
    with pytest.raises(ValueError, match="数据库中已有区划数据"):
        seed_demo(engine)
    again = seed_demo(engine, replace=True)
    assert again == first
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(models.Region)) == first["regions"]


def test_demo_seeds_postgresql_too(pg_url):
    from dashboard.store import make_engine, upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    counts = seed_demo(engine)
    assert queries.region_counts(engine) == {"county": 7, "township": 100, "village": counts["regions"] - 108}
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(models.VillageReport)) == counts["village_reports"]
    # ids keep counting after the demo's explicit upload ids
    from datetime import datetime

    from sqlalchemy.orm import Session

    with Session(engine) as session, session.begin():
        row = models.Upload(kind="roster", period="2026-01", scope="city", file_name="a.xlsx", sha256="0" * 64,
                            uploaded_by="测试", uploaded_at=datetime.now(), outcome="refused")
        session.add(row)
        session.flush()
        assert row.id == counts["uploads"] + 1
    engine.dispose()
