"""The one module that owns Streamlit connections and caching, plus shared page furniture.

Pages call :func:`engine` (migrated once per process), read through the cached helpers keyed by
the store's data version, and wrap their body in :func:`guarded` so no traceback reaches a user.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from contextlib import contextmanager

import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler
from sqlalchemy import Engine

from dashboard import charts, coverage, exports, facts, freeze, months, queries, report, targets
from dashboard.catalog import active_plan, ready
from dashboard.plan import load_plan_config
from dashboard.scope import ScopeError
from dashboard.settings import db_url, deadline_day, intake_limits, lamp_rule
from dashboard.store import StoreError, make_engine, store_fault
from loaders.schema import KIND_LABELS

log = logging.getLogger("qinglian")


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    eng = make_engine(url)
    ready(eng)
    return eng


def engine() -> Engine:
    """The shared store, with every pending migration applied and a plan loaded on first use of its URL."""
    return _engine(db_url())


VERSION_KEY = "_store_version_this_run"


def version() -> tuple:
    """Current store and data version: the cache key of everything read from the store (freezing or
    unfreezing a month changes it too). Read once per script run — the page, sidebar and source list ask a
    dozen times, and on a national store each read counts 230,000 uploads."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    run = getattr(get_script_run_ctx(), "cursors", None)  # a new dict at every run: marks this run
    memo = st.session_state.get(VERSION_KEY) if run is not None else None
    if memo is not None and memo[0] is run:
        return memo[1]
    ver = (db_url(), *queries.data_version(engine()))
    if run is not None:
        st.session_state[VERSION_KEY] = (run, ver)  # holding the dict keeps its identity unique
    return ver


@st.cache_data(show_spinner=False)
def plan_view(ver: tuple):
    return active_plan(engine())


@st.cache_data(show_spinner=False)
def region_counts(ver: tuple) -> dict[str, int]:
    return queries.region_counts(engine())


@st.cache_data(show_spinner=False)
def periods(ver: tuple) -> list[str]:
    return queries.periods(engine())


@st.cache_data(show_spinner=False)
def townships(ver: tuple):
    return queries.townships(engine())


@st.cache_data(show_spinner=False)
def has_demo_data(ver: tuple) -> bool:
    return queries.has_demo_data(engine())


def demo_banner(ver: tuple) -> None:
    """A visible notice when the figures come from the generated demo city (in meeting mode the stamp says it)."""
    if has_demo_data(ver) and not meeting_mode():
        st.warning("当前显示的是**演示数据**(虚构的清源市),并非真实上报数据。", icon=":material/science:")


@contextmanager
def guarded(page: str):
    """Show a Chinese error instead of a traceback when the page body fails; log the details."""
    try:
        yield
    except ScopeError as exc:  # outside the account's scope: said as such, nothing was done
        st.error(str(exc), icon=":material/lock:")
    except Exception as exc:  # the page edge: a store fault is said as such; anything else is a bug
        fault = exc if isinstance(exc, StoreError) else store_fault(exc, db_url())
        if fault is not None:
            log.warning("页面「%s」:数据库不可用(%s):%s", page, fault.kind, exc)
            st.error(fault.page_text(), icon=":material/cloud_off:")
            return
        log.exception("页面「%s」出错", page)
        st.error(
            f"「{page}」页面加载失败,请刷新重试;如仍失败,请联系系统管理员并告知出错时间。",
            icon=":material/error:",
        )


@st.cache_data(show_spinner=False, max_entries=16)
def kinds_in_effect(ver: tuple, as_of: str) -> set[str]:
    return facts.kinds_in_effect(engine(), facts.View(as_of))


def missing_notice(view: facts.View, kinds: tuple[str, ...]) -> None:
    """Say which of the reports behind this page's figures are not in yet for the as-of month."""
    missing = [k for k in kinds if k not in kinds_in_effect(version(), view.as_of)]
    if missing:
        names = "、".join(KIND_LABELS[k] for k in missing)
        st.info(f"{period_label(view.as_of)}尚无{names}:页面先显示已有的数据,缺少的部分显示为未报送。"
                "请在「数据上报」页下载模板填写后上传。", icon=":material/pending_actions:")


