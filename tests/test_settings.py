"""dashboard/settings.py reads each setting from its file or variable, with its registered default, and
reads an edited file again; the modules that used to read files themselves get the same values from it."""

from __future__ import annotations

import pytest

from dashboard import settings
from dashboard.plan import load_plan_config
from dashboard.sandbox import Limits, configured_limits
from loaders import docs, reader
from loaders.schema import indicator_columns


@pytest.fixture
def intake_file(tmp_path, monkeypatch):
    """Point data/intake.toml at a file the test writes."""
    path = tmp_path / "intake.toml"
    monkeypatch.setattr(settings, "INTAKE_FILE", path)
    return path


def test_the_shipped_values():
    assert settings.time_zone() == "Asia/Shanghai"
    assert settings.deadline_day() == 5
    assert settings.sandbox_limits() == {"memory_mb": 1024, "timeout_seconds": 60, "max_parallel": 1}
    assert configured_limits() == Limits(1024, 60.0, 1)
    assert settings.lamp_rule() == settings.LampRule(10.0, 2, "2025-12-31")
    assert reader.limits()["max_rows"] == 60000 and reader.limits()["max_user_chars"] == 40
    assert [c.key for c in indicator_columns()][:3] == ["legal_persons", "micro_power_list", "discipline_member"]


def test_a_setting_left_out_takes_its_registered_default(intake_file):
    intake_file.write_text("[limits]\nmax_rows = 10\n", encoding="utf-8")
    assert settings.time_zone() == "Asia/Shanghai"
    assert settings.deadline_day() == 5
    assert configured_limits() == Limits(1024, 60.0, 1)
    assert settings.intake_limits() == {"max_rows": 10}


def test_an_edited_file_is_read_again(intake_file):
    intake_file.write_text("[deadline]\nday_of_next_month = 5\n[sandbox]\nmax_parallel = 0\n", encoding="utf-8")
    assert settings.deadline_day() == 5
    assert configured_limits().max_parallel == 1  # at least one file is checked at a time
    intake_file.write_text("[deadline]\nday_of_next_month = 10\n[sandbox]\nmax_parallel = 3\n", encoding="utf-8")
    assert settings.deadline_day() == 10
    assert configured_limits().max_parallel == 3


def test_a_returned_section_is_a_copy(intake_file):
    intake_file.write_text("[limits]\nmax_rows = 10\n", encoding="utf-8")
    settings.intake_limits()["max_rows"] = 1
    assert settings.intake_limits() == {"max_rows": 10}


def test_lamp_thresholds_and_plan_dates_come_from_the_plan_config(tmp_path, monkeypatch):
    path = tmp_path / "plan_config.toml"
    path.write_text('[plan]\nstart = "2024-01-01"\n[targets]\ncounty_brand = "2026-12-31"\n'
                    '[lamp]\nyellow_gap_points = 5\nmeasure_deadline = 2026-06-30\n', encoding="utf-8")
    monkeypatch.setattr(settings, "PLAN_CONFIG_FILE", path)
    assert settings.lamp_rule() == settings.LampRule(5.0, 2, "2026-06-30")
    assert load_plan_config().start == "2024-01-01"


def test_docs_show_the_configured_limits(intake_file):
    shipped = (settings.DATA_DIR / "intake.toml").read_text(encoding="utf-8")
    intake_file.write_text(shipped.replace("memory_mb = 1024", "memory_mb = 2048"), encoding="utf-8")
    assert "| 校验子进程的内存上限 | 2,048 MB |" in docs.render_docs()


def test_tile_url_env_then_secrets_then_none(tmp_path, monkeypatch):
    """The map's basemap: the environment first, then secrets.toml, else none (nothing fetched)."""
    secrets = tmp_path / "secrets.toml"
    monkeypatch.setattr(settings, "SECRETS_FILE", secrets)
    monkeypatch.delenv("QINGLIAN_TILE_URL", raising=False)
    assert settings.tile_url() is None
    secrets.write_text('[map]\ntile_url = " http://10.0.0.5/t/{z}/{x}/{y}.png "\n', encoding="utf-8")
    assert settings.tile_url() == "http://10.0.0.5/t/{z}/{x}/{y}.png"
    monkeypatch.setenv("QINGLIAN_TILE_URL", "http://tiles.intranet/{z}/{x}/{y}.png")
    assert settings.tile_url() == "http://tiles.intranet/{z}/{x}/{y}.png"
    monkeypatch.setenv("QINGLIAN_TILE_URL", "  ")
    assert settings.tile_url() == "http://10.0.0.5/t/{z}/{x}/{y}.png"


def test_a_variable_read_must_be_registered(monkeypatch):
    monkeypatch.setenv("QINGLIAN_SOMETHING", "x")
    with pytest.raises(KeyError, match="QINGLIAN_SOMETHING"):
        settings._env("QINGLIAN_SOMETHING")
    monkeypatch.setenv("QINGLIAN_VAR", "/srv/qinglian")
    assert settings._env("QINGLIAN_VAR") == "/srv/qinglian"


def test_a_child_process_gets_this_environment_and_more(monkeypatch):
    monkeypatch.setenv("QINGLIAN_DB_URL", "sqlite:////srv/x.db")
    env = settings.child_env(OMP_NUM_THREADS="1")
    assert env["QINGLIAN_DB_URL"] == "sqlite:////srv/x.db" and env["OMP_NUM_THREADS"] == "1"

