"""数据上报: template download, upload with dry-run preview, commit, version history and the 催报 list."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from dashboard import boundaries, completeness, exports, facts, intake, months, scope, signed_in, ui
from dashboard.accounts import Account
from dashboard.demo import remove_demo
from dashboard.plan import load_plan_config
from dashboard.settings import deadline_day
from dashboard.store import StoreError
from dashboard.templates import template_file
from loaders.schema import COORD_SYSTEMS, KIND_LABELS, KINDS, UPLOAD_LABELS

OUTCOMES = {"accepted": "已被替换", "refused": "未通过", "failed": "提交失败(未写入)"}
ISSUE_COLUMNS = {"sheet": "工作表", "row": "行号", "column": "列", "value": "填写内容", "message": "问题及修改方法"}


def _periods() -> list[str]:
    """Every period from the plan start to this month (Beijing time)."""
    start = load_plan_config().start[:7]
    return months.span(start, months.this_month()) or [start]


def _scope_picker(kind: str, ver: tuple, key: str, who: Account) -> tuple[str | None, str | None]:
    """(scope, label): a county for county kinds, a unit for measure reports; a county's or unit's staff
    report for their own only, shown rather than chosen."""
    mine = scope.own(who)
    if mine is not None:
        label = ui.counties(ver).get(mine, mine) if who.role == "county" else mine
        st.text_input("所属县(市、区)" if who.role == "county" else "填报单位", label, disabled=True, key=f"{key}_own")
        return mine, label
    if KINDS[kind].scope == "unit":
        plan = ui.plan_view(ver)
        units = plan.units if plan else []
        unit = st.selectbox("填报单位", units, index=None, placeholder="请选择填报单位", key=f"{key}_unit")
        return unit, unit
    options = ui.counties(ver)
    code = st.selectbox("所属县(市、区)", list(options), format_func=options.get, index=None,
                        placeholder="请选择县(市、区)", key=f"{key}_county")
    return code, options.get(code) if code else None


def _issues_table(preview: intake.Preview, issues, heading: str, what: str, key: str) -> None:
    frame = pd.DataFrame([i.to_dict() for i in issues], columns=list(ISSUE_COLUMNS)).rename(columns=ISSUE_COLUMNS)
    frame["行号"] = frame["行号"].map(lambda r: "" if r is None or pd.isna(r) else str(int(r)))
    frame = frame.fillna("")
    st.markdown(f"**{heading}(共 {len(frame)} 处)**")
    ui.table(frame, f"「{preview.file_name}」的{what}", None, key, sheet=what,
             stamp=f"{KIND_LABELS[preview.kind]} · 报送期 {ui.period_label(preview.period)} · 校验于 {_now()}")


def _now() -> str:
    return f"{months.now():%Y-%m-%d %H:%M}"


def _partial_notice(part: intake.Preview, whose: str = "本县", key: str = "partial_list") -> None:
    """A village file that leaves out villages of a county's roster: name them, offer the list."""
    missing = part.roster_missing
    shown = "、".join(f"{town}{name}" for town, name, _ in missing[:20]) + ("……" if len(missing) > 20 else "")
    st.warning(ui.plain(f"部分报送:{whose}名录共 {part.roster_total} 个村,文件缺少 {len(missing)} 个村:{shown}"),
               icon=":material/rule:")
    frame = pd.DataFrame(missing, columns=["乡镇(街道)", "村(社区)", "区划代码"])
    label = "" if whose == "本县" else whose
    st.download_button(f"下载{ui.plain(label)}缺少的 {len(missing)} 个村名单(.xlsx)", on_click="ignore",
                       icon=":material/download:",
                       data=lambda: exports.table_xlsx(frame, f"本次上报{label}缺少的村",
                                                       f"报送期 {ui.period_label(part.period)}", "缺少的村"),
                       file_name=f"缺少的村_{part.period}{'_' + label if label else ''}.xlsx", key=key,
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def whole_file_refusal(preview: intake.Preview) -> str | None:
    """The one sentence of a file refused before any row was read (unreadable, unsafe, too big), or None."""
    if preview.result is None and preview.file_error is not None:
        return preview.file_error.text()
    return None


def _tiles(rows: int, errors: int, warnings: int, diff: dict) -> None:
    c1, c2, c3, c4, c5, c6 = st.columns(6)
    c1.metric("读取行数", rows)
    c2.metric("错误", errors)
    c3.metric("提示", warnings)
    c4.metric("新增", diff["added"])
    c5.metric("修改", diff["changed"])
    c6.metric("较生效版本缺少", diff["missing"], help="当前生效版本中有、本次文件中没有的行")


def _show_preview(preview: intake.Preview) -> None:
    """One file of one county (or unit): totals, what changes, what is missing, every issue."""
    refusal = whole_file_refusal(preview)
    if refusal:
        written = "" if "未写入任何数据" in refusal else "\n\n未写入任何数据。"
        st.error(ui.plain(refusal) + written, icon=":material/block:")
        return
    _tiles(preview.rows, len(preview.errors), len(preview.warnings), preview.diff)
    st.caption(f"与当前生效数据相比:新增 {preview.diff['added']} 行,修改 {preview.diff['changed']} 行,"
               f"未变 {preview.diff['unchanged']} 行,当前有而本次缺少 {preview.diff['missing']} 行。")
    for key, label in (("added", "新增"), ("changed", "修改"), ("missing", "缺少")):
        names = preview.diff_names.get(key) or []
        if names:
            with st.expander(f"{label}的行(最多显示 50 个)"):
                st.text("、".join(names))
    if preview.ok and preview.partial:
        _partial_notice(preview)
    _file_issues(preview)


def _file_issues(preview: intake.Preview, name: str = "", key: str = "issues") -> None:
    if preview.errors:
        _issues_table(preview, preview.errors, f"{name}错误:必须修改后重新上传", "错误", f"{key}_errors")
    if preview.warnings:
        _issues_table(preview, preview.warnings, f"{name}提示:不影响提交,请确认", "提示", f"{key}_warnings")


def _batch_frame(previews: list[intake.Preview], clash: set[tuple]) -> pd.DataFrame:
    """One row per file and county: what each version would be, and whether it can be committed."""
    rows = []
    for preview in previews:
        if not preview.ok:
            rows.append({"文件": preview.file_name, "县(市、区)": "—", "行数": preview.rows,
                         "状态": f"未通过校验({len(preview.errors)} 处错误)"})
            continue
        for part in preview.parts:
            if (part.kind, part.period, part.scope) in clash:
                status = "与其他文件重复"
            else:
                status = f"部分报送({part.rows}/{part.roster_total} 村)" if part.partial else "可提交"
            rows.append({"文件": preview.file_name, "县(市、区)": part.label, "行数": part.rows,
                         "新增": part.diff["added"], "修改": part.diff["changed"], "未变": part.diff["unchanged"],
                         "较生效版本缺少": part.diff["missing"], "提示": len(part.warnings), "状态": status})
    columns = ["文件", "县(市、区)", "行数", "新增", "修改", "未变", "较生效版本缺少", "提示", "状态"]
    frame = pd.DataFrame(rows, columns=columns)
    for col in columns[2:8]:
        frame[col] = frame[col].astype("Int64")
    return frame


def _show_batch(previews: list[intake.Preview], clash: list[str]) -> None:
    """Several files, or a file of several counties: the totals, a row per file and county, each file's issues."""
    if len(previews) == 1 and not previews[0].split:
        _show_preview(previews[0])
        return
    parts = [part for preview in previews if preview.ok for part in preview.parts]
    diff = {key: sum(part.diff[key] for part in parts) for key in ("added", "changed", "unchanged", "missing")}
    _tiles(sum(p.rows for p in previews), sum(len(p.errors) for p in previews),
           sum(len(p.warnings) for p in previews), diff)
    st.caption(f"本次共 {len(previews)} 个文件,校验通过的文件含 {len(parts)} 个县(市、区);"
               "提交时每个县各存一个版本,全部文件在一个事务中写入:要么全部写入,要么都不写入。")
    seen: dict[tuple, int] = {}
    for part in parts:
        key = (part.kind, part.period, part.scope)
        seen[key] = seen.get(key, 0) + 1
    ui.table(_batch_frame(previews, {key for key, n in seen.items() if n > 1}), "本次上传的文件与县(市、区)", None,
             "batch", stamp=f"{KIND_LABELS[previews[0].kind]} · 报送期 {ui.period_label(previews[0].period)} · "
                            f"校验于 {_now()}")
    for line in clash:
        st.error(ui.plain(line), icon=":material/content_copy:")
    for i, preview in enumerate(previews):
        name = f"「{ui.plain(preview.file_name)}」"
        refusal = whole_file_refusal(preview)
        if refusal:
            st.error(f"文件{name}:" + ui.plain(refusal), icon=":material/block:")
            continue
        if preview.ok:
            for j, part in enumerate(preview.parts):
                if part.partial:
                    _partial_notice(part, part.label, key=f"partial_list_{i}_{j}")
        _file_issues(preview, f"文件{name}的", key=f"issues_{i}")


def _attempt(data: bytes, name: str, kind: str, period: str, where: str | None, user: str) -> str:
    return hashlib.sha256(data + f"{kind}|{period}|{where}|{user}|{name}".encode()).hexdigest()


def _checked(attempt: str, data: bytes, name: str, kind: str, period: str, where: str | None,
             who: Account) -> intake.Preview:
    """The preview of this attempt: checked once in the parse sandbox, then kept for the reruns that follow."""
    kept = st.session_state.setdefault("up_previews", {})
    if attempt in kept:
        return kept[attempt]
    queue, waited = st.empty(), []

    def waiting(ahead: int) -> None:
        waited.append(ahead)
        queue.info(f"前面还有 {ahead} 个文件在校验,请稍候……", icon=":material/hourglass_top:")

    with st.spinner(f"正在校验文件「{ui.plain(name)}」(读取并检查每一行)……"):
        preview = intake.prepare(ui.engine(), data, name, kind, period, where, who=who, on_wait=waiting)
    if waited:
        queue.caption(f"本文件排在其他 {max(waited)} 个文件之后校验(同一时间只校验一个文件,以免影响看板使用)。")
    else:
        queue.empty()
    kept[attempt] = preview
    return preview


def _committed_text(kind: str, period: str, previews: list[intake.Preview], ids: list[int],
                    scope_label: str | None) -> str:
    head = f"已提交:{KIND_LABELS[kind]} {ui.period_label(period)}"
    parts = [part for preview in previews for part in preview.parts]
    rows = sum(len(part.result.records) for part in parts)
    if len(parts) == 1:
        return f"{head} {ui.plain(scope_label or parts[0].label)},共 {rows} 行,版本号 {ids[0]}。看板数据已更新。"
    numbers = "、".join(map(str, ids)) if len(ids) <= 10 else f"{ids[0]} 起共 {len(ids)} 个,见「历史版本」"
    return (f"{head},{len(previews)} 个文件共 {len(parts)} 个县(市、区)、{rows} 行,每个县各存一个版本"
            f"(版本号 {numbers})。看板数据已更新。")


def upload_tab(ver: tuple, who: Account) -> None:
    if not ui.region_counts(ver)["village"]:
        st.info("数据库中还没有村级名录。第一步:报表类型选「村级名录」,下载模板(不必选县),填写本县全部行政村(社区)的"
                "县、乡镇、村名、12位区划代码和经纬度后上传,系统按区划代码识别所属县;之后即可上传村级指标月报、示范点台账等报表。",
                icon=":material/looks_one:")
    periods = _periods()
    left, mid, right, user_col = st.columns(4)
    kind = left.selectbox("报表类型", scope.kinds(who), format_func=KIND_LABELS.get, key="up_kind")
    period = mid.selectbox("报送期", periods[::-1], index=min(1, len(periods) - 1), format_func=ui.period_label,
                           key="up_period")
    with right:
        chosen, scope_label = _scope_picker(kind, ver, "up", who)
    user = who.signature  # the uploader is the signed-in account, never a typed name
    user_col.text_input("填报人(当前登录账号)", user, disabled=True, key="up_user")
    st.caption(KINDS[kind].help)

    def template() -> bytes:
        return template_file(ui.engine(), kind, period, chosen, who=who)[0]

    st.download_button(
        f"下载{KIND_LABELS[kind]}模板(已预填{ui.plain(scope_label or '全市')}名录)", data=template,
        file_name=f"{KIND_LABELS[kind]}_{period}{'_' + scope_label if scope_label else ''}.xlsx", on_click="ignore",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/download:")

    # With a county (or unit) chosen the upload is that one report: a second file would give it twice, and a
    # new file simply replaces the last. Without one, the city office may send several files at once.
    several = chosen is None
    mixed = "一个文件也可包含多个县(如全市汇总表),提交时每个县各存一个版本;" \
        if KINDS[kind].scope == "county" and kind != "roster" else ""
    uploaded = st.file_uploader(
        "上传填好的表格(.xlsx 或 .csv" + (",可一次选择多个文件)" if several else ")"), key="up_file",
        accept_multiple_files=several,
        help=f"未选县时可一次选择多个文件;{mixed}多个文件一并校验、一并提交:要么全部写入,要么都不写入。" if several
        else f"按所选{'单位' if KINDS[kind].scope == 'unit' else '县'}校验;汇总上报多个县时请不要选县。")
    uploaded = list(uploaded or []) if several else [uploaded] if uploaded is not None else []
    if not uploaded:
        return
    files = [(f.getvalue(), f.name) for f in uploaded]
    attempts = [_attempt(data, name, kind, period, chosen, user) for data, name in files]
    previews = [_checked(a, data, name, kind, period, chosen, who) for a, (data, name) in zip(attempts, files)]
    st.session_state["up_previews"] = dict(zip(attempts, previews))  # only what is on screen is kept
    batch = hashlib.sha256("|".join(attempts).encode()).hexdigest()
    clash = intake.conflicts(previews)
    _show_batch(previews, clash)
    refused = st.session_state.setdefault("refused", set())
    for attempt, preview in zip(attempts, previews):
        if not preview.ok and attempt not in refused:
            intake.record_refusal(ui.engine(), preview)
            refused.add(attempt)
    if not all(preview.ok for preview in previews) or clash:
        if len(previews) > 1:
            st.error("本次选择的文件未全部通过检查,没有写入任何数据(包括校验通过的文件)。请按上面的提示修改后重新上传。",
                     icon=":material/block:")
        elif not whole_file_refusal(previews[0]):
            st.error("未通过校验,没有写入任何数据。请按上表逐项修改后重新上传。", icon=":material/block:")
        return
    if st.session_state.get("committed") == batch:
        st.success(st.session_state["committed_msg"], icon=":material/check_circle:")
        return
    st.info("校验通过。确认无误后点击“确认提交”;同一报表、同一报送期、同一范围再次提交会替换当前版本,旧版本保留在历史中。")
    partial = any(preview.partial for preview in previews)
    if partial and len(previews) == 1 and not previews[0].split:
        label = (f"确认部分报送(本次只报 {previews[0].rows}/{previews[0].roster_total} 个村,"
                 "其余村在催报清单中显示为部分报送)")
    else:
        label = f"确认部分报送({intake.partial_text(previews)};其余村在催报清单中显示为部分报送)"
    partial_ok = st.checkbox(ui.plain(label), key="partial_ok") if partial else False
    if st.button("确认提交", type="primary", icon=":material/upload:", disabled=partial and not partial_ok):
        try:
            ids = intake.commit_batch(ui.engine(), previews, allow_partial=partial_ok, who=who)
        except StoreError as fault:
            st.error(fault.commit_text(), icon=":material/error:")
            return
        st.session_state["committed"] = batch
        st.session_state["committed_msg"] = _committed_text(kind, period, previews, ids, scope_label)
        st.rerun()


def history_tab(ver: tuple, who: Account) -> None:
    names = ui.counties(ver)
    rows = intake.history(ui.engine(), limit=300, who=who)
    if not rows:
        st.info("还没有上报记录。")
        return
    frame = pd.DataFrame(rows)
    frame["状态"] = frame.apply(lambda r: "生效" if r["active"] else OUTCOMES.get(r["outcome"], "未通过"), axis=1)
    view = pd.DataFrame({
        "版本号": frame["id"], "报表": frame["kind"].map(UPLOAD_LABELS), "报送期": frame["period"],
        "范围": frame["scope"].map(lambda s: names.get(s, boundaries.LAYERS.get(s, s))), "文件": frame["file_name"],
        "填报人": frame["uploaded_by"], "时间": frame["uploaded_at"].dt.strftime("%Y-%m-%d %H:%M"),
        "行数": frame["rows"], "状态": frame["状态"], "说明": frame["message"],
    })
    ui.table(view, "上报记录(最近 300 份)", None, "history", stamp=f"生成于 {_now()}")
    files = dict(zip(view["版本号"], view["文件"]))  # option labels, looked up once per rerun
    labels = dict(zip(view["版本号"], view["报表"] + " " + view["报送期"] + " " + view["范围"].astype(str)))
    kept = frame[frame["outcome"] == "accepted"]["id"].tolist()
    if kept:
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        pick = left.selectbox("下载某一版本的原始文件", kept, index=None, placeholder="请选择版本号",
                              format_func=lambda i: f"#{i} {files[i]}")
        refused = None
        try:
            original = intake.original_file(ui.engine(), int(pick), who=who) if pick is not None else None
        except scope.ScopeError as exc:  # e.g. a county's part of a city-wide file
            original, refused = None, str(exc)
        right.download_button("下载原始文件", data=original[1] if original else b"", on_click="ignore",
                              file_name=original[0] if original else "未选择.xlsx", disabled=original is None,
                              icon=":material/download:")
        if refused:
            left.caption(refused)
        elif pick is not None and original is None:
            left.caption("该版本是演示数据,没有原始文件。")
    restorable = frame[(frame["outcome"] == "accepted") & ~frame["active"] & (frame["kind"] != "roster")]
    if restorable.empty or not scope.writes(who):
        return
    st.markdown("**恢复旧版本**:把一个已被替换的版本重新设为生效版本(当前版本保留在历史中)。")
    choice = st.selectbox("选择要恢复的版本", restorable["id"].tolist(), index=None, placeholder="请选择版本号",
                          format_func=lambda i: f"#{i} {labels[i]}")
    st.caption(f"操作人:{ui.plain(who.signature)}(当前登录账号)")
    if st.button("恢复为生效版本", disabled=choice is None):
        try:
            intake.restore(ui.engine(), int(choice), who=who)
        except StoreError as fault:
            st.error(fault.commit_text("本次恢复"), icon=":material/error:")
            return
        except (ValueError, scope.ScopeError) as exc:  # e.g. restored meanwhile in another tab, or out of scope
            st.error(ui.plain(exc), icon=":material/block:")
            return
        st.success(f"已将版本 #{choice} 恢复为生效版本。")


def boundaries_tab(who: Account) -> None:
    """行政区划边界 (管理员): a GeoJSON or zipped shapefile of county or township boundaries, checked, then kept
    as a new version of its layer."""
    st.caption("导入县(市、区)界或乡镇(街道)界:GeoJSON(Polygon 或 MultiPolygon)或 shapefile 压缩包(.zip,含 .shp、"
               ".shx、.dbf,可带 .prj、.cpg)。每个要素按属性中的12位区划代码、adcode(县6位、乡镇9位)或名称对应名录;"
               "同一层级的新版本整体替换旧版本,旧版本保留在「历史版本」中,可以恢复。")
    left, mid = st.columns(2)
    crs = left.selectbox("坐标系", COORD_SYSTEMS, key="bd_crs",
                         help="WGS-84(GPS、天地图、CGCS2000)、GCJ-02(高德/腾讯/DataV)或 BD-09(百度);导入时统一转换为 WGS-84")
    level = mid.selectbox("边界层级", [None, "county", "township"], key="bd_level",
                          format_func=lambda v: "按文件自动识别" if v is None else boundaries.LAYERS[v])
    uploaded = st.file_uploader("上传边界文件(.geojson、.json 或 .zip)", key="bd_file")
    if uploaded is None:
        return
    data, name = uploaded.getvalue(), uploaded.name
    attempt = hashlib.sha256(data + f"{crs}|{level}|{who.signature}|{name}".encode()).hexdigest()
    kept = st.session_state.setdefault("bd_previews", {})
    if attempt not in kept:
        with st.spinner(f"正在校验边界文件「{ui.plain(name)}」……"):
            kept.clear()
            kept[attempt] = boundaries.prepare(ui.engine(), data, name, crs, level, who=who)
    preview = kept[attempt]
    if preview.file_error:
        st.error(ui.plain(preview.file_error) + "\n\n未写入任何数据。", icon=":material/block:")
        _refused_once(attempt, preview)
        return
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric("要素", preview.features)
    c2.metric("对应名录", len(preview.matched), help=preview.label)
    c3.metric("未对应的要素", len(preview.unmatched))
    c4.metric("名录中没有边界", len(preview.uncovered))
    c5.metric("坐标在边界外的村", len(preview.outside))
    stamp = f"行政区划边界 · {preview.label} · 校验于 {_now()}"
    if preview.errors:
        st.markdown(f"**错误:必须修改后重新上传(共 {len(preview.errors)} 处)**")
        ui.table(pd.DataFrame({"问题及修改方法": preview.errors}), f"「{preview.file_name}」的错误", None,
                 "bd_errors", sheet="错误", stamp=stamp)
    for title, lines, key in (("已自动修复的边界", preview.repaired, "bd_repaired"),
                              ("未对应名录、未导入的要素", preview.unmatched, "bd_unmatched"),
                              ("名录中没有边界的地方", preview.uncovered, "bd_uncovered"),
                              ("坐标不在所属边界内的村(提示,不影响导入)", preview.outside, "bd_outside")):
        if lines:
            with st.expander(f"{title}:{len(lines)} 个"):
                ui.table(pd.DataFrame({"说明": lines}), f"「{preview.file_name}」{title}", None, key, sheet=title[:20],
                         stamp=stamp)
    if not preview.ok:
        st.error("未通过校验,没有写入任何数据。请按上面的提示修改后重新上传。", icon=":material/block:")
        _refused_once(attempt, preview)
        return
    if st.session_state.get("bd_committed") == attempt:
        st.success(st.session_state["bd_committed_msg"], icon=":material/check_circle:")
        return
    st.info(f"校验通过:{preview.label} {len(preview.matched)} 个。确认后点击“导入边界”;"
            "地图改用本版本,当前版本保留在历史中。")
    if st.button("导入边界", type="primary", icon=":material/upload:", key="bd_commit"):
        try:
            upload_id = boundaries.commit(ui.engine(), preview, who=who)
        except StoreError as fault:
            st.error(fault.commit_text(), icon=":material/error:")
            return
        st.session_state["bd_committed"] = attempt
        st.session_state["bd_committed_msg"] = (f"已导入{preview.label} {len(preview.matched)} 个,版本号 {upload_id}。"
                                                "地图已更新。")
        st.rerun()


def _refused_once(attempt: str, preview: boundaries.Preview) -> None:
    refused = st.session_state.setdefault("refused", set())
    if attempt not in refused:
        boundaries.record_refusal(ui.engine(), preview)
        refused.add(attempt)


def demo_removal(ver: tuple, who: Account) -> None:
    """Going from the demo to the city's own data without a new database: delete every demo row (管理员)."""
    if not ui.has_demo_data(ver) or who.role != "admin":
        return
    with st.expander("删除演示数据", icon=":material/delete:"):
        st.markdown("删除虚构的清源市的全部区划和上报记录;本市自己上报的名录和报表不受影响。删除后不能恢复。")
        sure = st.checkbox("我确认删除全部演示数据", key="demo_remove_sure")
        if st.button("删除演示数据", disabled=not sure, type="primary", key="demo_remove"):
            try:
                removed = remove_demo(ui.engine(), who)
            except ValueError as exc:
                st.error(str(exc), icon=":material/block:")
                return
            st.success(f"已删除演示数据:上报记录 {removed['uploads']} 份,区划 {removed['regions']} 个。",
                       icon=":material/check_circle:")


def completeness_tab(ver: tuple) -> None:
    reported = ui.periods(ver) or _periods()
    period = st.selectbox("报送期", reported[::-1], format_func=ui.period_label, key="cb_period")
    day = deadline_day()
    frame = facts.completeness(ui.engine(), period)
    st.caption(f"截止时间:次月 {day} 日 24 时前(可在 data/intake.toml 中修改)。县(市、区)报送村级指标月报和示范点台账,"
               "牵头单位报送措施推进月报。")
    counts = frame["状态"].str.replace(r"\(.*", "", regex=True).value_counts()  # 部分报送(37/115 村) -> 部分报送
    cols = st.columns(5)
    for col, status in zip(cols, (completeness.STATUS_ON_TIME, completeness.STATUS_LATE, completeness.STATUS_PARTIAL,
                                  completeness.STATUS_MISSING, completeness.STATUS_PENDING)):
        col.metric(status, int(counts.get(status.split("(")[0], 0)))
    behind = frame[frame["状态"] != completeness.STATUS_ON_TIME]
    st.markdown("**需催报 / 逾期的报送对象**" if not behind.empty else "**本期全部按时报送**")
    ui.table(behind if not behind.empty else frame, f"清廉乡村建设数据报送情况 {ui.period_label(period)}", None,
             "completeness", export=frame, sheet="催报清单",
             stamp=f"报送期 {ui.period_label(period)};生成于 {months.today():%Y-%m-%d}")


st.title("数据上报")
with ui.guarded("数据上报"):
    version = ui.version()
    ui.demo_banner(version)
    account = signed_in.account()
    if account is not None and account.role == "admin":
        tab_upload, tab_bounds, tab_history, tab_remind = st.tabs(["上传报表", "行政区划边界", "历史版本", "催报清单"])
        with tab_upload:
            upload_tab(version, account)
        with tab_bounds:
            boundaries_tab(account)
    elif scope.writes(account):
        tab_upload, tab_history, tab_remind = st.tabs(["上传报表", "历史版本", "催报清单"])
        with tab_upload:
            upload_tab(version, account)
    else:  # 领导: reads the history and the 催报 list, uploads nothing
        tab_history, tab_remind = st.tabs(["历史版本", "催报清单"])
    with tab_history:
        history_tab(version, account)
        demo_removal(version, account)
    with tab_remind:
        completeness_tab(version)
