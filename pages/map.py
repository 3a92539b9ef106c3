"""示范点地图: villages by demo-site status, townships shaded by coverage, county outlines, and the named
list of townships still without a built demo site. No basemap by default, so it works with no internet."""

import pandas as pd
import streamlit as st

from dashboard import charts_map, facts, metrics, ui
from dashboard.settings import BUILT_STATUSES, tile_url

MAP_HEIGHT = 680  # with the filter above it, the whole map stays in view at 1920×1080


def _summary(counts: dict[str, int], towns: pd.DataFrame, gaps: pd.DataFrame, statuses, counties: bool = False
             ) -> None:
    """Sites and township coverage, then the legend: every colour with its name and count (``counts``:
    villages per status); ``counties``: the map shows counties by lamp, not villages."""
    n_sites = sum(n for status, n in counts.items() if status != charts_map.NO_SITE)
    n_covered = len(towns) - len(gaps)
    c1, c2 = st.columns(2)
    c1.metric("示范点", f"{n_sites:,} 个", help="台账中的示范点(各状态合计),其中已建成或已验收命名 "
                                            f"{sum(counts[s] for s in BUILT_STATUSES):,} 个")
    c2.metric("乡镇覆盖率", f"{metrics.share(n_covered, len(towns)):.1f}%",
              help="至少有一个已建成或已验收命名示范点的乡镇(街道)占比")
    st.caption(f"已覆盖乡镇(街道){n_covered:,} 个,共 {len(towns):,} 个")
    st.markdown("**图例**")
    if counties:
        st.markdown("  \n".join(f":{colour}-background[{label}]" for colour, label in charts_map.LAMP_LEGEND)
                    + "  \n乡镇示范点覆盖率对照方案节点的直线进度亮灯(与总览排名相同)")
        st.markdown("  \n".join(f"{s}:{counts[s]:,} 个村" for s in charts_map.STATUS_OPTIONS))
        return
    st.markdown("  \n".join(
        f":{charts_map.LEGEND_COLORS[s]}[●] {s}:{counts[s]:,} 个村" + ("" if s in statuses else "(未显示)")
        for s in charts_map.STATUS_OPTIONS))
    st.markdown(":green-background[乡镇底色:已有示范点]  \n:red-background[乡镇底色:尚无示范点]  \n"
                "深色粗线:县(市、区)界")


def _gap_list(gaps: pd.DataFrame, where: str, view: facts.View) -> None:
    """The townships without a built site, by name, with an .xlsx for the meeting (codes included)."""
    st.markdown(f"**尚无示范点的乡镇(街道):{len(gaps):,} 个**")
    if gaps.empty:
        st.success("所有乡镇(街道)均已有已建成或已验收命名的示范点。", icon=":material/check_circle:")
        return
    ui.table(gaps.drop(columns="区划代码"), f"{where}尚无示范点的乡镇(街道)名单", view, "gap_townships", export=gaps,
             stamp=f"{ui.view_caption(view)} · 来源:示范点台账", height=min(280, 38 + 35 * len(gaps)),
             column_config={"在建或计划示范点": st.column_config.NumberColumn(
                 "在建/计划", help="该乡镇处于创建中或计划创建状态的示范点数")})


PAGE, TITLE = "pages/map.py", "示范点地图"
ui.title(TITLE)

with ui.guarded("示范点地图"):
    ver = ui.version()
    ui.demo_banner(ver)
    view = ui.frame()
    if not ui.region_counts(ver)["village"]:
        st.info("数据库中还没有村级区划。请先在「数据上报」页上传村级名录,或运行 `qinglian demo` 写入演示数据。")
        st.stop()
    ui.meeting_stamp(PAGE, TITLE, view, ("demo_sites",))
    ui.missing_notice(view, ("demo_sites",))
    st.caption(ui.plain(ui.view_caption(view)))
    ui.export_button(view, ("map",))

    towns = ui.townships(ver)
    if view.county:
        towns = towns[towns["county_code"] == view.county]
    gaps = ui.gap_townships(ver, view.as_of, view.county)
    where = ui.counties(ver).get(view.county, "全市") if view.county else "全市"
    tile = tile_url()
    total = ui.region_counts(ver)["village"]
    missing = charts_map.missing_layers(ui.boundaries(ver, "township"), ui.boundaries(ver, "county"))
    if missing:
        st.info(missing, icon=":material/layers:")

    left, right = st.columns([3, 1], gap="medium")
    if not view.county and total > charts_map.COUNTY_LEVEL:  # a province or a country: counties, not villages
        with left:
            spec = ui.county_map(ver, view.as_of, tile)
            st.pydeck_chart(charts_map.CompactDeck.from_spec(spec), height=MAP_HEIGHT,
                            alt="示范点地图:各县(市、区)按乡镇示范点覆盖率亮灯着色。")
            st.caption(f"全域共 {total:,} 个村(社区),地图按县(市、区)显示乡镇示范点覆盖率的亮灯;在左侧选择一个"
                       "县(市、区)即显示该县各村。鼠标悬停查看县名、覆盖率和亮灯;滚轮缩放,拖动平移。"
                       + ("底图:已配置的瓦片服务。" if tile else "未加载底图(离线模式)。"))
        with right:
            _summary(ui.status_counts(ver, view.as_of), towns, gaps, charts_map.STATUS_OPTIONS, counties=True)
            _gap_list(gaps, where, view)
    else:
        marked = ui.village_sites(ver, view.as_of, view.county)
        with left:
            statuses = st.multiselect(
                "地图显示的示范点状态", charts_map.STATUS_OPTIONS, default=charts_map.STATUS_OPTIONS,
                key="map_statuses", placeholder="选择示范点状态",
                help="只在地图上显示所选状态的村(社区);乡镇底色、统计和名单不受此筛选影响。")
            spec, shown = ui.map_deck(ver, view.as_of, view.county, tuple(statuses), tile)
            st.pydeck_chart(charts_map.CompactDeck.from_spec(spec), height=MAP_HEIGHT,
                            alt=f"示范点地图:{shown:,} 个村(社区)按示范点状态着色,乡镇按是否已有示范点着色。")
            st.caption(f"地图显示 {shown:,} 个村(社区)。鼠标悬停查看村名、乡镇、状态、级别和品牌;滚轮缩放,拖动平移。"
                       + ("底图:已配置的瓦片服务。" if tile else "未加载底图(离线模式)。"))
            if not statuses:
                st.caption("未选择任何示范点状态,地图上不显示村点。")
        with right:
            _summary(charts_map.status_counts(marked), towns, gaps, statuses)
            _gap_list(gaps, where, view)

    ui.sources_expander(view, ("demo_sites",))
