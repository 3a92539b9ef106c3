"""Matching the village named in a row to the roster: by code, else by county + township + name."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from loaders.cells import norm_text

_VILLAGE_SUFFIX = re.compile(r"(村民委员会|村委会|居民委员会|社区居委会|居委会|社区|村)$")
_TOWNSHIP_SUFFIX = re.compile(r"(街道办事处|街道|镇人民政府|乡人民政府|镇|乡)$")
_COUNTY_SUFFIX = re.compile(r"(自治县|县|区|市)$")


def _stem(text: str, suffix: re.Pattern) -> str:
    text = re.sub(r"\s+", "", norm_text(text)).replace("(", "").replace(")", "")
    stem = suffix.sub("", text)
    stem = suffix.sub("", stem) or stem  # "永坡村村委会" carries two suffixes
    return stem or text


@lru_cache(maxsize=None)
def village_stem(name: str) -> str:
    return _stem(name, _VILLAGE_SUFFIX)


@lru_cache(maxsize=None)
def township_stem(name: str) -> str:
    return _stem(name, _TOWNSHIP_SUFFIX)


@lru_cache(maxsize=None)
def county_stem(name: str) -> str:
    return _stem(name, _COUNTY_SUFFIX)


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    township_code: str
    township: str
    county_code: str
    county: str
    lon: float | None = None
    lat: float | None = None


@dataclass
class VillageIndex:
    """Lookups over the roster; build once per import."""

    villages: list[Village]
    by_code: dict[str, Village] = field(init=False)
    by_name: dict[tuple[str, str, str], Village] = field(init=False)
    counties: dict[str, str] = field(init=False)  # county stem -> county code

    def __post_init__(self):
        self.by_code = {v.code: v for v in self.villages}
        self.by_name = {(county_stem(v.county), township_stem(v.township), village_stem(v.name)): v
                        for v in self.villages}
        self.counties = {county_stem(v.county): v.county_code for v in self.villages}

    def county_code(self, name: str) -> str | None:
        return self.counties.get(county_stem(name))

    def find(self, county: str, township: str, village: str, code: str | None) -> tuple[Village | None, str]:
        """The matching village, or None with a Chinese explanation (and a suggestion if one is close)."""
        if code:
            hit = self.by_code.get(code)
            if hit:
                return hit, ""
            return None, f"区划代码「{code}」不在村级名录中,请核对代码,或先上报村级名录"
        key = (county_stem(county), township_stem(township), village_stem(village))
        hit = self.by_name.get(key)
        if hit:
            return hit, ""
        return None, self._explain(*key, village, norm_text(township), norm_text(county))

    def _explain(self, county: str, township: str, stem: str, village: str, town_raw: str, county_raw: str) -> str:
        in_county = [v for v in self.villages if county_stem(v.county) == county]
        if not in_county:
            near = difflib.get_close_matches(county, list(self.counties), n=1, cutoff=0.5)
            hint = f"您是否要找:{self._county_name(near[0])}?" if near else "请核对县名"
            return f"县(市、区)「{county_raw}」不在名录中。{hint}"
        county_name = in_county[0].county
        in_township = [v for v in in_county if township_stem(v.township) == township]
        if not in_township:
            towns = {township_stem(v.township): v.township for v in in_county}
            near = difflib.get_close_matches(township, list(towns), n=1, cutoff=0.5)
            hint = f"您是否要找:{towns[near[0]]}?" if near else "请核对乡镇名称,或先上报村级名录"
            return f"乡镇(街道)「{town_raw}」不在{county_name}名录中。{hint}"
        names = {village_stem(v.name): v for v in in_township}
        close = difflib.get_close_matches(stem, list(names), n=1, cutoff=0.5)
        if close:
            v = names[close[0]]
            return f"在{v.township}未找到「{village}」。您是否要找:{v.township}{v.name}?"
        return f"在{in_township[0].township}未找到「{village}」,请核对村名,或先上报村级名录"

    def _county_name(self, stem: str) -> str:
        return next(v.county for v in self.villages if county_stem(v.county) == stem)
