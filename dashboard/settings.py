"""App settings in one place: every setting file and environment variable the app reads is read here.

:data:`SETTINGS` lists each setting once — where it lives, its default and what it means — and the
functions below read exactly those. A test checks that each is documented in README.md (「配置项」), that
the shipped files under ``data/`` hold no key missing from the list, and that no other module reads a
TOML file or the environment.

The store URL is resolved in this order: env ``QINGLIAN_DB_URL``, ``[store] url`` in
``.streamlit/secrets.toml``, else the embedded SQLite file under the git-ignored ``var/`` folder.
A file is parsed again only when it changes (modification time, size or inode), so an edit is read on the
next call as before, while the many reads of a page rerun cost one ``stat`` each.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "data"
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
INTAKE_FILE = DATA_DIR / "intake.toml"
PLAN_CONFIG_FILE = DATA_DIR / "plan_config.toml"
INDICATORS_FILE = DATA_DIR / "indicators.toml"
DEFAULT_PLAN_FILE = DATA_DIR / "plan.txt"

# Where a setting lives, as README.md names it.
INTAKE, PLAN_CONFIG, INDICATORS = "data/intake.toml", "data/plan_config.toml", "data/indicators.toml"
SECRETS, ENV = ".streamlit/secrets.toml", "环境变量"

ConfigError = tomllib.TOMLDecodeError  # what reading a malformed settings file raises (a ValueError)


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


@dataclass(frozen=True)
class Setting:
    """One setting: its file (or :data:`ENV`), its key (``[section] key``, or the variable's name), the value
    used when it is not set (None: required, or nothing), and what it means."""

    source: str
    key: str
    default: object
    meaning: str


def _limit(key: str, meaning: str) -> Setting:
    return Setting(INTAKE, f"[limits] {key}", None, meaning)


def _target(key: str, meaning: str) -> Setting:
    return Setting(PLAN_CONFIG, f"[targets] {key}", None, meaning)


def _indicator(key: str, default: object, meaning: str) -> Setting:
    return Setting(INDICATORS, f"[[indicator]] {key}", default, meaning)


SETTINGS: tuple[Setting, ...] = (
    Setting(ENV, "QINGLIAN_DB_URL", None, "数据库地址,优先于 secrets 中的 `[store] url`(见“数据库”)"),
    Setting(ENV, "QINGLIAN_VAR", None, "运行时文件(内置 SQLite 数据库等)的目录"),
    Setting(ENV, "QINGLIAN_COOKIE_SECRET", None, "登录 Cookie 的签名密钥,优先于 secrets 中的 `[session] cookie_secret`"),
    Setting(ENV, "QINGLIAN_TILE_URL", None, "地图底图瓦片地址,优先于 secrets 中的 `[map] tile_url`"),
    Setting(SECRETS, "[store] url", None, "数据库地址,多人共用时指向 PostgreSQL"),
    Setting(SECRETS, "[session] cookie_secret", None,
            "签名登录 Cookie 的密钥(至少 32 个字符);多个服务进程须相同。未设置时 `qinglian serve` 首次启动自动生成并写入本文件"),
    Setting(SECRETS, "[session] oidc", False,
            "为 true 时登录页提供“统一身份认证登录”(Streamlit `st.login`,须另配 `[auth]`);按邮箱对应本地账号"),
    Setting(SECRETS, "[session] trusted_proxy_header", "",
            "可信代理模式(默认关闭):前置代理已认证用户并在此请求头中给出账号名,如 `X-Remote-User`(风险见“账号、登录与审计”)"),
    Setting(SECRETS, "[session] trusted_proxies", ("127.0.0.1",), "可信代理模式下,只接受来自这些地址的请求头"),
    Setting(SECRETS, "[map] tile_url", None, "内网 XYZ 瓦片地址模板,须为 WGS-84 / CGCS2000 坐标(见“内网部署注意”)"),
    Setting(INTAKE, "[time] zone", "Asia/Shanghai", "截止时间、“数据截至”截止点和页面显示时间所用的时区"),
    Setting(INTAKE, "[deadline] day_of_next_month", 5, "每月报送截止日:次月第几日(含当日,北京时间 24 时前)"),
    _limit("max_file_mb", "上传文件大小上限(MB)"),
    _limit("max_rows", "数据行数上限"),
    _limit("max_columns", "列数上限"),
    _limit("max_cells", "数据区域(最远单元格行号 × 列号)的单元格总数上限"),
    Setting(INTAKE, "[limits] max_boundary_mb", 50, "边界文件(GeoJSON 或 shapefile .zip,解压后)大小上限(MB)"),
    _limit("max_members", ".xlsx 压缩包内部件数上限"),
    _limit("max_member_mb", "单个部件解压后大小上限(MB)"),
    _limit("max_uncompressed_mb", "全部部件解压后大小上限(MB)"),
    _limit("max_compression_ratio", "压缩比上限"),
    _limit("max_file_name_chars", "文件名长度上限(字)"),
    _limit("max_user_chars", "填报人姓名长度上限(字)"),
    Setting(INTAKE, "[sandbox] memory_mb", 1024, "校验子进程的内存上限(MB)"),
    Setting(INTAKE, "[sandbox] timeout_seconds", 60, "校验一个文件的时间上限(秒)"),
    Setting(INTAKE, "[sandbox] max_parallel", 1, "每个服务进程同时校验的文件数,其余排队"),
    Setting(INTAKE, "[accounts] max_failures", 5, "连续输错密码这么多次后锁定账号"),
    Setting(INTAKE, "[accounts] lock_minutes", 15, "账号锁定的时长(分钟),期满自动解锁,管理员也可重设密码解锁"),
    Setting(INTAKE, "[accounts] idle_minutes", 30, "登录后无操作超过这么多分钟须重新登录"),
    Setting(INTAKE, "[accounts] min_password_chars", 10, "密码最短长度(字符)"),
    Setting(PLAN_CONFIG, "[plan] start", None, "方案起始日期,直线进度的起点"),
    _target("township_demo_40", "乡镇示范点达 40% 的期限(原文年份被遮盖)"),
    _target("township_demo_70", "乡镇示范点达 70% 的期限"),
    _target("county_brand", "每县都有特色亮点和品牌的期限"),
    _target("micro_power_list", "小微权力清单村级全覆盖的期限"),
    _target("discipline_member", "规范配备纪检委员的期限"),
    Setting(PLAN_CONFIG, "[parser] full_coverage", (), "本市方案表示“全部做到”(=100%)的其他说法,如「规范配备」"),
    Setting(PLAN_CONFIG, "[lamp] yellow_gap_points", LampRule.yellow_gap_points, "落后应达值不足这么多个百分点为黄灯,达到或超过为红灯"),
    Setting(PLAN_CONFIG, "[lamp] red_missing_months", LampRule.red_missing_months, "连续这么多个月及以上未报送为红灯"),
    Setting(PLAN_CONFIG, "[lamp] measure_deadline", LampRule.measure_deadline, "措施未写明完成期限时,按此日期计算直线进度"),
    _indicator("key", None, "村级指标的英文标识(与村级月报表的列同名则存入该列,否则存入 extra)"),
    _indicator("label", None, "模板表头(中文)"),
    _indicator("type", None, "`int`(非负整数)或 `bool`(是/否)"),
    _indicator("help", "", "填报说明"),
    _indicator("aliases", (), "可识别的其他表头写法"),
    _indicator("group", None, "合并表头的上级标题,如「问题线索」"),
    _indicator("target_label", None, "方案目标按此指标跟踪时的名称,人数指标可用 `{threshold:g}` 代表每村要求人数"),
    _indicator("target_met", None, "通报中“一个村达标”的说法,如「已制定小微权力清单」"),
)
_REGISTERED = {(s.source, s.key): s for s in SETTINGS}


def _path(source: str) -> Path:
    # looked up at call time, so a test can point SECRETS_FILE (or a data file) elsewhere
    return {SECRETS: SECRETS_FILE, INTAKE: INTAKE_FILE, PLAN_CONFIG: PLAN_CONFIG_FILE,
            INDICATORS: INDICATORS_FILE}[source]


@lru_cache(maxsize=32)
def _parse(path: Path, mtime_ns: int, size: int, inode: int) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def read_toml(path: Path, missing_ok: bool = False) -> dict:
    """The parsed file at ``path`` (do not modify it: it is shared until the file changes); raises
    FileNotFoundError (or returns {} with ``missing_ok``) and :data:`ConfigError`."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        if missing_ok:
            return {}
        raise
    return _parse(path, stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _value(source: str, section: str, key: str):
    """A registered file setting's value, or its registered default."""
    default = _REGISTERED[(source, f"[{section}] {key}")].default
    return read_toml(_path(source), missing_ok=source == SECRETS).get(section, {}).get(key, default)


def _env(name: str) -> str | None:
    if (ENV, name) not in _REGISTERED:
        raise KeyError(f"{name} is not registered in SETTINGS")
    return os.environ.get(name)


def time_zone() -> str:
    """The zone deadlines, cut-offs and shown times are in (``[time] zone`` of data/intake.toml)."""
    return _value(INTAKE, "time", "zone")


def deadline_day() -> int:
    """Day of the next month by which a period must be reported (data/intake.toml, default 5)."""
    return int(_value(INTAKE, "deadline", "day_of_next_month"))


def intake_limits() -> dict:
    """The reader's limits (``[limits]`` of data/intake.toml), every key required."""
    return dict(read_toml(INTAKE_FILE)["limits"])


def sandbox_limits() -> dict:
    """``[sandbox]`` of data/intake.toml: memory_mb, timeout_seconds, max_parallel, as written (or defaults)."""
    return {key: _value(INTAKE, "sandbox", key) for key in ("memory_mb", "timeout_seconds", "max_parallel")}


def account_rules() -> dict:
    """``[accounts]`` of data/intake.toml: max_failures, lock_minutes, idle_minutes, min_password_chars."""
    keys = ("max_failures", "lock_minutes", "idle_minutes", "min_password_chars")
    return {key: int(_value(INTAKE, "accounts", key)) for key in keys}


def session_rules() -> dict:
    """``[session]`` of .streamlit/secrets.toml: cookie_secret (None when unset), oidc, trusted_proxy_header,
    trusted_proxies — how browsers sign in."""
    secret = _env("QINGLIAN_COOKIE_SECRET") or _value(SECRETS, "session", "cookie_secret")
    return {"cookie_secret": str(secret) if secret else None,
            "oidc": bool(_value(SECRETS, "session", "oidc")),
            "trusted_proxy_header": str(_value(SECRETS, "session", "trusted_proxy_header") or "").strip(),
            "trusted_proxies": tuple(str(a) for a in _value(SECRETS, "session", "trusted_proxies"))}


def ensure_cookie_secret() -> str:
    """The cookie secret; on first start (none set) a random one is written to .streamlit/secrets.toml (mode 600),
    so a reload keeps the sign-in and every process started from this folder shares it."""
    import secrets as random

    current = session_rules()["cookie_secret"]
    if current:
        return current
    secret = random.token_urlsafe(48)
    path = _path(SECRETS)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    line = f'cookie_secret = "{secret}"  # 自动生成:签名登录 Cookie;多个服务进程须使用同一个值\n'
    header = re.search(r"^\[session\][^\n]*\n", text, flags=re.M)
    if header:  # a section without the key: add it right under the header (whatever follows it on its line)
        text = text[:header.end()] + line + text[header.end():]
    else:
        text += ("\n" if text and not text.endswith("\n") else "") + "\n[session]\n" + line
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return secret


def proxy_mode_for_uvicorn() -> None:
    """In trusted-proxy mode the app decides by the address that connected (the proxy's). Uvicorn, which serves
    the app, would otherwise replace it with the X-Forwarded-For of a request from 127.0.0.1, i.e. with the
    user's own address: tell it to trust no forwarding header (its ``FORWARDED_ALLOW_IPS``)."""
    if session_rules()["trusted_proxy_header"]:
        os.environ["FORWARDED_ALLOW_IPS"] = ""


def var_dir() -> Path:
    """Folder for runtime files (database, exports); ``QINGLIAN_VAR`` overrides ``<repo>/var``."""
    value = _env("QINGLIAN_VAR")
    path = Path(value if value is not None else ROOT / "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


def db_url() -> str:
    """The store URL: env, then secrets, then ``sqlite:///var/qinglian.db``."""
    return _env("QINGLIAN_DB_URL") or _value(SECRETS, "store", "url") or f"sqlite:///{var_dir() / 'qinglian.db'}"


def tile_url() -> str | None:
    """The configured XYZ tile template (env, then secrets), or None: no basemap, nothing fetched."""
    url = (_env("QINGLIAN_TILE_URL") or "").strip() or str(_value(SECRETS, "map", "tile_url") or "").strip()
    return url or None


def plan_config(path: Path | None = None) -> dict:
    """The parsed plan configuration (data/plan_config.toml, or ``path``); raises FileNotFoundError and
    :data:`ConfigError`. Its dates are checked by :func:`dashboard.plan.load_plan_config`."""
    return read_toml(path or PLAN_CONFIG_FILE)


def lamp_rule() -> LampRule:
    return LampRule(float(_value(PLAN_CONFIG, "lamp", "yellow_gap_points")),
                    int(_value(PLAN_CONFIG, "lamp", "red_missing_months")),
                    str(_value(PLAN_CONFIG, "lamp", "measure_deadline")))


def indicators(path: Path | None = None) -> list[dict]:
    """The ``[[indicator]]`` entries of the village indicator catalogue (data/indicators.toml)."""
    return [dict(item) for item in read_toml(path or INDICATORS_FILE)["indicator"]]


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment plus ``extra``, for a child process (the settings above travel with it)."""
    return {**os.environ, **extra}


# Demo-site statuses that count as "the township has a demo site".
BUILT_STATUSES = ("已建成", "已验收命名")
DEMO_SITE_STATUSES = ("计划创建", "创建中", "已建成", "已验收命名")
DEMO_SITE_LEVELS = ("市级", "县级")
MEASURE_STATUSES = ("未启动", "推进中", "已完成", "滞后")