@st.cache_data(show_spinner=False)
def counties(ver: tuple) -> dict[str, str]:
    """County code -> name, in code order."""
    return queries.counties(engine())


period_label = months.label


_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# GFM turns bare URLs and e-mail addresses into links after escapes are resolved; an invisible word joiner
# inside "://", "www." and before "@" keeps them plain text.
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def plain(text) -> str:
    """Text shown exactly as typed in any element that reads Markdown (st.markdown, st.caption, metric
    labels, help=, expander/tab/button labels, alert bodies, st.table cells): every ASCII punctuation mark
    is backslash-escaped and bare links are broken by an invisible word joiner, so no link, image, HTML,
    KaTeX, directive or emoji code can form."""
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, str(text)))


# --- page chrome -------------------------------------------------------------------------------------

_UPLOADER = "[data-testid=stFileUploaderDropzone]"


def chinese_chrome() -> None:
    """Streamlit writes its file uploader's button ("Upload") and size hint ("20MB per file") in English and
    cannot be told otherwise: CSS sizes the English to zero and draws the Chinese in its place."""
    mb = intake_limits()["max_file_mb"]
    st.html(f"""<style>
{_UPLOADER} [data-testid=stBaseButton-secondary] [data-testid=stMarkdownContainer] p {{font-size: 0}}
{_UPLOADER} [data-testid=stBaseButton-secondary] [data-testid=stMarkdownContainer] p::after
  {{content: "选择文件"; font-size: 0.875rem}}
[data-testid=stFileUploaderDropzoneInstructions] span {{font-size: 0}}
[data-testid=stFileUploaderDropzoneInstructions] span::after
  {{content: "或把文件拖到这里 · 每个文件不超过 {mb:g} MB"; font-size: 0.875rem}}
</style>""")


# --- the shared frame of the dashboard pages ---------------------------------------------------

ALL = "all"


def default_month(available: list[str]) -> str:
    """The newest month whose reporting deadline has passed (else the oldest one there is)."""
    day = deadline_day()
    done = [m for m in available if not months.in_progress(m, day)]
    return done[-1] if done else available[0]


def month_choice(period: str) -> str:
    """A month as the "数据截至" list shows it: still 报送中 before its deadline."""
    suffix = "(报送中)" if months.in_progress(period, deadline_day()) else ""
    return period_label(period) + suffix


def _remember(name: str) -> None:
    st.session_state[f"_{name}"] = st.session_state[f"{name}_widget"]
    st.session_state[f"_{name}_chosen"] = True


def frame() -> facts.View:
    """Sidebar "数据截至" month and county, kept in the URL (?month=YYYY-MM&county=CODE) and across pages.
    In meeting mode the sidebar is hidden: the same month and county are taken from the session or the URL."""
    ver = version()
    available = periods(ver)
    names = counties(ver)
    if not available:
        return facts.View(months.this_month())
    params = st.query_params
    default = default_month(available)
    if "_month" not in st.session_state:
        st.session_state["_month_chosen"] = params.get("month") in available
        st.session_state["_month"] = params.get("month") if params.get("month") in available else default
    elif not st.session_state.get("_month_chosen"):
        st.session_state["_month"] = default  # follow the newest complete month until the user picks one
    if "_county" not in st.session_state:
        st.session_state["_county"] = params.get("county") if params.get("county") in names else ALL
    month = st.session_state["_month"] if st.session_state["_month"] in available else available[-1]
    county = st.session_state["_county"] if st.session_state["_county"] in names else ALL
    if not meeting_mode():
        month, county = _frame_widgets(available, names, month, county)
    st.session_state["_month"], st.session_state["_county"] = month, county
    st.query_params["month"] = month
    st.query_params["county"] = county
    if meeting_mode():
        st.query_params["meeting"] = "1"
    elif "meeting" in st.query_params:  # ?meeting=0 has done its work
        del st.query_params["meeting"]
    return facts.View(month, None if county == ALL else county)


