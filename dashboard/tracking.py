"""What the dashboards can measure a plan target by: one definition, read by the parser, the plan page, the
targets page, the KPI tiles, the lamps, the 通报 and the exports.

A target of the plan (a row of ``targets``) names its measure in ``metric``:

* ``township_demo_coverage`` — the share of townships with a built demo site (示范点台账);
* ``county_brand_coverage`` — the share of counties whose brand is 已形成 (特色品牌登记);
* ``<key>_coverage`` for any indicator ``key`` of ``data/indicators.toml`` — the share of the roster's villages
  whose monthly report meets it (a 是/否 indicator: 是; a count: at least the plan's per-village number);
* ``untracked`` — the plan's target is shown on the plan page but not tracked on the dashboards (不在看板跟踪).

The two coverage rules are computations, not targets; every value, threshold and milestone comes from the plan.
A new village indicator becomes trackable by adding it to the catalogue (optionally with ``target_label`` and
``target_met``); no code changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from dashboard.settings import indicators

UNTRACKED = "untracked"
UNTRACKED_LABEL = "不在看板跟踪"
SUFFIX = "_coverage"


@dataclass(frozen=True)
class Tracker:
    """One way of measuring a target on the facts."""

    metric: str
    label: str  # the dashboards' name of the share, e.g. 乡镇示范点覆盖率; "{threshold:g}" for a per-village bar
    noun: str  # what is counted: 乡镇 / 村 / 县
    met: str  # one unit meeting it, for the 通报 line: 已有示范点
    definition: str  # how the share is computed, said once under every chart and table
    keywords: tuple[str, ...]  # words of a plan sentence that point to it
    indicator: str | None = None  # the village indicator key (village shares only)
    counted: bool = False  # a count indicator (法律明白人数): the plan sets a per-village bar

    def name(self, threshold: float | None = None) -> str:
        return self.label.format(threshold=threshold or 0)


TOWNSHIP_DEMO = Tracker(
    "township_demo_coverage", "乡镇示范点覆盖率", "乡镇", "已有示范点",
    "乡镇示范点覆盖率 = 至少有一个“已建成”或“已验收命名”示范点的乡镇(街道)数 ÷ 乡镇(街道)总数;"
    "示范点台账按县报送,每县以截至本月最近一期台账为准。",
    ("示范点",))
COUNTY_BRAND = Tracker(
    "county_brand_coverage", "县级特色品牌覆盖率", "县", "已形成特色品牌",
    "县级特色品牌覆盖率 = 品牌状态为“已形成”的县(市、区)÷ 县(市、区)总数;以各县最近一期品牌登记为准。",
    ("特色亮点", "品牌"))


def _village_tracker(item: dict) -> Tracker:
    key, label, counted = item["key"], item["label"], item["type"] == "int"
    if counted:
        name = item.get("target_label") or f"{label}≥{{threshold:g}}的村占比"
        met = item.get("target_met") or f"{label}不少于 {{threshold:g}}"
        rule = f"{label}达标村占比 = 本月报送{label}不少于方案要求数的村"
    else:
        name = item.get("target_label") or f"{label}的村占比"
        met = item.get("target_met") or f"{label}为“是”"
        rule = f"{name} = 本月报送{met}的村"
    words = tuple(dict.fromkeys(w for w in (label, *item.get("aliases", ())) if len(w) >= 3))
    return Tracker(key + SUFFIX, name, "村", met, f"{rule} ÷ 名录中全部村;未报送的村计入分母、不计为达标。",
                   words, indicator=key, counted=counted)


@cache
def trackers() -> tuple[Tracker, ...]:
    """Every measure a target can be tracked by, in the dashboards' order: demo sites, the village indicators
    in catalogue order, brands."""
    return (TOWNSHIP_DEMO, *(_village_tracker(i) for i in indicators()), COUNTY_BRAND)


def tracker(metric: str) -> Tracker | None:
    """The tracker of ``metric``; None for 不在看板跟踪 or a metric no longer offered (an indicator removed)."""
    return next((t for t in trackers() if t.metric == metric), None)


def choices() -> dict[str, str]:
    """metric -> the plan page's name of it, 不在看板跟踪 last (for the correction table's selectbox)."""
    out = {t.metric: _choice_label(t) for t in trackers()}
    return out | {UNTRACKED: UNTRACKED_LABEL}


def _choice_label(t: Tracker) -> str:
    if t.indicator is None:
        return t.name()
    return f"村级指标:{next(i['label'] for i in indicators() if i['key'] == t.indicator)}"


def label_of(metric: str) -> str:
    """What the plan page says a target is measured by."""
    return choices().get(metric, f"{UNTRACKED_LABEL}(原指标「{metric}」已不在指标目录中)")


def match(sentence: str, at: int) -> Tracker | None:
    """The tracker a plan sentence's target (number at ``at``) is about: the one whose keyword stands nearest
    before the number, else nearest after it; None when the sentence names none of them."""
    best: tuple[int, Tracker] | None = None
    for t in trackers():
        for word in t.keywords:
            start = sentence.find(word)
            while start != -1:
                distance = at - start if start < at else 1000 + start - at  # a keyword before the number wins
                if best is None or distance < best[0]:
                    best = (distance, t)
                start = sentence.find(word, start + 1)
    return best[1] if best else None


def key_of(metric: str, value: float, unit: str) -> str:
    """A target's key within its plan: the measure and the value (township_demo_40, legal_persons_3), the
    measure alone when it is full coverage (micro_power_list) — the keys data/plan_config.toml dates by."""
    base = metric[: -len(SUFFIX)] if metric.endswith(SUFFIX) else metric
    return base if unit == "%" and value == 100 else f"{base}_{value:g}"
