"""Markdown documentation of every spreadsheet kind, generated from :data:`loaders.schema.KINDS`.

``docs/templates.md`` is this module's output; a test keeps the two identical. Regenerate with
``python -m loaders.docs``.
"""

from __future__ import annotations

from pathlib import Path

from dashboard.settings import ROOT, intake_limits, sandbox_limits
from loaders.reader import HEADER_SCAN_ROWS, SKIP_SHEETS, TOTAL_WORDS
from loaders.refusals import REFUSALS
from loaders.schema import KINDS, TYPE_LABELS, Kind
from loaders.template import RULE, SPARE_ROWS, choices
from loaders.validate import kind_module

DOCS_FILE = ROOT / "docs" / "templates.md"
SCOPES = {"county": "每个县(市、区)一份", "unit": "每个责任单位一份", "city": "全市一份"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _general() -> list[str]:
    skip = "、".join(f"「{s}」" for s in sorted(SKIP_SHEETS))
    totals = "、".join(sorted(TOTAL_WORDS))
    return [
        "## 通用规则",
        "",
        f"* 模板由系统按报表定义生成:第 1 行为标题,其下为表头(有分组的列上方另有合并的分组标题),"
        f"下拉选择和格式设置覆盖预填行以下 {SPARE_ROWS} 行。{RULE}。",
        "* 红色表头为必填列;表头中的“*”“(必填)”“(选填)”标记和空格在识别时忽略。",
        f"* 系统在前 {HEADER_SCAN_ROWS} 行中查找表头;名为{skip}的工作表不作为数据读取。",
        f"* 空行,以及前 4 列中以「{totals}」开头的合计行,导入时跳过。",
        "* 接收 .xlsx 和 .csv(UTF-8、UTF-8-BOM、GBK、GB18030)文件;不接收 .xls 和启用宏的 .xlsm。",
        "* 是/否列也识别 √/×、有/无 等写法;区划代码须为 12 位数字,请设为文本格式以保留开头的 0。",
        "* 整个文件校验通过后才会写入;同一报送期重新上报会替换此前版本,此前版本保留可查。",
        "* 可一次上传多个文件(上报页面不选县时多选,或 `qinglian import` 后跟多个文件):每个文件都逐行校验,全部通过后在"
        "一个事务中一并写入,任何一个未通过则都不写入;同一批文件中同一报表、同一报送期的同一个县(或单位)只能出现一次,"
        "重复时提示是哪两个文件。",
        "",
    ]


def _kind(kind: Kind) -> list[str]:
    lines = [
        f"## {kind.label}(`{kind.key}`)",
        "",
        f"* 用途:{kind.help}",
        f"* 填报范围:{SCOPES[kind.scope]}",
        "* 有效期:" + ("最新一次上报在以后各月持续有效,直到再次上报" if kind.snapshot else "每月报送一次,只对该月有效"),
        *(["* 汇总上报:上报时不选县,一个文件可包含多个县的数据(例如不选县下载的全市模板);全部行一起校验,"
           "预览按县列出,提交时每个县各存一个版本(与该县当前版本比对、替换),在一个事务中写入;文件中没有的县不受影响"
           + (";每个县分别核对名录,缺村的县需确认部分报送" if kind.key == "village_monthly" else "")]
          if getattr(kind_module(kind), "split", None) else []),
        "",
        "| 列名 | 必填 | 类型 | 可选值 | 可识别的其他写法 | 说明 | 最多字数 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for col in kind.columns:
        cells = (col.label, "是" if col.required else "否", TYPE_LABELS[col.type], "/".join(choices(col)),
                 "、".join(col.names()[1:]), col.help, str(col.max_chars) if col.type == "text" else "")
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines + [""]


LIMIT_LABELS = {
    "max_file_mb": ("文件大小", "MB"),
    "max_rows": ("数据行数(最远单元格的行号)", "行"),
    "max_columns": ("列数(最远单元格的列号)", "列"),
    "max_cells": ("数据区域单元格总数(最远行号 × 最远列号)", "个"),
    "max_members": (".xlsx 压缩包内的部件数", "个"),
    "max_member_mb": ("单个部件解压后的大小(按实际解压字节计)", "MB"),
    "max_uncompressed_mb": ("全部部件解压后的总大小(按实际解压字节计)", "MB"),
    "max_compression_ratio": ("单个部件的压缩比", "倍"),
    "max_file_name_chars": ("文件名长度(超出部分截去)", "字"),
    "max_user_chars": ("填报人姓名长度(超出部分截去)", "字"),
}
SANDBOX_LABELS = {
    "memory_mb": ("校验子进程的内存上限", "MB"),
    "timeout_seconds": ("校验一个文件的时间上限", "秒"),
    "max_parallel": ("每个服务进程同时校验的文件数(其余排队)", "个"),
}


def _limits() -> list[str]:
    config = {"limits": intake_limits(), "sandbox": sandbox_limits()}
    lines = [
        "## 安全检查与上限",
        "",
        "上传的文件在一个受限的子进程中读取和校验(内存、时间均有上限),即使文件有问题也不会影响其他用户使用看板;"
        "校验期间同一服务上的其他上传排队等候,页面会提示“前面还有 N 个文件在校验”。"
        "上限在 `data/intake.toml` 中设置,当前为:",
        "",
        "| 项目 | 上限 |",
        "| --- | --- |",
    ]
    for section, labels in (("limits", LIMIT_LABELS), ("sandbox", SANDBOX_LABELS)):
        for key, (label, unit) in labels.items():
            lines.append(f"| {label} | {config[section][key]:,} {unit} |")
    lines += [
        "",
        "所有文字(单元格、文件名、填报人)在入库前去掉控制字符、Excel 的 `_x000D_` 类转义和双向文字控制符,"
        "并统一为 NFC 形式;各列的字数上限见下面各表的“最多字数”。",
        "",
        "整个文件被拒收时显示的提示(「…」中的内容按实际情况填入):",
        "",
        "| 情形 | 提示 |",
        "| --- | --- |",
    ]
    lines += [f"| {_cell(r.when)} | {_cell(r.documented())} |" for r in REFUSALS.values()]
    return lines + [""]


def render_docs() -> str:
    """The whole of ``docs/templates.md``."""
    lines = [
        "# 报表模板说明",
        "",
        "本文件由 `loaders/docs.py` 根据 `loaders/schema.py`(村级指标来自 `data/indicators.toml`)生成,"
        "请勿手工修改;修改报表定义后运行 `python -m loaders.docs` 重新生成。",
        "",
        *_general(),
        *_limits(),
    ]
    for kind in KINDS.values():
        lines += _kind(kind)
    return "\n".join(lines).rstrip("\n") + "\n"


def write_docs(path: Path = DOCS_FILE) -> Path:
    """Write :func:`render_docs` to ``path`` (UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_docs(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(f"已写入 {write_docs()}")
