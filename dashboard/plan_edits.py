"""Correcting the active plan by hand: its measures (title, lead unit, co-units, counties responsible, deadline)
and its targets (requirement, value, unit, deadline, the measure the dashboards track it by) as two editable tables;
every edit checked — exactly one lead unit per measure, deadlines that are dates, values in range, a tracking
measure that fits the unit — with a Chinese message naming the row and the
column, and saved as a new plan version (who and when, audited). The earlier version stays and can be made
active again."""

from __future__ import annotations

from datetime import date

import pandas as pd

from dashboard import tracking
from dashboard.accounts import Account
from dashboard.catalog import PlanView, load_plan
from dashboard.plan import (
    COMPARATOR_SIGNS,
    FLAG_NO_LEAD,
    FLAG_NO_NOTE,
    FLAG_PROSE_LEADS,
    Measure,
    Plan,
    Section,
    Target,
)
from dashboard.scope import require

MEASURE_COLUMNS = ["序号", "措施", "牵头单位", "配合单位", "各县(市、区)负责", "期限"]
TARGET_COLUMNS = ["目标", "要求", "数值", "单位", "期限", "跟踪指标"]
COMPARATORS = {sign: stored for stored, sign in COMPARATOR_SIGNS.items()}  # shown sign -> stored comparator


