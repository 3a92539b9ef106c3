"""Each spreadsheet kind defined once: its columns, Chinese labels, types, allowed values and help.

The downloadable template, the reader's header matching, the validator, the store mapping and the
documentation (``docs/templates.md``) are all derived from :data:`KINDS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from dashboard.settings import DEMO_SITE_LEVELS, DEMO_SITE_STATUSES, INDICATORS_FILE, MEASURE_STATUSES, indicators

TYPE_LABELS = {
    "text": "文本",
    "code": "12位区划代码(文本)",
    "int": "非负整数",
    "float": "数字",
    "percent": "0–100 的数字",
    "bool": "是/否",
    "date": "日期",
    "year": "年份(4位)",
    "month": "年月",
    "enum": "下拉选择",
}
COORD_SYSTEMS = ("WGS-84", "GCJ-02", "BD-09")
ROSTER_CHANGES = ("撤销", "合并")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str = "text"
    required: bool = True
    allowed: tuple[str, ...] = ()
    help: str = ""
    aliases: tuple[str, ...] = ()
    group: str | None = None  # merged header above this column, e.g. 问题线索
    width: int = 14
    max_chars: int = 100  # longest text accepted (text columns); longer cells are refused with row/column

    def names(self) -> tuple[str, ...]:
        """Every header text that identifies this column."""
        extra = (f"{self.group}({self.label})",) if self.group else ()
        return (self.label, *self.aliases, *extra)


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    scope: str  # "county": one file per county; "unit": per lead unit; "city": whole city
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]  # what identifies one row, for duplicates and the diff
    help: str
    snapshot: bool = False  # True: the latest upload stays valid for later months
    extras: dict = field(default_factory=dict)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    @property
    def name(self) -> str:
        return self.label


VILLAGE_COLUMNS = (
    Column("county", "县(市、区)", help="所属县(市、区)名称", aliases=("县", "县区", "县(市)", "县市区", "县（市、区）")),
    Column("township", "乡镇(街道)", help="所属乡镇(街道)名称",
           aliases=("乡镇", "乡镇街道", "镇", "乡(镇)", "乡镇名称", "乡镇（街道）")),
    Column("village", "村(社区)", help="行政村或社区名称,可带或不带“村委会”等后缀", width=16,
           aliases=("行政村", "村名", "村", "村名称", "村(居)", "村居", "行政村名称", "村(社区)名称", "村（社区）")),
    Column("code", "区划代码", "code", required=False, width=16,
           help="12位统计用区划代码,请以文本格式填写,保留开头的0;填写后优先按代码匹配村",
           aliases=("统计用区划代码", "行政区划代码", "村代码", "代码")),
)


@cache
def indicator_columns(path: Path = INDICATORS_FILE) -> tuple[Column, ...]:
    """The village monthly indicators from the catalogue in ``data/``."""
    items = indicators(path)
    return tuple(
        Column(i["key"], i["label"], i["type"], help=i.get("help", ""), aliases=tuple(i.get("aliases", ())),
               group=i.get("group"), allowed=("是", "否") if i["type"] == "bool" else ())
        for i in items
    )


def _kinds() -> dict[str, Kind]:
    roster = Kind(
        "roster", "村级名录", "county",
        VILLAGE_COLUMNS[:3] + (
            Column("code", "区划代码", "code", width=16,
                   help="12位统计用区划代码,文本格式,保留开头的0", aliases=VILLAGE_COLUMNS[3].aliases),
            Column("lon", "经度", "float", help="十进制度,例如 108.3215", aliases=("经度(°)", "东经", "longitude")),
            Column("lat", "纬度", "float", help="十进制度,例如 23.1234", aliases=("纬度(°)", "北纬", "latitude")),
            Column("crs", "坐标系", "enum", required=False, allowed=COORD_SYSTEMS,
                   help="WGS-84(GPS)、GCJ-02(高德/腾讯)或 BD-09(百度);留空按 WGS-84,导入时统一转换为 WGS-84",
                   aliases=("坐标系统", "坐标类型")),
            Column("change", "撤并情况", "enum", required=False, allowed=ROSTER_CHANGES,
                   help="村已撤销或已合并到其他村时填写;仍在的村留空。撤并的村请保留在名录中,不要删除行",
                   aliases=("变更情况", "撤并", "撤销/合并")),
            Column("change_month", "撤并生效月份", "month", required=False,
                   help="撤销或合并自哪个月起生效,例如 2025-09;该月起此村不再计入应报村数,也不再报送月报",
                   aliases=("生效月份", "撤并月份", "变更月份")),
            Column("merged_into", "并入村区划代码", "code", required=False, width=16,
                   help="合并时填写并入的村(同县、未撤并)的12位区划代码",
                   aliases=("并入村代码", "合并到")),
        ),
        ("code",), "全县行政村(社区)名单及坐标,新增、更正或撤并村时上报(撤并的村保留在名录中并注明撤并情况和生效月份)。",
        snapshot=True,
    )
    demo_sites = Kind(
        "demo_sites", "示范点台账", "county",
        VILLAGE_COLUMNS + (
            Column("level", "示范点级别", "enum", allowed=DEMO_SITE_LEVELS, aliases=("级别", "示范级别")),
            Column("status", "创建状态", "enum", allowed=DEMO_SITE_STATUSES, aliases=("状态", "建设状态", "创建进度")),
            Column("year", "创建年度", "year", aliases=("年度", "创建年份", "年份")),
            Column("brand", "品牌亮点", required=False, width=28, max_chars=200, help="示范点的特色品牌或亮点做法",
                   aliases=("品牌", "亮点", "特色亮点", "品牌/亮点", "特色品牌")),
            Column("accepted_on", "验收日期", "date", required=False,
                   help="验收命名日期,状态为“已验收命名”时必填", aliases=("验收时间", "命名日期")),
        ),
        ("village_code",), "本县全部清廉乡村示范点的当前状态(每月报送完整台账)。",
        snapshot=True,
    )
    village_monthly = Kind(
        "village_monthly", "村级指标月报", "county", VILLAGE_COLUMNS + indicator_columns(),
        ("village_code",), "本县每个行政村(社区)本月的清廉乡村建设指标。",
    )
    measure_progress = Kind(
        "measure_progress", "措施推进月报", "unit",
        (
            Column("measure_number", "措施序号", "int", help="实施方案中工作措施的序号(1、2、3……)",
                   aliases=("序号", "措施编号", "措施号")),
            Column("measure_title", "措施名称", required=False, width=26, max_chars=300, help="仅供核对,可不填",
                   aliases=("措施", "工作措施")),
            Column("unit_name", "责任单位", width=22, help="填报单位名称,须与方案中的牵头或配合单位一致",
                   aliases=("单位", "填报单位", "牵头单位")),
            Column("status", "推进状态", "enum", allowed=MEASURE_STATUSES, aliases=("状态", "进展状态")),
            Column("progress", "完成进度(%)", "percent",
                   help="填 0–100 的数字,例如 35 表示 35%(不带百分号亦可);单元格设为百分比格式时按显示的百分数读取",
                   aliases=("完成进度", "进度", "进度(%)", "完成率")),
            Column("this_month", "本月进展", required=False, width=40, max_chars=2000, aliases=("本月工作进展", "工作进展")),
            Column("problems", "存在问题", required=False, width=30, max_chars=2000, aliases=("问题", "存在的问题")),
            Column("next_steps", "下步计划", required=False, width=30, max_chars=2000, aliases=("下一步计划", "下步工作计划")),
            Column("reporter", "填报人", width=10, max_chars=40, aliases=("联系人", "填表人")),
        ),
        ("measure_number", "unit_name"), "牵头单位每月报送所牵头措施的推进情况。",
    )
    county_brands = Kind(
        "county_brands", "县级特色品牌", "county",
        (
            Column("county", "县(市、区)", aliases=VILLAGE_COLUMNS[0].aliases),
            Column("name", "品牌名称", width=24, aliases=("品牌", "特色品牌", "亮点品牌")),
            Column("description", "品牌简介", required=False, width=40, max_chars=2000, aliases=("简介", "主要做法", "内容")),
            Column("status", "品牌状态", "enum", allowed=("培育中", "已形成"), aliases=("状态",)),
        ),
        ("county_code",), "本县清廉乡村建设特色亮点和品牌(方案要求每个县都有)。",
        snapshot=True,
    )
    return {k.key: k for k in (roster, demo_sites, village_monthly, measure_progress, county_brands)}


KINDS: dict[str, Kind] = _kinds()
# The order the upload page and ``qinglian`` offer the kinds in: the page preselects the first.
MENU_ORDER = ("village_monthly", "demo_sites", "measure_progress", "county_brands", "roster")
KIND_LABELS: dict[str, str] = {key: KINDS[key].label for key in MENU_ORDER}  # key -> Chinese name
# County and township boundaries are uploads too (GeoJSON, not a spreadsheet: dashboard/boundaries.py); the
# upload history names every kind of upload with this.
BOUNDARY_KIND = "boundaries"
UPLOAD_LABELS: dict[str, str] = {**KIND_LABELS, BOUNDARY_KIND: "行政区划边界"}
