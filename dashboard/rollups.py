"""Counts kept beside the facts, written in the same transaction as the facts they count.

A city has 1,300 villages; a country 490,000, and 36 months of village reports are 17 M rows. The target series
need only, per report version, how many villages met each bar, and per ledger version how many townships have
a built demo site — so these are counted once, when the version is committed (:func:`fill`), and the dashboards
sum a few rows per version (:func:`dashboard.facts.indicator_series`, :func:`dashboard.facts.ledger_counts`).

* ``village_report_counts``: per village report upload, its villages, how many have a 小微权力清单 / 纪检委员, and
  how many have at least 0 … 10 法律明白人 (the plan's bar may change, so every bar is kept);
* ``ledger_township_counts``: per ledger upload, the townships with at least one site 已建成 or 已验收命名 (a
  village's township never changes: it is part of its 12-digit code); a ledger whose sites are all still
  planned counts 0.

Every writer of village reports or ledgers calls :func:`fill` (intake, the demo, the national generator, the
migration that introduced the tables). Deleting an upload's rows deletes its counts (:data:`dashboard.demo.UPLOAD_ROWS`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Integer, case, delete, distinct, func, insert, select

from dashboard import models
from dashboard.settings import BUILT_STATUSES

V, D, R, U = models.VillageReport, models.DemoSite, models.Region, models.Upload
VC, LC = models.VillageCount, models.LedgerCount
CHUNK = 500  # upload ids per statement (SQLite binds at most 999 parameters by default on old builds)


def count_if(condition):
    """How many rows meet ``condition`` (a boolean column or comparison; NULL is no)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).cast(Integer)


VILLAGE_COLUMNS = ["upload_id", "villages", "micro_power_list", "discipline_member",
                   *(f"legal_{k}" for k in models.LEGAL_BARS)]


def _village_counts(ids: list[int] | None):
    query = select(V.upload_id, func.count(), count_if(V.micro_power_list), count_if(V.discipline_member),
                   *(count_if(V.legal_persons >= k) for k in models.LEGAL_BARS))
    if ids is not None:
        query = query.where(V.upload_id.in_(ids))
    return query.group_by(V.upload_id)


def _ledger_counts(ids: list[int] | None):
    township = case((D.status.in_(BUILT_STATUSES), R.parent_code))
    query = (select(U.id, func.count(distinct(township)))
             .outerjoin(D, D.upload_id == U.id).outerjoin(R, R.code == D.village_code)
             .where(U.kind == "demo_sites"))
    if ids is not None:
        query = query.where(U.id.in_(ids))
    return query.group_by(U.id)


def _write(conn: Connection, ids: list[int] | None) -> None:
    conn.execute(insert(VC).from_select(VILLAGE_COLUMNS, _village_counts(ids)))
    conn.execute(insert(LC).from_select(["upload_id", "townships"], _ledger_counts(ids)))


def fill(conn: Connection, upload_ids: Iterable[int]) -> None:
    """Count the village reports and ledgers of these just-written uploads (other kinds have no counts)."""
    ids = [int(i) for i in upload_ids]
    for start in range(0, len(ids), CHUNK):
        _write(conn, ids[start:start + CHUNK])


def fill_all(conn: Connection) -> None:
    """Count every upload in the store afresh (the migration, the national generator, a bulk load)."""
    conn.execute(delete(VC))
    conn.execute(delete(LC))
    _write(conn, None)

