"""As-of views: a past month is reproduced with the versions that stood at its cut-off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, text

from dashboard import facts, models


def test_cutoff_is_the_end_of_the_following_month():
    from dashboard import months

    assert facts.View("2025-12").cutoff == datetime(2026, 1, 31, 23, 59, 59, tzinfo=months.zone())
    assert facts.View("2024-01").cutoff == datetime(2024, 2, 29, 23, 59, 59, tzinfo=months.zone())
    assert facts.View("2025-11").uses_active(now=datetime(2025, 12, 20)) is True
    assert facts.View("2025-11").uses_active(now=datetime(2026, 1, 1)) is False


def test_a_later_correction_does_not_change_a_past_view(demo_store):
    with demo_store.begin() as conn:
        old = conn.execute(text("SELECT id, scope FROM uploads WHERE kind='measure_progress' AND period='2025-11' "
                                "AND active ORDER BY id LIMIT 1")).one()
        conn.execute(text("UPDATE uploads SET active = FALSE, superseded_at = :t WHERE id = :i"),
                     {"t": datetime(2026, 3, 1), "i": old.id})
        conn.execute(text(
            "INSERT INTO uploads (kind, period, scope, file_name, sha256, uploaded_by, uploaded_at, rows, errors, "
            "warnings, outcome, message, active, is_demo) VALUES ('measure_progress', '2025-11', :s, '更正.xlsx', "
            "'0', '更正人', :t, 0, 0, 0, 'accepted', '', TRUE, FALSE)"), {"s": old.scope, "t": datetime(2026, 3, 1)})
    past = facts.View("2025-11")
    with demo_store.connect() as conn:
        ids = set(conn.execute(select(facts.effective_uploads("measure_progress", past).subquery().c.id)).scalars())
        new_id = conn.scalar(select(models.Upload.id).where(models.Upload.file_name == "更正.xlsx"))
    assert old.id in ids and new_id not in ids  # the view of 2025-11 is as the meeting in Dec/Jan saw it
    current = facts.View("2026-11")  # its cut-off lies in the future: current active versions
    with demo_store.connect() as conn:
        ids = set(conn.execute(select(facts.effective_uploads("measure_progress", current).subquery().c.id)).scalars())
    assert new_id in ids and old.id not in ids
    sources = facts.sources(demo_store, ("measure_progress",), past)
    assert "更正.xlsx" not in set(sources["file_name"])


def test_village_reports_count_for_their_own_month_only(demo_store):
    """A county late in 2025-12 has no reports in the 2025-12 view: its villages are 未报送, not November's."""
    reports = facts.village_reports(demo_store, facts.View("2025-12"))
    with demo_store.connect() as conn:
        late = set(conn.execute(text(
            "SELECT code FROM regions WHERE level = 'county' AND code NOT IN (SELECT scope FROM uploads "
            "WHERE kind = 'village_monthly' AND period = '2025-12')")).scalars())
    assert late
    assert not set(reports["county_code"]) & late
    assert set(reports["period"]) == {"2025-12"}