def _frame_widgets(available: list[str], names: dict[str, str], month: str, county: str) -> tuple[str, str]:
    options = [ALL, *names]
    with st.sidebar:
        month = st.selectbox("数据截至", available[::-1], index=available[::-1].index(month), format_func=month_choice,
                             key="month_widget", on_change=_remember, args=("month",),
                             help="显示截至该月的上报数据;采用该月之后一个月月底时的版本,可重现当时的看板。")
        county = st.selectbox("县(市、区)", options, index=options.index(county),
                              format_func=lambda c: "全市" if c == ALL else names[c],
                              key="county_widget", on_change=_remember, args=("county",))
        st.link_button("会议模式", f"?meeting=1&embed=true&month={month}&county={county}",
                       icon=":material/co_present:", width="stretch",
                       help="在新标签页中以会议模式打开本页,供投影和截图:隐藏侧边栏、放大字号,每页标明数据截至和来源,"
                            "点「下一页」依次切换总览、示范点地图、目标进度、责任落实。关闭该标签页即退出。")
    return month, county


def view_caption(view: facts.View) -> str:
    names = counties(version())
    where = names.get(view.county, "全市") if view.county else "全市"
    return f"{where} · 数据截至 {period_label(view.as_of)}"


@st.cache_data(show_spinner=False, max_entries=16)
def _sources(ver: tuple, kinds: tuple[str, ...], as_of: str, county: str | None) -> pd.DataFrame:
    return facts.sources(engine(), kinds, facts.View(as_of), county)


@st.cache_data(show_spinner=False, max_entries=32)
def _source_count(ver: tuple, kinds: tuple[str, ...], as_of: str, county: str | None) -> int:
    return facts.source_count(engine(), kinds, facts.View(as_of), county)


SOURCES_KEY = "sources_open"  # whether 数据来源 is open (st.session_state; tests open it through this key)


def sources_expander(view: facts.View, kinds: tuple[str, ...]) -> None:
    """"数据来源": exactly the uploads (file, uploader, time) the page's figures rest on. The label counts them;
    the list itself is read when the expander is opened (a country's month rests on 10,000 uploads)."""
    box = st.expander(f"数据来源(共 {_source_count(version(), kinds, view.as_of, view.county)} 份上报)",
                      icon=":material/source:", key=SOURCES_KEY, on_change="rerun")
    if not box.open:
        return
    frame_ = _sources(version(), kinds, view.as_of, view.county)
    names = counties(version())
    with box:
        if frame_.empty:
            st.caption("没有对应的上报数据。")
            return
        table(pd.DataFrame({
            "报表": frame_["kind"].map(KIND_LABELS), "报送期": frame_["period"],
            "范围": frame_["scope"].map(lambda s: names.get(s, s)), "文件": frame_["file_name"],
            "填报人": frame_["uploaded_by"], "上报时间": pd.to_datetime(frame_["uploaded_at"]).dt.strftime("%Y-%m-%d %H:%M"),
            "说明": frame_["late"].map(lambda late: "迟报(截止点后首次上报)" if late else ""),
        }), "数据来源", view, "sources", height=min(400, 38 + 35 * len(frame_)))


# --- tables: every table on a page comes with its .xlsx ------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def table(data: pd.DataFrame | Styler, title: str, view: facts.View | None, key: str, *, stamp: str | None = None,
          export: pd.DataFrame | None = None, sheet: str = "数据", **dataframe_kwargs) -> None:
    """A table and, right under it, "下载(.xlsx)": the same rows (a Styler's frame, or ``export`` when the file
    should hold the full table behind a compact one) under a title row and a stamp row — ``stamp``, else the
    view's "{全市/县名} · 数据截至 …". ``key`` is unique on the page. In meeting mode the table is drawn as
    plain HTML, whose text the projector's larger font reaches, and the button is left out."""
    if meeting_mode():
        _meeting_table(data)
        return
    st.dataframe(data, **{"hide_index": True, "width": "stretch"} | dataframe_kwargs)
    frame_ = export if export is not None else data.data if isinstance(data, Styler) else data
    download(frame_, title, view, key, stamp=stamp, sheet=sheet)


