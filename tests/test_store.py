"""The store: migrations on SQLite and PostgreSQL, SQLite pragmas, where the URL comes from."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from dashboard import models, settings
from dashboard.store import current_revision, head_revision, make_engine, upgrade

TABLES = {
    "regions", "plans", "plan_sections", "measures", "units", "measure_units", "targets",
    "uploads", "demo_sites", "village_reports", "measure_reports", "county_brands",
}


def test_migrations_create_every_table_at_head(store):
    assert current_revision(store) == head_revision()
    assert TABLES <= set(inspect(store).get_table_names())


def test_models_and_migrations_agree(store):
    with store.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    assert diff == []


def test_upgrade_twice_is_harmless(store):
    assert upgrade(store) == head_revision()


def test_region_code_keeps_leading_zeros(store):
    from sqlalchemy.orm import Session

    with Session(store) as session, session.begin():
        session.add(models.Region(code="010203004005", name="零村", level="village"))
    with store.connect() as conn:
        assert conn.scalar(select(models.Region.code)) == "010203004005"


def test_sqlite_runs_wal_with_busy_timeout_and_foreign_keys(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_foreign_keys_are_enforced_on_sqlite(sqlite_url):
    import pytest
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    engine = make_engine(sqlite_url)
    upgrade(engine)
    with pytest.raises(IntegrityError):
        with Session(engine) as session, session.begin():
            session.add(models.Region(code="450000000001", name="孤村", level="village",
                                      parent_code="459999999000"))


def test_db_url_prefers_env_then_secrets_then_embedded(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    monkeypatch.setattr(settings, "SECRETS_FILE", secrets)
    monkeypatch.setenv("QINGLIAN_VAR", str(tmp_path / "var"))
    monkeypatch.delenv("QINGLIAN_DB_URL", raising=False)
    assert settings.db_url() == f"sqlite:///{tmp_path / 'var' / 'qinglian.db'}"
    secrets.write_text('[store]\nurl = "postgresql+psycopg://u@db/qinglian"\n', encoding="utf-8")
    assert settings.db_url() == "postgresql+psycopg://u@db/qinglian"
    monkeypatch.setenv("QINGLIAN_DB_URL", "sqlite:////srv/x.db")
    assert settings.db_url() == "sqlite:////srv/x.db"


def test_runtime_database_is_outside_data_folder(monkeypatch):
    monkeypatch.delenv("QINGLIAN_DB_URL", raising=False)
    monkeypatch.delenv("QINGLIAN_VAR", raising=False)
    monkeypatch.setattr(settings, "SECRETS_FILE", settings.ROOT / "no-such-secrets.toml")
    url = settings.db_url()
    assert url == f"sqlite:///{settings.ROOT / 'var' / 'qinglian.db'}"
    ignored = (settings.ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "/var/" in ignored and ".streamlit/secrets.toml" in ignored


def test_a_crowd_arriving_at_a_fresh_server_migrates_once_and_loads_one_plan(tmp_path, monkeypatch):
    """Twelve requests reach the gate of a server just started, on a store never migrated (browsers reconnecting
    after a restart): every one gets the same migrated engine, and the store ends with exactly one active plan
    (before, concurrent Alembic runs failed with KeyError: 'script' and the gate answered 403)."""
    import threading

    from dashboard import gate

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("QINGLIAN_DB_URL", url)
    monkeypatch.setattr(gate, "_ENGINE", [])
    start, got, failed = threading.Barrier(12), [], []

    def request():
        start.wait()
        try:
            got.append(gate.engine())
        except Exception as exc:  # collected: the assertion below names it
            failed.append(repr(exc))

    threads = [threading.Thread(target=request) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == [] and len(got) == 12 and len({id(e) for e in got}) == 1
    engine = got[0]
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(models.Plan).where(models.Plan.active)) == 1
    engine.dispose()


def test_threads_upgrading_one_store_at_once_do_not_break_each_other(tmp_path):
    import threading

    engines = [make_engine(f"sqlite:///{tmp_path / 'race.db'}") for _ in range(6)]
    start, failed = threading.Barrier(6), []

    def migrate(engine):
        start.wait()
        try:
            upgrade(engine)
        except Exception as exc:
            failed.append(repr(exc))

    threads = [threading.Thread(target=migrate, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failed == []
    assert current_revision(engines[0]) == head_revision()
    for e in engines:
        e.dispose()
