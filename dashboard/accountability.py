"""责任落实: each measure's lamp against its straight path, per-unit reporting and the measure × unit matrix.

Pure pandas on the active plan's measures (dicts from :func:`dashboard.catalog.active_plan`) and the
measure reports in effect (:func:`dashboard.facts.measure_reports`). No Streamlit here.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from pandas.io.formats.style import Styler

from dashboard import coverage, months
from dashboard.metrics import LAMP_LABELS, Milestone, expected_on, measure_lamp, missed
from dashboard.settings import LampRule

NUMERALS = "一二三四五六七八九十"
NONE = "—"
MEASURE_COLUMNS = ["篇章", "序号", "措施", "牵头单位", "配合单位", "各县负责", "最新状态", "完成进度(%)",
                   "最近报送", "应达进度(%)", "灯", "灯号说明"]
HISTORY_COLUMNS = {"period": "报送月份", "unit_name": "报送单位", "role": "角色", "status": "状态",
                   "progress": "完成进度(%)", "this_month": "本月进展", "problems": "存在问题",
                   "next_steps": "下步计划", "reporter": "填报人", "uploaded_at": "上报时间"}
LEAD, CO = "●", "○"
# Soft background and dark text per lamp: readable, and every coloured cell also carries the lamp's words.
LAMP_STYLES = {
    "green": "background-color: #dcf1dc; color: #1b5e20",
    "yellow": "background-color: #fff0b3; color: #6d5200",
    "red": "background-color: #ffd9d6; color: #9f1c14",
}
LAMP_OF_LABEL = {label: key for key, label in LAMP_LABELS.items()}


def section_numeral(number: int) -> str:
    """"(一)" for section 1."""
    return f"({NUMERALS[number - 1] if 1 <= number <= len(NUMERALS) else number})"


def section_label(number: int, title: str) -> str:
    """"(一)强化党建引领": the section's numeral and the first phrase of its title."""
    return section_numeral(number) + title.split(",")[0]


def percent_text(values: pd.Series) -> pd.Series:
    """Percentages as right-aligned text, "—" when missing (Streamlit would print "None").

    Padded to five characters so that sorting the text sorts the numbers (0–100, one decimal).
    """
    return values.map(lambda v: NONE if pd.isna(v) else f"{v:5.1f}")


def compact(measures: pd.DataFrame) -> pd.DataFrame:
    """The measure table for the screen: 篇章 cut to its numeral, percentages as text with "—"."""
    return measures.assign(篇章=measures["篇章"].str.split(")").str[0] + ")",
                           **{c: percent_text(measures[c]) for c in ("完成进度(%)", "应达进度(%)")})


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _latest_reports(reports: pd.DataFrame, as_of: str) -> dict[tuple[int, str], pd.Series]:
    """(measure number, unit) -> that unit's latest report on the measure with period <= as_of."""
    last = coverage.latest_per_scope(reports, as_of, ["measure_number", "unit_name"])
    return {(int(row["measure_number"]), row["unit_name"]): row for _, row in last.iterrows()}


def plan_units(plan_measures: list[dict]) -> list[str]:
    """Every unit named by the measures, lead units first, in the plan's order."""
    return list(dict.fromkeys([m["lead_unit"] for m in plan_measures if m["lead_unit"]]
                              + [u for m in plan_measures for u in m["co_units"]]))


def _lamp(measure: dict, report: pd.Series | None, expected: float, on: date, deadline: date,
          due: str, rule: LampRule, completed: str | None = None) -> tuple[str, str]:
    """(lamp key, the reason in words) of one measure; ``due`` is the latest month whose report is due."""
    if not measure["lead_unit"]:
        return "red", "未设牵头单位,无法报送"
    if completed is not None:  # reported done at 100 %: no further monthly report is needed
        return "green", f"已完成({months.label(completed)})"
    if report is None:
        return "red", "牵头单位从未报送"
    late = max(0, months.index(due) - months.index(report["period"]))
    if late >= rule.red_missing_months:
        return "red", f"已连续 {late} 个月未报送"
    progress = None if pd.isna(report["progress"]) else float(report["progress"])
    if progress is None:
        return "red", "最近一次报送未填完成进度"
    if missed([Milestone(deadline, 100.0)], progress, on):
        return "red", f"期限 {deadline:%Y-%m-%d} 已过未完成"
    gap = round(expected - progress, 1)
    # The gap is compared as shown (one decimal): float subtraction such as 16.4 - 6.4 = 9.999… would
    # otherwise turn a gap of exactly the threshold yellow.
    colour = measure_lamp(0.0, gap, late, rule.yellow_gap_points, rule.red_missing_months)
    if not late:
        return colour, f"落后应达进度 {gap:.1f} 个百分点" if gap > 0 else "达到应达进度"
    return colour, f"迟报 {late} 个月,落后 {gap:.1f} 个百分点" if gap > 0 else f"迟报 {late} 个月"