MEETING_ROWS = 40


def _meeting_table(data: pd.DataFrame | Styler) -> None:
    """st.table reads Markdown in its cells: text goes through :func:`plain`. Long lists are cut for the screen."""
    if isinstance(data, Styler):
        st.table(data.format(_cell, na_rep="—"), hide_index=True)
        return
    st.table(data.head(MEETING_ROWS).style.format(_cell, na_rep="—"), hide_index=True)
    if len(data) > MEETING_ROWS:
        st.caption(f"共 {len(data):,} 行,此处显示前 {MEETING_ROWS} 行;完整清单请在看板中下载。")


def _cell(value) -> str:
    return f"{value:g}" if isinstance(value, float) else plain(value)


def download(frame_: pd.DataFrame, title: str, view: facts.View | None, key: str, *, stamp: str | None = None,
             sheet: str = "数据") -> None:
    """The "下载(.xlsx)" button of :func:`table`, for a table shown otherwise (st.table); built on click."""
    stamp = stamp or view_caption(view)
    month = f"_{view.as_of}" if view else ""
    st.download_button(
        "下载(.xlsx)", data=lambda: exports.table_xlsx(frame_, title, stamp, sheet), on_click="ignore",
        file_name=f"{_NOT_IN_FILE_NAMES.sub('_', title)}{month}.xlsx", mime=XLSX, key=f"xlsx_{key}",
        icon=":material/download:", type="tertiary", help=plain(f"下载「{title}」(Excel 表格,注明{stamp})"))


# --- meeting mode: projection and live screenshots ------------------------------------------------

MEETING_PAGES = {"pages/overview.py": "总览", "pages/map.py": "示范点地图", "pages/targets.py": "目标进度",
                 "pages/accountability.py": "责任落实"}  # the 下一页 cycle, in order


def meeting_flag() -> bool:
    """Turn meeting mode on (?meeting=1) or off (?meeting=0). The flag lives in the session because Streamlit
    drops a page's own query parameters when the page changes; while on, :func:`frame` puts it back in the URL
    (with the month and county), so a reload stays in meeting mode."""
    asked = st.query_params.get("meeting")
    if asked in ("0", "1"):
        st.session_state["_meeting"] = asked == "1"
    return meeting_mode()


def meeting_mode() -> bool:
    return bool(st.session_state.get("_meeting"))


_MEETING_CSS = """<style>
[data-testid=stSidebar], [data-testid=stSidebarCollapsedControl], [data-testid=stExpandSidebarButton],
header[data-testid=stHeader], [data-testid=stToolbar], [data-testid=stDecoration] {display: none !important}
[data-testid=stMainBlockContainer] {padding: 1.5rem 2.5rem 2rem; max-width: none}
[data-testid=stMetricValue] p {font-size: 3rem}
[data-testid=stMetricLabel] p {font-size: 1.15rem}
[data-testid=stMetricDelta] p {font-size: 1.05rem}
[data-testid=stMarkdown] p, [data-testid=stMarkdown] li {font-size: 1.2rem}
[data-testid=stCaptionContainer] p {font-size: 1.05rem}
[data-testid=stTable] th, [data-testid=stTable] td {font-size: 1.1rem; min-width: 3em}
[data-testid=stTable] th, [data-testid=stTable] th * {white-space: nowrap}
[data-testid=stAlert] p {font-size: 1.1rem}
.st-key-meeting_stamp [data-testid=stMarkdown] p {font-size: 1.3rem}
.st-key-meeting_stamp [data-testid=stPageLink] p {font-size: 1.25rem; font-weight: 600}
</style>"""


def meeting_chrome() -> None:
    """Meeting mode's look: no sidebar, header or toolbar; larger figures, text and tables for a projector."""
    st.html(_MEETING_CSS)


def title(text: str) -> None:
    """The page title; in meeting mode :func:`meeting_stamp` shows it with the stamp instead."""
    if not meeting_mode():
        st.title(text)


