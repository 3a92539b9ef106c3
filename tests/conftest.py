"""Shared fixtures: a fresh migrated store per test on SQLite and on PostgreSQL, and a demo city.

PostgreSQL tests use a throw-away schema in the ``test`` database at 127.0.0.1:5432. They skip with a
reason when no server answers, unless ``QINGLIAN_REQUIRE_PG=1`` (set by ``.ci/run``) makes them fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dashboard.catalog import active_plan
from dashboard.intake import village_index
from dashboard.store import make_engine, upgrade
from loaders import reader
from tests.intake_fixtures import COUNTY, Intake, county_code_of, fingerprint, monthly_table

PG_ADMIN_URL = os.environ.get("QINGLIAN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parents[1]


def _pg_available() -> str | None:
    """None when the server answers, else the reason it does not."""
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any connection failure means "no server here"
        return f"PostgreSQL 不可用({PG_ADMIN_URL}):{exc.__class__.__name__}"


@pytest.fixture(scope="session")
def pg_reason() -> str | None:
    return _pg_available()


@contextmanager
def pg_schema(pg_reason: str | None):
    """URL of a fresh, empty PostgreSQL schema, dropped afterwards; skips (or fails in CI) without a server."""
    if pg_reason:
        if os.environ.get("QINGLIAN_REQUIRE_PG") == "1":
            pytest.fail(f"QINGLIAN_REQUIRE_PG=1 but {pg_reason}")
        pytest.skip(pg_reason)
    schema = f"qt_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_ADMIN_URL else "?"
    try:
        yield f"{PG_ADMIN_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_reason):
    """URL of a fresh, empty PostgreSQL schema, dropped after the test."""
    with pg_schema(pg_reason) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request) -> str:
    """A fresh, empty store URL on each backend."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_url):
    """A migrated, empty store on each backend."""
    engine = make_engine(store_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """A SQLite file holding the seeded demo city (built once per test session; copy before writing)."""
    from dashboard.demo import seed_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed_demo(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def demo_store(demo_db, tmp_path, monkeypatch):
    """A private copy of the demo store, also set as the app's store via QINGLIAN_DB_URL."""
    path = tmp_path / "demo.db"
    shutil.copy(demo_db, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("QINGLIAN_DB_URL", url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


# --- intake: prepare() on a private copy of the demo store ---------------------------------------

@pytest.fixture(scope="session")
def demo(demo_db):
    """Read once from the pristine demo store: its fingerprint, a valid table, codes and the roster."""
    engine = make_engine(f"sqlite:///{demo_db}")
    try:
        yield {
            "fingerprint": fingerprint(engine),
            "table": monthly_table(engine, COUNTY),
            "code": county_code_of(engine, COUNTY),
            "villages": village_index(engine).villages,
            "plan": active_plan(engine),
        }
    finally:
        engine.dispose()


@pytest.fixture
def intake(demo_store, demo):
    """``prepare`` on a private copy of the demo store, asserting every time that nothing was written."""
    return Intake(demo_store, demo)


@pytest.fixture
def limits(monkeypatch):
    """Pin the reader's limits (data/intake.toml) to known values, with overrides."""
    def pin(**overrides):
        values = {"max_file_mb": 20, "max_rows": 60000, "max_columns": 200, "max_cells": 3_000_000,
                  "max_members": 1000, "max_member_mb": 100, "max_uncompressed_mb": 200,
                  "max_compression_ratio": 150, "max_file_name_chars": 120, "max_user_chars": 40} | overrides
        monkeypatch.setattr(reader, "limits", lambda: values)
    pin()
    return pin
