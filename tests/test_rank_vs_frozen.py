"""The overview's rank change against the latest frozen 通报: the pure comparison on hand-made tables, and the
page after freezing months of a copy of the demo city, with the ranks worked out in SQL."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboard import freeze
from dashboard.targets import rank_vs
from tests.apptest import ADMIN, app
from tests.test_overview import LATEST_LEDGER


def _ranking(rows: list[tuple[str, str]]) -> pd.DataFrame:
    """A ranking as targets.ranking gives it (名次 as text, 较上月 before the share of townships covered)."""
    return pd.DataFrame({"名次": [r for r, _ in rows], "县(市、区)": [c for _, c in rows],
                         "覆盖率(%)": ["50"] * len(rows), "较上月": ["—"] * len(rows),
                         "已覆盖/乡镇数": ["1/2"] * len(rows)})


def test_places_gained_and_lost_by_county_name():
    now = _ranking([("1", "甲县"), ("2", "乙县"), ("2", "丙县"), ("4", "丁县"), ("—", "戊县"), ("5", "新县")])
    before = _ranking([("1", "乙县"), ("2", "丁县"), ("3", "甲县"), ("4", "丙县"), ("5", "戊县")])
    out = rank_vs(now, before, "较2025年10月通报")
    assert list(out.columns) == ["名次", "县(市、区)", "覆盖率(%)", "较上月", "较2025年10月通报", "已覆盖/乡镇数"]
    assert dict(zip(out["县(市、区)"], out["较2025年10月通报"])) == {
        "甲县": "↑2",  # 3 -> 1
        "乙县": "↓1",  # 1 -> 2
        "丙县": "↑2",  # 4 -> 2 (tied)
        "丁县": "↓2",  # 2 -> 4
        "戊县": "—",  # 未报送 now: no rank to compare
        "新县": "—",  # not in the 通报
    }
    assert list(now.columns) == ["名次", "县(市、区)", "覆盖率(%)", "较上月", "已覆盖/乡镇数"]  # input untouched


def test_an_unranked_county_in_the_report_shows_no_change():
    out = rank_vs(_ranking([("1", "甲县"), ("2", "乙县")]), _ranking([("—", "甲县"), ("1", "乙县")]), "较通报")
    assert list(out["较通报"]) == ["—", "↓1"]


# --- the page ---------------------------------------------------------------------------------------

def _ranks(conn, period: str) -> dict[str, int]:
    """County name -> rank by township coverage (1 = best; ties share the better rank), straight from SQL."""
    covered = dict(conn.execute(text(LATEST_LEDGER), {"p": period}).all())
    totals = dict(conn.execute(text("SELECT county_code, COUNT(*) FROM regions WHERE level = 'township' "
                                    "GROUP BY county_code")).all())
    names = dict(conn.execute(text("SELECT code, name FROM regions WHERE level = 'county'")).all())
    share = {names[c]: covered.get(c, 0) / totals[c] for c in totals}
    return {county: 1 + sum(other > mine for other in share.values()) for county, mine in share.items()}


def _arrow(before: int, now: int) -> str:
    return "—" if before == now else f"↑{before - now}" if before > now else f"↓{now - before}"


def _overview(month: str) -> AppTest:
    at = app(90)
    at.query_params["month"] = month
    at.run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at


def _ranking_on(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "名次" in d.value.columns)


def test_overview_compares_ranks_with_the_latest_month_frozen_before(demo_store):
    freeze.freeze(demo_store, "2024-03", ADMIN)
    freeze.freeze(demo_store, "2024-06", ADMIN)  # the latest before 2024-09: this is the one compared with
    freeze.freeze(demo_store, "2024-12", ADMIN)  # after the as-of month: ignored
    at = _overview("2024-09")
    table = _ranking_on(at)
    with demo_store.connect() as conn:
        before, now = _ranks(conn, "2024-06"), _ranks(conn, "2024-09")
    expected = {county: _arrow(before[county], now[county]) for county in now}
    assert set(expected.values()) - {"—"}, "the demo city moves between these months"
    assert dict(zip(table["县(市、区)"], table["较2024年6月通报"])) == expected
    assert list(table.columns).index("较2024年6月通报") == list(table.columns).index("较上月") + 1
    frozen_at = freeze.frozen(demo_store, "2024-06").frozen_at
    assert f"名次变化对比 2024年6月 通报(冻结于 {frozen_at:%Y-%m-%d %H:%M})" in [c.value for c in at.caption]


def test_no_frozen_month_before_means_no_column_and_unfreezing_takes_it_away(demo_store):
    at = _overview("2024-09")
    assert not [c for c in _ranking_on(at).columns if c.endswith("通报")]
    freeze.freeze(demo_store, "2024-03", ADMIN)
    at.run()  # the freeze changes the data version: no stale cached ranking
    assert "较2024年3月通报" in _ranking_on(at).columns
    freeze.unfreeze(demo_store, "2024-03", ADMIN, "更正数据")
    at.run()
    assert not [c for c in _ranking_on(at).columns if c.endswith("通报")]
    assert not any(c.value.startswith("名次变化对比") for c in at.caption)