def meeting_stamp(page: str, title_text: str, view: facts.View, kinds: tuple[str, ...], city_wide: bool = False) -> None:
    """Meeting mode's header: the page title, "{全市/县名} · 数据截至 …" (全市 on a ``city_wide`` page whatever
    county is chosen), the reports behind the page, and 下一页 (same month and county)."""
    if not meeting_mode():
        return
    shown = facts.View(view.as_of) if city_wide else view
    used = _source_count(version(), kinds, shown.as_of, shown.county)
    demo = ";演示数据(虚构的清源市),并非真实上报数据" if has_demo_data(version()) else ""
    with st.container(key="meeting_stamp"):
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.title(title_text)
        links = right.container(horizontal_alignment="right")
        links.page_link(**next_page(page, view))
        links.page_link(page, label="退出会议模式", icon=":material/close:",
                        query_params={"meeting": "0", "month": view.as_of, "county": view.county or ALL})
        st.markdown(plain(f"{view_caption(shown)} · 来源:{'、'.join(KIND_LABELS[k] for k in kinds)}"
                          f"(共 {used} 份上报){demo}"))


def next_page(current: str, view: facts.View) -> dict:
    """st.page_link arguments of 下一页: the next page of the meeting cycle, with the same month and county."""
    order = list(MEETING_PAGES)
    following = order[(order.index(current) + 1) % len(order)] if current in order else order[0]
    return {"page": following, "label": f"下一页:{MEETING_PAGES[following]}", "icon": ":material/arrow_forward:",
            "query_params": {"meeting": "1", "month": view.as_of, "county": view.county or ALL}}


def export_button(view: facts.View, sections: tuple[str, ...]) -> None:
    """"导出会议材料" for this page's slides; not in meeting mode (the screen is being shown)."""
    if not meeting_mode():
        from dashboard import export_ui  # it imports this module

        export_ui.meeting_button(view, sections)


# --- the ranking as last 通报ed: the latest frozen month before the as-of month -------------------

@st.cache_data(show_spinner=False, max_entries=8)
def frozen_ranking(ver: tuple, as_of: str) -> tuple[str, str, pd.DataFrame] | None:
    """(month, frozen-at text, ranking table) of the latest month frozen before ``as_of``, or None."""
    period = freeze.previous_frozen(engine(), as_of)
    snap = freeze.stored(engine(), period) if period else None
    if snap is None:
        return None
    return period, snap["frozen"]["at"][:16].replace("T", " "), report.frame(snap["ranking"])


# --- cached facts (keyed by data version and as-of month; county filters are applied by pages) ----

@st.cache_data(show_spinner=False, max_entries=8)
def ledger_in_effect(ver: tuple, as_of: str) -> pd.DataFrame:
    return facts.ledger_in_effect(engine(), facts.View(as_of))


@st.cache_data(show_spinner=False, max_entries=8)
def indicator_series(ver: tuple, as_of: str) -> pd.DataFrame:
    return facts.indicator_series(engine(), facts.View(as_of), targets.village_bars(target_specs(ver)))


@st.cache_data(show_spinner=False, max_entries=8)
def village_reports(ver: tuple, as_of: str) -> pd.DataFrame:
    return facts.village_reports(engine(), facts.View(as_of))


@st.cache_data(show_spinner=False, max_entries=8)
def measure_reports(ver: tuple, as_of: str) -> pd.DataFrame:
    return facts.measure_reports(engine(), facts.View(as_of))


@st.cache_data(show_spinner=False, max_entries=8)
def brand_history(ver: tuple, as_of: str) -> pd.DataFrame:
    return facts.brand_history(engine(), facts.View(as_of))


@st.cache_data(show_spinner=False, max_entries=4)
def villages(ver: tuple, as_of: str, county: str | None = None) -> pd.DataFrame:
    """The villages on the roster in the as-of month (those 撤销/合并 by then are not shown or counted), of
    ``county`` when given (a national store is not read whole for one county's list)."""
    return coverage.on_roster(facts.villages(engine(), as_of, county), as_of)


