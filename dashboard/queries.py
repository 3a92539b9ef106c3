"""Read-only queries the pages need, returning plain Python / pandas objects.

The monthly facts themselves are read version-aware in :mod:`dashboard.facts`; this module holds the
regions, the store's fingerprint and the bundle of facts the target figures are computed on.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pandas as pd
from sqlalchemy import Engine, func, select

from dashboard import facts, models, targets
from loaders.schema import BOUNDARY_KIND

R = models.Region
U = models.Upload


def region_counts(engine: Engine) -> dict[str, int]:
    """Number of counties, townships and villages in the store."""
    with engine.connect() as conn:
        rows = conn.execute(select(R.level, func.count()).group_by(R.level)).all()
    counts = dict(rows)
    return {level: counts.get(level, 0) for level in ("county", "township", "village")}


def city_name(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(select(R.name).where(R.level == "city").limit(1))


def has_demo_data(engine: Engine) -> bool:
    """True when any region or active upload in the store is demo data."""
    with engine.connect() as conn:
        return bool(
            conn.scalar(select(R.code).where(R.is_demo).limit(1))
            or conn.scalar(select(U.id).where(U.is_demo, U.active).limit(1))
        )


def periods(engine: Engine) -> list[str]:
    """Every period (YYYY-MM) that has an active report, oldest first (a boundary layer is no report of a month)."""
    with engine.connect() as conn:
        return list(conn.scalars(select(U.period).where(U.active, U.kind != BOUNDARY_KIND).distinct()
                                 .order_by(U.period)))


def data_version(engine: Engine) -> tuple:
    """A cheap fingerprint that changes whenever uploads, the plan or a frozen month change (cache key)."""
    with engine.connect() as conn:
        uploads = conn.execute(select(func.max(U.id), func.count(U.id))).one()
        activation = conn.scalar(select(func.max(models.Activation.id)))  # a restore makes a new one
        plan = conn.scalar(select(models.Plan.id).where(models.Plan.active))  # a reactivated version moves it too
        # freezing adds a row, unfreezing sets unfrozen_at: both move this part of the key
        frozen = conn.execute(select(func.max(models.FrozenMonth.id), func.max(models.FrozenMonth.unfrozen_at))).one()
    return (*uploads, activation, plan, *frozen)


def townships(engine: Engine) -> pd.DataFrame:
    """Every township with its county: county_code, county, township_code, township."""
    county = R.__table__.alias("county")
    query = (
        select(
            R.county_code,
            county.c.name.label("county"),
            R.code.label("township_code"),
            R.name.label("township"),
        )
        .join(county, county.c.code == R.county_code)
        .where(R.level == "township")
        .order_by(R.code)
    )
    with engine.connect() as conn:
        return facts.read_frame(conn, query, ["county_code", "county", "township_code", "township"])


def township_counts(engine: Engine) -> pd.Series:
    """Townships per county (county code -> number), the denominator of the township target."""
    with engine.connect() as conn:
        rows = conn.execute(select(R.county_code, func.count()).where(R.level == "township")
                            .group_by(R.county_code).order_by(R.county_code)).all()
    return pd.Series({code: n for code, n in rows}, dtype="int64").rename_axis("county_code")


def counties(engine: Engine) -> dict[str, str]:
    """County code -> name, in code order."""
    with engine.connect() as conn:
        return dict(conn.execute(select(R.code, R.name).where(R.level == "county").order_by(R.code)).all())


def target_inputs(engine: Engine, as_of: str, bars: facts.Bars, ledger: bool = True) -> targets.Inputs:
    """Everything the target figures of the as-of view rest on — the one way pages, tests and the CLI get it.
    ``bars``: the village indicators the plan's targets count (:func:`dashboard.targets.village_bars`).
    ``ledger=False``: without the township rows and the ledger rows in effect, which only the township gap list
    and the exports need (the pages read them apart: a country's are 40,000 rows each) — counts only.

    On PostgreSQL the reads run side by side, each on its own pooled connection: the server works on one while
    this process unpacks another (a country's inputs wait on the server about as long as they take to unpack)."""
    view = facts.View(as_of)
    reads = {
        "townships": (lambda: townships(engine)) if ledger else (lambda: None),
        "township_counts": lambda: township_counts(engine),
        "roster": lambda: facts.roster_counts(engine, as_of),
        "ledger": (lambda: facts.ledger_in_effect(engine, view)) if ledger else (lambda: None),
        "ledger_counts": lambda: facts.ledger_counts(engine, view),
        "indicators": lambda: facts.indicator_series(engine, view, bars, facts.removals(engine, as_of)),
        "brands": lambda: facts.brand_history(engine, view),
        "counties": lambda: counties(engine),
    }
    if engine.dialect.name == "postgresql":
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="target-inputs") as pool:
            running = {name: pool.submit(read) for name, read in reads.items()}
            got = {name: future.result() for name, future in running.items()}
    else:  # SQLite: one local file, no server to wait on (and an in-memory store is one connection's)
        got = {name: read() for name, read in reads.items()}
    return targets.Inputs(**got)
