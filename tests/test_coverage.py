"""The coverage rules on hand-made frames: which register is in effect, which townships a ledger covers."""

from __future__ import annotations

import pandas as pd

from dashboard import coverage

VILLAGES = pd.DataFrame({"code": ["v1", "v2", "v3", "v4"], "township_code": ["t1", "t1", "t2", "t3"]})


def _ledger(rows):
    return pd.DataFrame(rows, columns=["upload_period", "scope", "village_code", "status"])


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
    at_feb = coverage.ledger_as_of(ledger, "2025-02")
    assert at_feb[["upload_period", "village_code"]].values.tolist() == [["2025-02", "v1"]]
    at_jan = coverage.ledger_as_of(ledger, "2025-01")
    assert sorted(at_jan["village_code"]) == ["v1", "v3"]
    assert coverage.ledger_as_of(ledger, "2024-12").empty


def test_a_ledger_that_demotes_the_only_built_site_counts_zero_not_absent():
    ledger = _ledger([("2025-01", "A", "v1", "已建成"), ("2025-01", "A", "v2", "已验收命名"),
                      ("2025-01", "A", "v3", "计划创建"), ("2025-02", "A", "v1", "创建中")])
    per = coverage.townships_per_ledger(ledger, VILLAGES)
    assert per.sort_values("period").values.tolist() == [["A", "2025-01", 1], ["A", "2025-02", 0]]
    carried = coverage.carried(per, ["2025-01", "2025-02", "2025-03"])
    assert carried.values.tolist() == [["2025-01", "A", 1, "2025-01"], ["2025-02", "A", 0, "2025-02"],
                                       ["2025-03", "A", 0, "2025-02"]]
    assert coverage.covered_townships(coverage.ledger_as_of(ledger, "2025-03"), VILLAGES) == set()
    assert coverage.covered_townships(coverage.ledger_as_of(ledger, "2025-01"), VILLAGES) == {"t1"}


def test_brand_register_counts_only_a_formed_brand():
    brands = pd.DataFrame({"county_code": ["A", "B"], "name": ["甲", "乙"], "status": ["已形成", "培育中"],
                           "period": ["2025-01", "2025-01"]})
    assert coverage.brands_per_register(brands)["n"].tolist() == [1, 0]