@st.cache_data(show_spinner=False, max_entries=8)
def boundaries(ver: tuple, level: str) -> pd.DataFrame:
    return facts.boundaries(engine(), level)


# --- targets (cached per data version, month and county) -----------------------------------------

@st.cache_resource(show_spinner=False, max_entries=4)
def target_inputs(ver: tuple, as_of: str) -> targets.Inputs:
    """The target inputs without the ledger and township rows (:func:`ledger_in_effect`, :func:`townships`, read
    where a list or map needs them). One object per data version and month, shared by the sessions of this
    process and never changed, except its memo of monthly counts: the tiles, the ladder and the ranking of one
    view then count each target once (a country's township target is 0.2 s a count)."""
    data = queries.target_inputs(engine(), as_of, targets.village_bars(target_specs(ver)), ledger=False)
    data.memo = {}
    return data


@st.cache_data(show_spinner=False)
def target_specs(ver: tuple) -> list[targets.Spec]:
    plan = plan_view(ver)
    return targets.specs(plan.targets) if plan else []


def _spec(ver: tuple, metric: str) -> targets.Spec:
    return next(s for s in target_specs(ver) if s.metric == metric)


def ranked_spec(ver: tuple) -> targets.Spec | None:
    """The target the counties are ranked and the map is coloured by: :data:`targets.RANKED` when the active plan
    tracks it, else its first tracked target; None when it tracks none."""
    return targets.ranked(target_specs(ver))


@st.cache_data(show_spinner=False, max_entries=64)
def target_series(ver: tuple, as_of: str, county: str | None, metric: str, last: int | None = None) -> pd.DataFrame:
    """:func:`targets.series` of the view; ``last=2``: this month and the one before only (the overview's tiles)."""
    data = target_inputs(ver, as_of).only(county)
    return targets.series(_spec(ver, metric), data, load_plan_config().start, as_of, last)


@st.cache_data(show_spinner=False, max_entries=64)
def target_table(ver: tuple, as_of: str, county: str | None, metric: str, period: str | None = None) -> pd.DataFrame:
    """Per-county table at ``period`` (default: the as-of month), on the versions of the as-of view."""
    data = target_inputs(ver, as_of).only(county)
    return targets.county_table(_spec(ver, metric), data, load_plan_config().start, period or as_of,
                                lamp_rule().yellow_gap_points)


def completeness_of(ver: tuple, as_of: str, county: str | None) -> pd.DataFrame:
    """The completeness table of the as-of month as it stood when the view is read (now, or its cut-off)."""
    at = min(months.now(), months.cutoff(as_of))
    return _completeness(ver, as_of, county, months.in_progress(as_of, deadline_day(), at))


@st.cache_data(show_spinner=False, max_entries=32)
def _completeness(ver: tuple, as_of: str, county: str | None, in_progress: bool) -> pd.DataFrame:
    # keyed by whether the deadline has passed: the one moment the statuses change without an upload
    return facts.completeness(engine(), as_of, min(months.now(), months.cutoff(as_of)), county)


