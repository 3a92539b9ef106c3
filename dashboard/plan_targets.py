"""A plan's numeric targets, read from the forms cities write them in, and what each is measured by.

Forms (on the normalised text, :data:`dashboard.plan._NORMALISE`): "达XX%以上" / "提高到XX%", "XX%的乡镇(村、县)",
"全覆盖" and "每个县都有…" (= 100 %), "每村至少N名" (N per village), plus a city's own words for full coverage
(``[parser] full_coverage`` in data/plan_config.toml). Each target is matched to a tracker
(:func:`dashboard.tracking.match`: the catalogue word nearest the number in its clause, else in its sentence) or
left 不在看板跟踪 for the plan page to map by hand.

The deadline is taken from the target's own sentence only: a written year ("至2025年") is used; a masked one
("XX年", "202X年") never is — the target's key is then dated by data/plan_config.toml ``[targets]``, else by the
plan's default end with a flag for review.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dashboard import tracking
from dashboard.plan import (
    _YEAR,
    PlanConfig,
    PlanParseError,
    Target,
    _end_of,
    _sentence,
    _year_near,
)

_NUMBER = r"(\d{1,3}(?:\.\d+)?)"
PERCENT, PER_VILLAGE, FULL = "%", "名/村", "全覆盖"
FORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (PERCENT, re.compile(r"(?:达到?|提高到|提高至|提升到|提升至|不低于|超过)\s*" + _NUMBER + r"\s*%(?:\s*以上)?")),
    (PERCENT, re.compile(_NUMBER + r"\s*%(?:\s*以上)?的\s*(?:乡镇|行政村|村|社区|县)")),
    (PER_VILLAGE, re.compile(r"每个?(?:行政)?村(?:\(社区\))?(?:都|均)?(?:至少|不少于)\s*(?:有|配备|培养|培育)?\s*"
                             r"(\d{1,3})\s*(?:名|人)")),
    (FULL, re.compile(r"全覆盖")),
    (FULL, re.compile(r"每个?(?:乡镇|县|村)(?:\([^()]{0,6}\))?[^,;。]{0,6}?都(?:有|要有|建立|建成|配备)")),
)
_CLAUSE_ENDS = ",;:"


@dataclass(frozen=True)
class Found:
    """One target phrase in the text: where, its form and its number (None for full coverage)."""

    start: int
    end: int
    form: str
    number: float | None


def phrases(norm: str, config: PlanConfig) -> list[Found]:
    """Every target phrase, in text order, overlapping ones kept once (the first form that matched)."""
    found: list[Found] = []
    extra = tuple((FULL, re.compile(re.escape(w))) for w in config.full_coverage)
    for form, pattern in FORMS + extra:
        for m in pattern.finditer(norm):
            number = float(m.group(1)) if pattern.groups else None
            if not any(f.start < m.end() and m.start() < f.end for f in found):
                found.append(Found(m.start(), m.end(), form, number))
    return sorted(found, key=lambda f: f.start)


def _clause(norm: str, sent: tuple[int, int], at: int) -> tuple[int, int]:
    left = max([norm.rfind(c, sent[0], at) for c in _CLAUSE_ENDS] + [sent[0] - 1]) + 1
    right = min([i for i in (norm.find(c, at, sent[1]) for c in _CLAUSE_ENDS) if i != -1] + [sent[1]])
    return left, right


def _tracker(norm: str, sent: tuple[int, int], f: Found, measure: tuple[int, int] | None) -> tracking.Tracker | None:
    """The clause's tracker, else the sentence's, else its measure's ("培育法律明白人。每村至少3名。")."""
    clause = _clause(norm, sent, f.start)
    for lo, hi in (clause, sent, *([measure] if measure else [])):
        # a full-coverage verb ("每个县都有X") names its object after it: measure the distance from its end
        at = (f.end if f.form == FULL else f.start) - lo
        found = tracking.match(norm[lo:hi], at)
        if found is not None:
            return found
    return None


def _measured(norm: str, sent: tuple[int, int], f: Found,
              measure: tuple[int, int] | None) -> tuple[str, float, str, list[str]]:
    """(metric, value, unit, flags) of one phrase."""
    flags: list[str] = []
    t = _tracker(norm, sent, f, measure)
    unit = PER_VILLAGE if f.form == PER_VILLAGE else "%"
    value = 100.0 if f.number is None else f.number
    if unit == "%" and value > 100:
        flags.append(f"百分比 {value:g}% 超过 100%,请核对")
    if t is None:
        return tracking.UNTRACKED, value, unit, flags
    if t.counted != (unit == PER_VILLAGE):
        flags.append(f"目标写法与「{t.name(value)}」的口径不符(一个是人数、一个是比例),请在修改表中指定跟踪指标")
        return tracking.UNTRACKED, value, unit, flags
    return t.metric, value, unit, flags


def _text(norm: str, text: str, sent: tuple[int, int], f: Found, metric: str, value: float) -> str:
    t = tracking.tracker(metric)
    if t is not None:
        return t.name(value if t.counted else None)
    lo, hi = _clause(norm, sent, f.start)
    return text[lo:hi].strip()[:60]


def find(text: str, norm: str, spans: list[tuple[int, int, int]], config: PlanConfig) -> tuple[Target, ...]:
    """The targets of the plan text (``norm`` its normalised form; ``spans`` the measures' (start, end,
    number)), in text order; a target met twice (same measure, same value) is kept at its first mention."""
    targets: list[Target] = []
    keys: set[str] = set()
    for f in phrases(norm, config):
        sent = _sentence(norm, f.start, f.end)
        span = next(((s, e, n) for s, e, n in spans if s <= f.start < e), None)
        metric, value, unit, flags = _measured(norm, sent, f, span[:2] if span else None)
        key = tracking.key_of(metric, value, unit)
        if metric != tracking.UNTRACKED and key in keys:
            continue
        n = 2
        while key in keys:
            key, n = f"{tracking.key_of(metric, value, unit)}_{n}", n + 1
        keys.add(key)
        year = _year_near(norm, sent, f.start)
        if year is not None and year.re is _YEAR:
            deadline, configured = _end_of(year.group(1), year.group(2)), False
        elif key in config.defaults:
            deadline, configured = config.defaults[key], True
        elif config.fallback is not None:
            deadline, configured = config.fallback, True
            flags.append(f"原文未写年份,暂按方案默认期限 {config.fallback} 计,请核对或在 data/plan_config.toml "
                         f"[targets] 中补充 {key} = \"YYYY-MM-DD\"")
        else:
            raise PlanParseError(
                f"方案未写明目标「{text[sent[0]:sent[1]][:40]}」的年份,配置中也没有它的截止日期;"
                f"请在 data/plan_config.toml 的 [targets] 中补充 {key} = \"YYYY-MM-DD\"。")
        measure = span[2] if span else None
        targets.append(Target(key=key, text=_text(norm, text, sent, f, metric, value), value=value, unit=unit,
                              comparator=">=", deadline=deadline, deadline_configured=configured,
                              source=text[sent[0]:sent[1]], measure=measure, metric=metric, flags=tuple(flags)))
    return tuple(targets)