def completed_in(reports: pd.DataFrame, number: int, unit: str, as_of: str) -> str | None:
    """The month ``unit`` first reported measure ``number`` 已完成 at 100 % (up to ``as_of``), or None."""
    done = reports[(reports["measure_number"] == number) & (reports["unit_name"] == unit) & (reports["period"] <= as_of)
                   & (reports["status"] == "已完成") & (reports["progress"] >= 100)]
    return None if done.empty else str(done["period"].min())


def finished_measures(plan_measures: list[dict], reports: pd.DataFrame, before: str) -> set[int]:
    """Measures their lead unit reported 已完成 at 100 % in a month up to ``before``: no further report is due."""
    return {m["number"] for m in plan_measures
            if m["lead_unit"] and completed_in(reports, m["number"], m["lead_unit"], before) is not None}


def finished_units(plan_measures: list[dict], reports: pd.DataFrame, before: str) -> set[str]:
    """Lead units all of whose measures were finished up to ``before``: nobody chases them for a report."""
    done = finished_measures(plan_measures, reports, before)
    leads = {m["lead_unit"] for m in plan_measures if m["lead_unit"]}
    return {u for u in leads if all(m["number"] in done for m in plan_measures if m["lead_unit"] == u)}


def measure_table(plan_measures: list[dict], sections, reports: pd.DataFrame, as_of: str,
                  plan_start: date | str, rule: LampRule, due: str | None = None) -> pd.DataFrame:
    """One row per measure: units, the lead unit's latest report up to ``as_of``, expected progress, lamp and why.

    Expected progress runs straight from 0 % at ``plan_start`` to 100 % at the measure's deadline (its own,
    else ``rule.measure_deadline``), read at the end of the as-of month. Only the lead unit's reports drive it.
    ``due`` is the latest month whose reports were due when the view is read (default ``as_of``): a month
    still 报送中 does not make anyone late. A measure reported 已完成 at 100 % stays green.
    """
    titles = {s.number: s.title for s in sections}
    latest = _latest_reports(reports, as_of)
    due = due or as_of
    on = months.last_day(as_of)
    start = _as_date(plan_start)
    rows = []
    for m in plan_measures:
        deadline = _as_date(m["deadline"] or rule.measure_deadline)
        expected = expected_on(start, [Milestone(deadline, 100.0)], on)
        report = latest.get((m["number"], m["lead_unit"])) if m["lead_unit"] else None
        completed = completed_in(reports, m["number"], m["lead_unit"], as_of) if m["lead_unit"] else None
        key, reason = _lamp(m, report, expected, on, deadline, due, rule, completed)
        progress = None if report is None or pd.isna(report["progress"]) else float(report["progress"])
        rows.append({
            "篇章": section_label(m["section"], titles.get(m["section"], "")),
            "序号": m["number"],
            "措施": m["title"],
            "牵头单位": m["lead_unit"] or "(责任单位缺失)",
            "配合单位": "、".join(m["co_units"]) or NONE,
            "各县负责": "是" if m["counties_responsible"] else "否",
            "最新状态": report["status"] if report is not None else ("未报送" if m["lead_unit"] else NONE),
            "完成进度(%)": progress,
            "最近报送": report["period"] if report is not None else NONE,
            "应达进度(%)": expected,
            "灯": LAMP_LABELS[key],
            "灯号说明": reason,
        })
    out = pd.DataFrame(rows, columns=MEASURE_COLUMNS)
    return out.astype({"序号": int, "完成进度(%)": float, "应达进度(%)": float})


def lagging(measures: pd.DataFrame) -> pd.DataFrame:
    """The measures furthest behind first: red, then yellow, then green, each by how far progress lags the
    straight path (a never-reported measure counts as 0 %), then by number — the one order the overview's
    "推进最滞后的措施" and the meeting materials share."""
    order = {LAMP_LABELS["red"]: 0, LAMP_LABELS["yellow"]: 1, LAMP_LABELS["green"]: 2}
    ranked = measures.assign(_o=measures["灯"].map(order),
                             _gap=measures["应达进度(%)"] - measures["完成进度(%)"].fillna(0))
    return ranked.sort_values(["_o", "_gap", "序号"], ascending=[True, False, True]).drop(columns=["_o", "_gap"])


def lamp_counts(measures: pd.DataFrame) -> dict[str, int]:
    """Number of measures per lamp label (绿灯/黄灯/红灯), zero included."""
    return {label: int((measures["灯"] == label).sum()) for label in LAMP_LABELS.values()}