@st.cache_data(show_spinner=False, max_entries=64)
def target_pace(ver: tuple, as_of: str, county: str | None, metric: str):
    return targets.pace(_spec(ver, metric), target_inputs(ver, as_of).only(county), as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def target_gaps(ver: tuple, as_of: str, county: str | None, metric: str) -> pd.DataFrame:
    spec = _spec(ver, metric)
    data = target_inputs(ver, as_of)
    if spec.metric == "township_demo_coverage":
        data = dataclasses.replace(data, ledger=ledger_in_effect(ver, as_of), townships=townships(ver))
    data = data.only(county)
    if spec.noun != "村":  # the township and county lists need no village rows
        return targets.gaps(spec, data, as_of)
    return targets.gaps(spec, data, as_of, villages(ver, as_of, county), village_reports(ver, as_of))


@st.cache_data(show_spinner=False, max_entries=64)
def ladder_spec(ver: tuple, as_of: str, county: str | None, metric: str, title: str) -> dict:
    """The milestone-ladder chart as a Vega-Lite spec (built once per view; Altair validation is slow)."""
    return charts.milestone_ladder(target_series(ver, as_of, county, metric), list(_spec(ver, metric).milestones),
                                   title).to_dict()


def due_month(as_of: str) -> str:
    """The latest month up to ``as_of`` whose reports were due when the view is read (now, or its cut-off)."""
    return months.due(as_of, deadline_day(), min(months.now(), months.cutoff(as_of)))


def measure_table(ver: tuple, as_of: str) -> pd.DataFrame:
    """The accountability measure table (lamps of every measure) for the as-of month."""
    return _measure_table(ver, as_of, due_month(as_of))  # the key moves on when a deadline passes


@st.cache_data(show_spinner=False, max_entries=32)
def _measure_table(ver: tuple, as_of: str, due: str) -> pd.DataFrame:
    from dashboard import accountability

    plan = plan_view(ver)
    if plan is None:
        return pd.DataFrame(columns=accountability.MEASURE_COLUMNS)
    return accountability.measure_table(plan.measures, plan.sections, measure_reports(ver, as_of), as_of,
                                        load_plan_config().start, lamp_rule(), due)


@st.cache_data(show_spinner=False, max_entries=4)
def village_sites(ver: tuple, as_of: str, county: str | None = None) -> pd.DataFrame:
    """Every village on the roster of the as-of month (of ``county``, when given) with its demo-site status in
    the ledgers then in effect."""
    from dashboard import charts_map  # pydeck: only the map page pays for it

    ledger = ledger_in_effect(ver, as_of)
    return charts_map.village_sites(villages(ver, as_of, county),
                                    ledger[ledger["scope"] == county] if county else ledger)


@st.cache_data(show_spinner=False, max_entries=16)
def gap_townships(ver: tuple, as_of: str, county: str | None) -> pd.DataFrame:
    """The map's list of townships without a built demo site (of ``county``, when given)."""
    from dashboard import charts_map

    towns, ledger = townships(ver), ledger_in_effect(ver, as_of)
    if county:
        towns, ledger = towns[towns["county_code"] == county], ledger[ledger["scope"] == county]
    return charts_map.gap_townships(towns, ledger)


@st.cache_data(show_spinner=False, max_entries=8)
def status_counts(ver: tuple, as_of: str) -> dict[str, int]:
    """Villages per demo-site status over the whole store (the map of counties): the sites of the ledgers in
    effect, and 非示范点 for the other villages on the roster of the as-of month."""
    from dashboard import charts_map

    on_roster = int(coverage.roster_size(target_inputs(ver, as_of).roster, [as_of])["total"].sum())
    return charts_map.status_counts(charts_map.site_status(ledger_in_effect(ver, as_of)), on_roster)


@st.cache_data(show_spinner=False, max_entries=4)
def county_map(ver: tuple, as_of: str, tile: str | None) -> str:
    """The whole map of a large store (counties by the lamp of their township coverage) as JSON."""
    from dashboard import charts_map

    # the map is of demo sites: its county lamps are those of 乡镇示范点覆盖率, uncoloured when the plan does not track it
    tracked = any(s.metric == targets.RANKED for s in target_specs(ver))
    table = (target_table(ver, as_of, None, targets.RANKED) if tracked else
             pd.DataFrame(columns=["county_code", "count", "total", "actual", "lamp"]))
    return charts_map.build_county_deck(charts_map.county_layers(boundaries(ver, "county"), table), tile).to_json()


@st.cache_data(show_spinner=False, max_entries=6)
def map_deck(ver: tuple, as_of: str, county: str | None, statuses: tuple[str, ...], tile: str | None):
    """The map's JSON spec and its number of village dots, built once per data version and filter."""
    from dashboard import charts_map

    layers = charts_map.map_layers(village_sites(ver, as_of, county), boundaries(ver, "township"), boundaries(ver, "county"),
                                   statuses, county)
    return charts_map.build_deck(layers, tile).to_json(), len(layers["villages"]) + len(layers["sites"])
