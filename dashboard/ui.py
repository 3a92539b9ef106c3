"""The one module that owns Streamlit connections and caching, plus shared page furniture.

Pages call :func:`engine` (migrated once per process), read through the cached helpers keyed by
the store's data version, and wrap their body in :func:`guarded` so no traceback reaches a user.
"""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine

from dashboard import queries
from dashboard.catalog import active_plan
from dashboard.settings import db_url
from dashboard.store import make_engine, upgrade

log = logging.getLogger("qinglian")


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    eng = make_engine(url)
    upgrade(eng)
    return eng


def engine() -> Engine:
    """The shared store, with every pending migration applied on first use of its URL."""
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
def townships_with_built_site(ver: tuple, period: str) -> set[str]:
    return queries.townships_with_built_site(engine(), period)


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
    except Exception:  # the page edge: anything reaching here is a bug, shown politely
        log.exception("页面「%s」出错", page)
        st.error(
            f"「{page}」页面加载失败,请刷新重试;如仍失败,请联系系统管理员并告知出错时间。",
            icon=":material/error:",
        )


@st.cache_data(show_spinner=False)
def counties(ver: tuple) -> dict[str, str]:
    """County code -> name, in code order."""
    return queries.counties(engine())


def period_label(period: str) -> str:
    return f"{period[:4]}年{int(period[5:])}月"


def plain(text: str) -> str:
    """Escape Markdown in text that came from uploads or a loaded plan, so it shows as typed."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))