def _numbers(values) -> str:
    return "、".join(str(n) for n in sorted(values)) or NONE


def unit_table(plan_measures: list[dict], reports: pd.DataFrame, as_of: str, measures: pd.DataFrame,
               units: list[str] | None = None) -> pd.DataFrame:
    """Per unit: measures led and co-owned, led measures reported / missing for ``as_of``, lead measures behind.

    "Behind" means the measure's lamp (from :func:`measure_table` output ``measures``) is red or its
    latest status is 滞后. ``units`` fixes the row order; by default lead units first, as the plan names them.
    """
    units = units or plan_units(plan_measures)
    this_month = reports[reports["period"] == as_of]
    reported = set(zip(this_month["measure_number"].astype(int), this_month["unit_name"]))
    finished = finished_measures(plan_measures, reports, months.previous(as_of))  # no report due any more
    state = measures.set_index("序号")
    behind = set(state.index[(state["灯"] == LAMP_LABELS["red"]) | (state["最新状态"] == "滞后")])
    rows = []
    for unit in units:
        led = [m["number"] for m in plan_measures if m["lead_unit"] == unit]
        done = [n for n in led if (n, unit) in reported or n in finished]
        rows.append({
            "单位": unit,
            "牵头措施(项)": len(led),
            "牵头措施序号": _numbers(led),
            "配合措施(项)": sum(unit in m["co_units"] for m in plan_measures),
            "本月已报(项)": len(done),
            "本月未报": _numbers(set(led) - set(done)),
            "滞后措施": _numbers(set(led) & behind),
        })
    return pd.DataFrame(rows, columns=["单位", "牵头措施(项)", "牵头措施序号", "配合措施(项)", "本月已报(项)",
                                       "本月未报", "滞后措施"])


def units_reported(units: pd.DataFrame) -> tuple[int, int]:
    """(units that reported every measure they lead this month, units that lead any measure)."""
    leading = units[units["牵头措施(项)"] > 0]
    return int((leading["本月未报"] == NONE).sum()), len(leading)


def matrix(plan_measures: list[dict], measures: pd.DataFrame, units: list[str] | None = None) -> pd.DataFrame:
    """Unit rows × measure columns: ● lead, ○ co-unit, "" otherwise.

    Columns are named "序号 灯" (e.g. "8 红灯") so the lamp is written, not only coloured; units as rows
    keep their full names readable, and 14 short measure columns fit a 1920-pixel screen.
    """
    units = units or plan_units(plan_measures)
    lamps = dict(zip(measures["序号"], measures["灯"]))
    out = pd.DataFrame({"单位": units})
    for m in plan_measures:
        out[matrix_column(m["number"], lamps[m["number"]])] = [
            LEAD if m["lead_unit"] == u else CO if u in m["co_units"] else "" for u in units]
    return out


def matrix_column(number: int, lamp_label: str) -> str:
    return f"{number} {lamp_label}"


def matrix_colours(frame: pd.DataFrame) -> pd.DataFrame:
    """CSS per cell of :func:`matrix`: each ●/○ in its measure's lamp colour (read from the column name)."""
    out = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for column in frame.columns[1:]:
        lamp = LAMP_OF_LABEL.get(str(column).split(" ")[-1])
        if lamp:
            out.loc[frame[column] != "", column] = LAMP_STYLES[lamp]
    return out


def matrix_style(frame: pd.DataFrame) -> Styler:
    return frame.style.apply(lambda _: matrix_colours(frame), axis=None)


def lamp_style(frame: pd.DataFrame, column: str = "灯") -> Styler:
    """Colour the lamp column's cells, which hold 绿灯/黄灯/红灯."""
    return frame.style.map(lambda v: LAMP_STYLES.get(LAMP_OF_LABEL.get(v, ""), ""), subset=[column])


def history(reports: pd.DataFrame, number: int, lead_unit: str | None = None) -> pd.DataFrame:
    """All reports on measure ``number``, newest month first (lead unit first within a month)."""
    rows = reports[reports["measure_number"] == number].copy()
    rows["role"] = ["牵头" if u == lead_unit else "配合" for u in rows["unit_name"]]
    rows["_order"] = rows["role"] != "牵头"
    rows = rows.sort_values(["period", "_order", "unit_name"], ascending=[False, True, True], kind="stable")
    text = ["this_month", "problems", "next_steps", "reporter"]
    rows[text] = rows[text].fillna("")
    rows["uploaded_at"] = pd.to_datetime(rows["uploaded_at"]).dt.strftime("%Y-%m-%d %H:%M")
    out = rows[list(HISTORY_COLUMNS)].rename(columns=HISTORY_COLUMNS).reset_index(drop=True)
    return out.astype({"完成进度(%)": float})