class PlanEditError(ValueError):
    """Edits that cannot be saved; ``problems`` lists each, in Chinese."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def measure_frame(plan: PlanView) -> pd.DataFrame:
    """The measures as the editor shows them (units as lists: the lead is a list too, checked to hold one)."""
    return pd.DataFrame({
        "序号": [m["number"] for m in plan.measures],
        "措施": [m["title"] for m in plan.measures],
        "牵头单位": [[m["lead_unit"]] if m["lead_unit"] else [] for m in plan.measures],
        "配合单位": [list(m["co_units"]) for m in plan.measures],
        "各县(市、区)负责": [bool(m["counties_responsible"]) for m in plan.measures],
        "期限": [m["deadline"].isoformat() if m["deadline"] else "" for m in plan.measures],
    }, columns=MEASURE_COLUMNS)


def target_frame(plan: PlanView) -> pd.DataFrame:
    return pd.DataFrame({
        "目标": [t.text for t in plan.targets],
        "要求": [COMPARATOR_SIGNS.get(t.comparator, t.comparator) for t in plan.targets],
        "数值": [float(t.value) for t in plan.targets],
        "单位": [t.unit for t in plan.targets],
        "期限": [t.deadline.isoformat() for t in plan.targets],
        "跟踪指标": [tracking.label_of(t.metric) for t in plan.targets],
    }, columns=TARGET_COLUMNS)


def _metric(label) -> str | None:
    """The metric of a 跟踪指标 cell (None: not one of the choices)."""
    return next((m for m, shown in tracking.choices().items() if shown == label), None)


def _names(value) -> list[str]:
    """A cell of unit names (a list from the editor, or text separated by 、,;) as clean names."""
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return []
    parts = value if isinstance(value, (list, tuple)) else str(value).replace(",", "、").replace(",", "、") \
        .replace(";", "、").replace(";", "、").split("、")
    return [p.strip() for p in parts if str(p).strip()]


def _date(value) -> date | None:
    text = "" if value is None or (not isinstance(value, date) and pd.isna(value)) else str(value).strip()
    if isinstance(value, date):
        return value
    return date.fromisoformat(text[:10]) if text else None


def check(measures: pd.DataFrame, targets_: pd.DataFrame, base: PlanView) -> list[str]:
    """Every problem of the edited tables, each naming the table, row and column and how to fix it."""
    problems = []
    if sorted(measures["序号"].tolist()) != sorted(m["number"] for m in base.measures):
        problems.append("工作措施表:措施的序号不能增删或修改;要增删措施,请载入修改后的方案原文。")
    for row, m in enumerate(measures.itertuples(index=False), start=1):
        at = f"工作措施表第 {row} 行(措施 {m[0]})"
        if not str(m[1] or "").strip():
            problems.append(f"{at}「措施」为空:请填写措施名称。")
        lead, co = _names(m[2]), _names(m[3])
        if len(lead) != 1:
            problems.append(f"{at}「牵头单位」须恰好一个(现有 {len(lead)} 个):" +
                            ("请选择或输入牵头单位。" if not lead else "其余单位请移到「配合单位」。"))
        elif lead[0] in co:
            problems.append(f"{at}「配合单位」中不应再有牵头单位「{lead[0]}」。")
        problems += [f"{at}单位名称「{name[:20]}…」超过 100 个字:请只填写单位名称。" for name in lead + co if len(name) > 100]
        try:
            _date(m[5])
        except ValueError:
            problems.append(f"{at}「期限」「{m[5]}」不是日期:请写成 YYYY-MM-DD,如 2025-12-31,或留空。")
    for row, t in enumerate(targets_.itertuples(index=False), start=1):
        at = f"目标表第 {row} 行({t[0]})"
        if t[1] not in COMPARATORS:
            problems.append(f"{at}「要求」只能是 ≥、≤ 或 =。")
        value = pd.to_numeric(pd.Series([t[2]]), errors="coerce").iloc[0]
        unit = str(t[3] or "").strip()
        if pd.isna(value) or value < 0 or (unit == "%" and value > 100):
            problems.append(f"{at}「数值」「{t[2]}」超出范围:应为 0" + ("–100 之间的百分数。" if unit == "%" else " 或以上的数。"))
        try:
            if _date(t[4]) is None:
                problems.append(f"{at}「期限」不能为空:请写成 YYYY-MM-DD,如 2025-12-31。")
        except ValueError:
            problems.append(f"{at}「期限」「{t[4]}」不是日期:请写成 YYYY-MM-DD,如 2025-12-31。")
        problems += _tracking_problems(at, t[5], unit, value)
    return problems


def _tracking_problems(at: str, label, unit: str, value: float) -> list[str]:
    metric = _metric(label)
    if metric is None:
        return [f"{at}「跟踪指标」「{label}」不在可选列表中:请从列表中选择,或选「{tracking.UNTRACKED_LABEL}」。"]
    t = tracking.tracker(metric)
    if t is None:
        return []
    if t.counted and unit != "名/村":
        return [f"{at}「跟踪指标」{label}是人数指标,目标须写成每村人数:「单位」请填「名/村」,「数值」填每村至少的人数。"]
    if not t.counted and unit != "%":
        return [f"{at}「跟踪指标」{label}按比例跟踪:「单位」请填「%」,或改选「{tracking.UNTRACKED_LABEL}」。"]
    if t.counted and (pd.isna(value) or value < 1 or value != int(value)):
        return [f"{at}「数值」应为每村至少的人数(1 或以上的整数)。"]
    return []


def edited_plan(measures: pd.DataFrame, targets_: pd.DataFrame, base: PlanView) -> Plan:
    """The base plan with the edited tables (assumed checked): bodies, sections and target sentences kept."""
    before = {m["number"]: m for m in base.measures}
    out = []
    for m in measures.itertuples(index=False):
        old = before[m[0]]
        lead, co = _names(m[2]), _names(m[3])
        deadline = _date(m[5])
        flags = (tuple(f for f in old["flags"] if f not in (FLAG_NO_LEAD, FLAG_NO_NOTE, FLAG_PROSE_LEADS)) if lead
                 else tuple(old["flags"]))  # a lead chosen by hand settles what the parser could not tell
        out.append(Measure(number=int(m[0]), section=old["section"], title=str(m[1]).strip(), body=old["body"],
                           lead_unit=lead[0] if lead else None, co_units=tuple(dict.fromkeys(co)),
                           counties_responsible=bool(m[4]), deadline=deadline.isoformat() if deadline else None,
                           flags=flags))
    shown = []
    for old, t in zip(base.targets, targets_.itertuples(index=False)):
        deadline, metric, value = _date(t[4]), _metric(t[5]), float(t[2])
        tracker = tracking.tracker(metric)
        text = old.text if metric == old.metric or tracker is None else tracker.name(value if tracker.counted else None)
        shown.append(Target(key=old.key, text=text, value=value, unit=str(t[3] or "").strip(),
                            comparator=COMPARATORS[t[1]], deadline=deadline.isoformat(),
                            deadline_configured=old.deadline_configured and deadline == old.deadline,
                            source=old.source, measure=old.measure_number, metric=metric))
    sections = tuple(Section(s.number, s.title) for s in base.sections)
    return Plan(base.title, sections, tuple(out), tuple(shown))


def changes(measures: pd.DataFrame, targets_: pd.DataFrame, base: PlanView) -> list[str]:
    """What the edit changes, one line each (for the page and the audit log)."""
    before = measure_frame(base).set_index("序号")
    lines = []
    for m in measures.itertuples(index=False):
        old = before.loc[m[0]]
        for i, column in enumerate(MEASURE_COLUMNS[1:], start=1):
            new, was = m[i], old[column]
            if column.endswith("单位"):
                new, was = "、".join(_names(new)), "、".join(_names(was))
            elif column == "期限":
                new, was = str(new or "").strip(), str(was or "")
            if new != was:
                lines.append(f"措施 {m[0]}「{column}」:{was or '(空)'} → {new or '(空)'}")
    for t, (_, old) in zip(targets_.itertuples(index=False), target_frame(base).iterrows()):
        for i, column in enumerate(TARGET_COLUMNS[1:], start=1):
            new, was = t[i], old[column]
            if str(new).strip() != str(was).strip() and not (column == "数值" and float(new) == float(was)):
                lines.append(f"目标「{t[0]}」「{column}」:{was} → {new}")
    return lines


def save(engine, who: Account, base: PlanView, measures: pd.DataFrame, targets_: pd.DataFrame) -> int:
    """Check the edits and save them as a new active plan version; returns its id. PlanEditError lists the
    problems (nothing saved); only a 管理员 may (ScopeError)."""
    require(who, "plan")
    problems = check(measures, targets_, base)
    if problems:
        raise PlanEditError(problems)
    changed = changes(measures, targets_, base)
    if not changed:
        raise PlanEditError(["没有任何修改,无需保存。"])
    from sqlalchemy import select

    from dashboard import models

    with engine.connect() as conn:
        text = conn.scalar(select(models.Plan.source_text).where(models.Plan.id == base.id))
    name = base.source_name if base.source_name.endswith("(手工修改)") else f"{base.source_name}(手工修改)"
    return load_plan(engine, text, name, by=who.signature, plan=edited_plan(measures, targets_, base),
                     note="手工修改:" + ";".join(changed))
