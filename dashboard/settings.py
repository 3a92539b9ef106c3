"""App settings in one place: where the store lives and the plan's configured defaults.

The store URL is resolved once, in this order: env ``QINGLIAN_DB_URL``, ``[store] url`` in
``.streamlit/secrets.toml``, else the embedded SQLite file under the git-ignored ``var/`` folder.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
DEFAULT_PLAN_FILE = DATA_DIR / "plan.txt"


def time_zone() -> str:
    """The zone deadlines, cut-offs and shown times are in (``[time] zone`` of data/intake.toml)."""
    with (DATA_DIR / "intake.toml").open("rb") as fh:
        return tomllib.load(fh).get("time", {}).get("zone", "Asia/Shanghai")


def var_dir() -> Path:
    """Folder for runtime files (database, exports); ``QINGLIAN_VAR`` overrides ``<repo>/var``."""
    path = Path(os.environ.get("QINGLIAN_VAR", ROOT / "var"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secrets_url() -> str | None:
    if not SECRETS_FILE.exists():
        return None
    with SECRETS_FILE.open("rb") as fh:
        return tomllib.load(fh).get("store", {}).get("url")


def db_url() -> str:
    """The store URL: env, then secrets, then ``sqlite:///var/qinglian.db``."""
    return (
        os.environ.get("QINGLIAN_DB_URL")
        or _secrets_url()
        or f"sqlite:///{var_dir() / 'qinglian.db'}"
    )


@dataclass(frozen=True)
class LampRule:
    """Thresholds of the lamp rule (BRIEF §2), read from ``[lamp]`` in data/plan_config.toml."""

    yellow_gap_points: float = 10.0
    red_missing_months: int = 2
    measure_deadline: str = "2025-12-31"

    def text(self) -> str:
        """The rule in words, written next to every lamp — the rule :func:`dashboard.metrics.expected_on`,
        :func:`dashboard.metrics.lamp` and the measure lamps compute, with the thresholds of this config."""
        return (
            "应达值按直线进度计算:方案起始为0,依次连到各节点(措施为完成期限时的100%),最后一个节点之后为该节点值。"
            "绿灯:达到或超过应达值;"
            f"黄灯:落后不足{self.yellow_gap_points:g}个百分点,或措施月报过了报送截止日仍未报送当月(迟报1个月);"
            f"红灯:落后{self.yellow_gap_points:g}个百分点及以上、节点日期已过仍未达标,"
            f"或连续{self.red_missing_months}个月及以上未报送。"
            "措施报为“已完成”且进度100%后不再需要月报,保持绿灯。"
        )


def lamp_rule() -> LampRule:
    with (DATA_DIR / "plan_config.toml").open("rb") as fh:
        raw = tomllib.load(fh).get("lamp", {})
    return LampRule(**{k: type(getattr(LampRule, k))(v) if k != "measure_deadline" else str(v)
                       for k, v in raw.items() if k in LampRule.__dataclass_fields__})


# Demo-site statuses that count as "the township has a demo site".
BUILT_STATUSES = ("已建成", "已验收命名")
DEMO_SITE_STATUSES = ("计划创建", "创建中", "已建成", "已验收命名")
DEMO_SITE_LEVELS = ("市级", "县级")
MEASURE_STATUSES = ("未启动", "推进中", "已完成", "滞后")

# Spreadsheet kinds staff upload each month: key -> Chinese name.
KIND_LABELS = {
    "village_monthly": "村级指标月报",
    "demo_sites": "示范点台账",
    "measure_progress": "措施推进月报",
    "county_brands": "县级特色品牌",
    "roster": "村级名录",
}
