"""Coverage rules on plain frames — the one definition every tile, ranking, gap list, map and CLI verb uses.

* which register version is in effect for a month (:func:`in_effect`, :func:`latest_per_scope`): a register
  (demo-site ledger, brand register, a unit's measure report) stands until a newer one of its scope replaces it;
* which demo sites count as built, and which townships they cover (:func:`covered_townships`; per ledger
  version the count is kept at commit, :mod:`dashboard.rollups`).

No Streamlit and no store here: the inputs are the frames :mod:`dashboard.facts` reads.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard import months
from dashboard.settings import BUILT_STATUSES

FORMED_BRAND = "已形成"


def _ordinals(periods) -> np.ndarray:
    """YYYY-MM as month numbers (:func:`dashboard.months.index`)."""
    index = {p: months.index(p) for p in set(periods)}
    return np.fromiter((index[p] for p in periods), dtype=np.int64, count=len(periods))


def in_effect(versions: pd.DataFrame, months_: list[str], keys: list[str], period: str = "period") -> pd.DataFrame:
    """For each month of ``months_`` and each scope (``keys``), the latest ``period`` up to that month.

    Columns: month, *keys, period. A scope with nothing up to a month has no row for it."""
    columns = ["month", *keys, period]
    distinct = versions[[*keys, period]].drop_duplicates()
    if distinct.empty or not months_:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    # one binary search per scope and month over the versions sorted by (scope, month): a country is 36 months ×
    # 3,150 counties, where a months × versions cross join was 4 million rows
    scope = distinct.groupby(keys, sort=False).ngroup().to_numpy()
    scopes = distinct[keys].drop_duplicates()  # row i is scope number i (both in order of first appearance)
    periods = distinct[period].to_numpy(dtype=object)
    wide = 1 << 24
    key = scope * wide + _ordinals(periods)
    order = np.argsort(key, kind="stable")
    key = key[order]
    asked = sorted(set(months_))
    grid_scope = np.repeat(np.arange(len(scopes)), len(asked))
    grid_month = np.tile(np.arange(len(asked)), len(scopes))
    wanted = grid_scope * wide + _ordinals(asked)[grid_month]
    at = np.searchsorted(key, wanted, side="right") - 1
    found = at >= 0
    found[found] = key[at[found]] // wide == grid_scope[found]
    chosen = order[at[found]]
    out = {"month": np.asarray(asked, dtype=object)[grid_month[found]]}
    out.update({k: scopes[k].to_numpy(dtype=object)[grid_scope[found]] for k in keys})
    out[period] = periods[chosen]
    return pd.DataFrame(out, columns=columns)


def latest_per_scope(frame: pd.DataFrame, upto: str, keys: list[str], period: str = "period") -> pd.DataFrame:
    """The rows of each scope's latest period up to ``upto`` (the register in effect then)."""
    chosen = in_effect(frame, [upto], keys, period).drop(columns="month")
    if chosen.empty:
        return frame.iloc[0:0].reset_index(drop=True)
    return frame.merge(chosen, on=[*keys, period])


def on_roster(villages: pd.DataFrame, month: str) -> pd.DataFrame:
    """The villages still on the roster in ``month``: those not 撤销/合并 by then (:func:`facts.villages`;
    a frame without ``removed_from`` has no such village)."""
    if "removed_from" not in villages:
        return villages
    return villages[villages["removed_from"].isna() | (villages["removed_from"] > month)]


def roster_size(roster: pd.DataFrame, months_: list[str]) -> pd.DataFrame:
    """Per month and county, the villages on the roster — the denominator of every village share
    (columns month, county_code, total). ``roster``: :func:`dashboard.facts.roster_counts` (county_code,
    removed_from, n), or village rows (one village each)."""
    if "n" not in roster:
        roster = roster.assign(n=1)
    if "removed_from" not in roster:
        roster = roster.assign(removed_from=None)
    base = roster.groupby("county_code")["n"].sum()
    grid = pd.MultiIndex.from_product([months_, base.index], names=["month", "county_code"])
    out = pd.DataFrame({"total": base.reindex(grid.get_level_values("county_code")).to_numpy()}, index=grid)
    gone = roster.dropna(subset=["removed_from"])
    if not gone.empty:
        off = gone[["county_code", "removed_from", "n"]].merge(pd.DataFrame({"month": months_}), how="cross")
        less = off[off["removed_from"] <= off["month"]].groupby(["month", "county_code"])["n"].sum()
        out["total"] -= less.reindex(grid, fill_value=0).to_numpy()
    return out.reset_index()


def brands_as_of(history: pd.DataFrame, month: str) -> pd.DataFrame:
    """Each county's brand row in effect at ``month`` (rows of :func:`dashboard.facts.brand_history`)."""
    return latest_per_scope(history, month, ["county_code"])


def built(ledger: pd.DataFrame) -> pd.DataFrame:
    """The ledger rows whose site counts as built (已建成 / 已验收命名)."""
    return ledger[ledger["status"].isin(BUILT_STATUSES)]


def covered_townships(ledger: pd.DataFrame) -> set[str]:
    """Codes of the townships with at least one built demo site in ``ledger`` (the ledgers in effect, with each
    site's ``township_code``) — the rule the per-ledger counts kept at commit follow (:mod:`dashboard.rollups`)."""
    return set(built(ledger)["township_code"].dropna())


def brands_per_register(history: pd.DataFrame) -> pd.DataFrame:
    """Per brand register version (county_code, period): ``n`` = 1 when the county's brand is 已形成."""
    return history.assign(n=(history["status"] == FORMED_BRAND).astype(int))[["county_code", "period", "n"]]


def carried(per_version: pd.DataFrame, months_: list[str]) -> pd.DataFrame:
    """Register counts carried forward: per month and county the ``n`` of the version in effect, and the
    month it comes from (columns month, county_code, count, source)."""
    chosen = in_effect(per_version, months_, ["county_code"])
    out = chosen.merge(per_version[["county_code", "period", "n"]].drop_duplicates(["county_code", "period"]),
                       on=["county_code", "period"])
    return out.rename(columns={"n": "count", "period": "source"})[["month", "county_code", "count", "source"]]


def meets(values: pd.Series, bar: float | None) -> pd.Series:
    """1 where a village's reported value meets the indicator (是, or at least ``bar``), else 0 (未填 too)."""
    if bar is None:
        return values.map(lambda v: int(v is True or v == 1 or v == "是"))
    return (pd.to_numeric(values, errors="coerce").fillna(-1) >= bar).astype(int)
