"""The one module that owns Streamlit connections and caching, plus shared page furniture.

Pages call :func:`engine` (migrated once per process), read through the cached helpers keyed by
the store's data version, and wrap their body in :func:`guarded` so no traceback reaches a user.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from dashboard import charts, coverage, facts, months, queries, targets
from dashboard.catalog import active_plan, ready
from dashboard.plan import load_plan_config
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


def version() -> tuple:
    """Current store and data version: the cache key of everything read from the store."""
    return (db_url(), *queries.data_version(engine()))


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
    """A visible notice when the figures come from the generated demo city."""
    if has_demo_data(ver):
        st.warning("当前显示的是**演示数据**(虚构的清源市),并非真实上报数据。", icon=":material/science:")


@contextmanager
def guarded(page: str):
    """Show a Chinese error instead of a traceback when the page body fails; log the details."""
    try:
        yield
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
    """Sidebar "数据截至" month and county, kept in the URL (?month=YYYY-MM&county=CODE) and across pages."""
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
    options = [ALL, *names]
    with st.sidebar:
        month = st.selectbox("数据截至", available[::-1], index=available[::-1].index(st.session_state["_month"])
                             if st.session_state["_month"] in available else 0, format_func=month_choice,
                             key="month_widget", on_change=_remember, args=("month",),
                             help="显示截至该月的上报数据;采用该月之后一个月月底时的版本,可重现当时的看板。")
        county = st.selectbox("县(市、区)", options, index=options.index(st.session_state["_county"])
                              if st.session_state["_county"] in options else 0,
                              format_func=lambda c: "全市" if c == ALL else names[c],
                              key="county_widget", on_change=_remember, args=("county",))
    st.session_state["_month"], st.session_state["_county"] = month, county
    st.query_params["month"] = month
    st.query_params["county"] = county
    return facts.View(month, None if county == ALL else county)


def view_caption(view: facts.View) -> str:
    names = counties(version())
    where = names.get(view.county, "全市") if view.county else "全市"
    return f"{where} · 数据截至 {period_label(view.as_of)}"


@st.cache_data(show_spinner=False, max_entries=16)
def _sources(ver: tuple, kinds: tuple[str, ...], as_of: str):
    return facts.sources(engine(), kinds, facts.View(as_of))


def sources_expander(view: facts.View, kinds: tuple[str, ...]) -> None:
    """"数据来源": exactly the uploads (file, uploader, time) the page's figures rest on."""
    ver = version()
    frame_ = _sources(ver, kinds, view.as_of)
    names = counties(ver)
    with st.expander(f"数据来源(共 {len(frame_)} 份上报)", icon=":material/source:"):
        if frame_.empty:
            st.caption("没有对应的上报数据。")
            return
        if view.county:
            frame_ = frame_[frame_["scope"].isin([view.county]) | ~frame_["scope"].isin(names)]
        st.dataframe(pd.DataFrame({
            "报表": frame_["kind"].map(KIND_LABELS), "报送期": frame_["period"],
            "范围": frame_["scope"].map(lambda s: names.get(s, s)), "文件": frame_["file_name"],
            "填报人": frame_["uploaded_by"], "上报时间": pd.to_datetime(frame_["uploaded_at"]).dt.strftime("%Y-%m-%d %H:%M"),
            "说明": frame_["late"].map(lambda late: "迟报(截止点后首次上报)" if late else ""),
        }), hide_index=True, width="stretch", height=min(400, 38 + 35 * len(frame_)))


# --- cached facts (keyed by data version and as-of month; county filters are applied by pages) ----

@st.cache_data(show_spinner=False, max_entries=8)
def ledger_history(ver: tuple, as_of: str) -> pd.DataFrame:
    return facts.ledger_history(engine(), facts.View(as_of))


@st.cache_data(show_spinner=False, max_entries=8)
def indicator_series(ver: tuple, as_of: str) -> pd.DataFrame:
    return facts.indicator_series(engine(), facts.View(as_of), targets.legal_threshold(target_specs(ver)))


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
def villages(ver: tuple, as_of: str) -> pd.DataFrame:
    """The villages on the roster in the as-of month (those 撤销/合并 by then are not shown or counted)."""
    return coverage.on_roster(facts.villages(engine(), as_of), as_of)


@st.cache_data(show_spinner=False, max_entries=8)
def boundaries(ver: tuple, level: str) -> pd.DataFrame:
    return facts.boundaries(engine(), level)


# --- targets (cached per data version, month and county) -----------------------------------------

@st.cache_data(show_spinner=False, max_entries=6)
def target_inputs(ver: tuple, as_of: str) -> targets.Inputs:
    return queries.target_inputs(engine(), as_of, targets.legal_threshold(target_specs(ver)))


@st.cache_data(show_spinner=False)
def target_specs(ver: tuple) -> list[targets.Spec]:
    plan = plan_view(ver)
    return targets.specs(plan.targets) if plan else []


def _spec(ver: tuple, metric: str) -> targets.Spec:
    return next(s for s in target_specs(ver) if s.metric == metric)


@st.cache_data(show_spinner=False, max_entries=64)
def target_series(ver: tuple, as_of: str, county: str | None, metric: str) -> pd.DataFrame:
    data = target_inputs(ver, as_of).only(county)
    return targets.series(_spec(ver, metric), data, load_plan_config().start, as_of)


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
    reports = village_reports(ver, as_of) if spec.noun == "村" else None
    return targets.gaps(spec, target_inputs(ver, as_of).only(county), as_of, reports)


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
def village_sites(ver: tuple, as_of: str) -> pd.DataFrame:
    """Every village on the roster of the as-of month with its demo-site status in the ledgers then in effect."""
    from dashboard import charts_map  # pydeck: only the map page pays for it

    return charts_map.village_sites(villages(ver, as_of), coverage.ledger_as_of(ledger_history(ver, as_of), as_of))


@st.cache_data(show_spinner=False, max_entries=6)
def map_deck(ver: tuple, as_of: str, county: str | None, statuses: tuple[str, ...], tile: str | None):
    """The map's JSON spec and its number of village dots, built once per data version and filter."""
    from dashboard import charts_map

    layers = charts_map.map_layers(village_sites(ver, as_of), boundaries(ver, "township"), boundaries(ver, "county"),
                                   statuses, county)
    return charts_map.build_deck(layers, tile).to_json(), len(layers["villages"]) + len(layers["sites"])
