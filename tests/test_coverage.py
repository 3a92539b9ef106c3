"""The coverage rules on hand-made frames: which register is in effect, which townships a ledger covers."""

from __future__ import annotations

import pandas as pd

from dashboard import coverage

TOWNSHIP = {"v1": "t1", "v2": "t1", "v3": "t2", "v4": "t3"}


def _ledger(rows):
    frame = pd.DataFrame(rows, columns=["upload_period", "scope", "village_code", "status"])
    return frame.assign(township_code=frame["village_code"].map(TOWNSHIP))


def test_register_in_effect_is_each_scopes_latest_up_to_the_month():
    versions = pd.DataFrame({"county_code": ["A", "A", "B"], "period": ["2025-01", "2025-03", "2025-02"]})
    got = coverage.in_effect(versions, ["2025-01", "2025-02", "2025-04"], ["county_code"])
    assert sorted(map(tuple, got.values.tolist())) == [
        ("2025-01", "A", "2025-01"), ("2025-02", "A", "2025-01"), ("2025-02", "B", "2025-02"),
        ("2025-04", "A", "2025-03"), ("2025-04", "B", "2025-02")]
    assert coverage.in_effect(versions.iloc[0:0], ["2025-01"], ["county_code"]).empty


def test_latest_per_scope_keeps_every_row_of_the_chosen_version():
    ledger = _ledger([("2025-01", "A", "v1", "已建成"), ("2025-01", "A", "v3", "已建成"),
                      ("2025-02", "A", "v1", "创建中"), ("2025-03", "B", "v4", "已建成")])
    at_feb = coverage.latest_per_scope(ledger, "2025-02", ["scope"], "upload_period")
    assert at_feb[["upload_period", "village_code"]].values.tolist() == [["2025-02", "v1"]]
    at_jan = coverage.latest_per_scope(ledger, "2025-01", ["scope"], "upload_period")
    assert sorted(at_jan["village_code"]) == ["v1", "v3"]
    assert coverage.latest_per_scope(ledger, "2024-12", ["scope"], "upload_period").empty


def test_a_ledger_that_demotes_the_only_built_site_counts_zero_and_is_carried_forward():
    per = pd.DataFrame({"county_code": ["A", "A"], "period": ["2025-01", "2025-02"], "n": [1, 0]})
    carried = coverage.carried(per, ["2025-01", "2025-02", "2025-03"])
    assert carried.values.tolist() == [["2025-01", "A", 1, "2025-01"], ["2025-02", "A", 0, "2025-02"],
                                       ["2025-03", "A", 0, "2025-02"]]
    jan = _ledger([("2025-01", "A", "v1", "已建成"), ("2025-01", "A", "v2", "已验收命名"),
                   ("2025-01", "A", "v3", "计划创建")])
    assert coverage.covered_townships(jan) == {"t1"}
    assert coverage.covered_townships(_ledger([("2025-02", "A", "v1", "创建中")])) == set()


def test_roster_size_subtracts_villages_from_the_month_they_are_removed():
    roster = pd.DataFrame({"county_code": ["A", "A", "B"], "removed_from": [None, "2025-02", None], "n": [5, 2, 3]})
    got = coverage.roster_size(roster, ["2025-01", "2025-02"])
    assert got.values.tolist() == [["2025-01", "A", 7], ["2025-01", "B", 3], ["2025-02", "A", 5], ["2025-02", "B", 3]]


def test_brand_register_counts_only_a_formed_brand():
    brands = pd.DataFrame({"county_code": ["A", "B"], "name": ["甲", "乙"], "status": ["已形成", "培育中"],
                           "period": ["2025-01", "2025-01"]})
    assert coverage.brands_per_register(brands)["n"].tolist() == [1, 0]
