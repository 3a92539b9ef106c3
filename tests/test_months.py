"""Months and Beijing time: one module does the arithmetic; deadlines, cut-offs and shown times are in the
configured zone whatever the server's clock zone; the store keeps moments in UTC."""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from alembic import command
from sqlalchemy import select, text

from dashboard import facts, models, months
from dashboard.intake import commit, history, prepare
from dashboard.store import alembic_config, make_engine, upgrade
from tests.apptest import ADMIN
from tests.intake_fixtures import COUNTY

UTC = timezone.utc


@pytest.fixture
def server_zone():
    """Run with the process clock in a given zone (as a server in that zone would), then restore it."""
    saved = os.environ.get("TZ")

    def set_zone(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    yield set_zone
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


def test_month_arithmetic():
    assert months.add("2024-12", 1) == "2025-01" and months.add("2024-01", -1) == "2023-12"
    assert months.previous("2026-01") == "2025-12"
    assert months.index("2025-03") - months.index("2024-12") == 3
    assert months.span("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months.span("2026-02", "2026-01") == []
    assert months.since("2023-01-01", 3) == ["2023-01", "2023-02", "2023-03"]
    assert months.last_day("2024-02") == date(2024, 2, 29) and months.last_day("2023-12") == date(2023, 12, 31)
    assert months.label("2026-03") == "2026年3月"


def test_deadline_and_cutoff_are_beijing_moments():
    bj = months.zone()
    assert str(bj) == "Asia/Shanghai"
    assert months.deadline("2025-12", 5) == datetime(2026, 1, 5, 23, 59, 59, tzinfo=bj)
    assert months.cutoff("2025-12") == datetime(2026, 1, 31, 23, 59, 59, tzinfo=bj)
    assert months.deadline("2025-12", 5).astimezone(UTC) == datetime(2026, 1, 5, 15, 59, 59, tzinfo=UTC)


def test_at_20_utc_on_the_5th_beijing_is_already_past_the_deadline(server_zone, intake):
    """The server clock says 20:00 on the 5th (UTC); in Beijing it is 04:00 on the 6th: a report for the
    previous month uploaded now is late, and its time is shown as 04:00 on the 6th."""
    server_zone("UTC")
    with time_machine.travel(datetime(2026, 3, 5, 20, 0, tzinfo=UTC), tick=False):
        assert months.now() == datetime(2026, 3, 6, 4, 0, tzinfo=months.zone())
        assert months.this_month() == "2026-03"
        preview = prepare(intake.engine, intake.table().xlsx(), "月报.xlsx", "village_monthly", "2026-02",
                          intake.code, who=ADMIN)
        upload_id = commit(intake.engine, preview, who=ADMIN)
        table = facts.completeness(intake.engine, "2026-02")
    row = table[(table["报表"] == "村级指标月报") & (table["报送对象"] == COUNTY)].iloc[0]
    assert (row["状态"], row["首次报送时间"]) == ("逾期报送", "2026-03-06 04:00")
    with intake.engine.connect() as conn:
        stored = conn.execute(text("SELECT uploaded_at FROM uploads WHERE id = :i"), {"i": upload_id}).scalar()
        shown = conn.scalar(select(models.Upload.uploaded_at).where(models.Upload.id == upload_id))
    assert str(stored).startswith("2026-03-05 20:00:00")  # kept in UTC
    assert shown == datetime(2026, 3, 6, 4, 0, tzinfo=months.zone())
    assert shown.tzinfo is not None


def test_just_before_midnight_in_beijing_a_report_is_on_time(server_zone, intake):
    server_zone("UTC")
    with time_machine.travel(datetime(2026, 3, 5, 15, 30, tzinfo=UTC), tick=False):  # 23:30 in Beijing
        preview = prepare(intake.engine, intake.table().xlsx(), "月报.xlsx", "village_monthly", "2026-02",
                          intake.code, who=ADMIN)
        commit(intake.engine, preview, who=ADMIN)
        table = facts.completeness(intake.engine, "2026-02")
    row = table[(table["报表"] == "村级指标月报") & (table["报送对象"] == COUNTY)].iloc[0]
    assert (row["状态"], row["首次报送时间"]) == ("按时报送", "2026-03-05 23:30")


def test_a_view_cut_off_is_in_beijing_time(server_zone):
    from dashboard.facts import View

    server_zone("UTC")
    view = View("2026-01")
    with time_machine.travel(datetime(2026, 2, 28, 15, 59, tzinfo=UTC), tick=False):  # 23:59 on the 28th
        assert view.uses_active()
    with time_machine.travel(datetime(2026, 2, 28, 16, 0, 1, tzinfo=UTC), tick=False):  # 00:00:01 on 1 March
        assert not view.uses_active()


@pytest.mark.parametrize("zone, written, beijing", [
    ("UTC", "2026-01-05 02:00:00.000000", datetime(2026, 1, 5, 10, 0)),
    ("Asia/Shanghai", "2026-01-05 10:00:00.000000", datetime(2026, 1, 5, 10, 0)),
])
def test_the_migration_reads_old_times_in_the_zone_they_were_written_in(server_zone, store_url, zone, written,
                                                                      beijing):
    """Before 0003 the server wrote its naive local clock; after it, the same moment in Beijing time."""
    server_zone(zone)
    engine = make_engine(store_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO uploads (kind, period, scope, file_name, sha256, uploaded_by, uploaded_at, rows, errors, "
            "warnings, outcome, message, active, is_demo) VALUES ('roster', '2025-12', 'x', 'a.xlsx', 'h', '甲', "
            f"'{written}', 0, 0, 0, 'refused', '', false, false)"))
    upgrade(engine)
    with engine.connect() as conn:
        moment = conn.scalar(select(models.Upload.uploaded_at))
    assert moment == beijing.replace(tzinfo=months.zone())
    assert moment.astimezone(UTC) == (beijing - timedelta(hours=8)).replace(tzinfo=UTC)
    engine.dispose()


def test_history_shows_upload_times_in_beijing_time(server_zone, intake):
    server_zone("UTC")
    with time_machine.travel(datetime(2026, 3, 31, 17, 30, tzinfo=UTC), tick=False):  # 1 April 01:30 in Beijing
        commit(intake.engine, prepare(intake.engine, intake.table().xlsx(), "月报.xlsx", "village_monthly", "2026-03",
                                      intake.code, who=ADMIN), who=ADMIN)
    newest = history(intake.engine, limit=1, who=ADMIN)[0]
    assert newest["uploaded_at"].strftime("%Y-%m-%d %H:%M") == "2026-04-01 01:30"
