"""The sentences a whole file is refused with, in one place: the reader raises them, the docs list them.

Each refusal says what is wrong and how to fix it, in the words of an Excel user. ``docs/templates.md``
renders :data:`REFUSALS` (with the example values) so staff can look a message up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLEAN_COPY = "请新建一个工作簿,把数据复制后用“选择性粘贴 → 数值”粘贴进去,保存为 .xlsx 后再上传"


@dataclass(frozen=True)
class Refusal:
    """A refusal sentence; ``text`` may hold ``{placeholders}`` filled from keyword arguments."""

    key: str
    when: str  # what triggers it, for the documentation
    text: str
    example: dict = field(default_factory=dict)

    def __call__(self, **values) -> str:
        return self.text.format(**values)

    def documented(self) -> str:
        return self.text.format(**self.example)


_ALL = (
    Refusal("empty", "文件为 0 字节", "文件是空的(0 字节)。请确认选择了填写好的表格文件后重新上传。"),
    Refusal("too_big", "文件大小超过上限", "文件超过 {mb} MB 上限。请删除无关工作表或图片后重新上传。", {"mb": 20}),
    Refusal("encrypted", "设置了打开密码的工作簿",
            "文件设置了打开密码,系统无法读取。请在 Excel 中取消密码(文件→信息→保护工作簿)后另存为 .xlsx 再上传。"),
    Refusal("xls", "旧版 .xls 文件",
            "这是旧版 Excel(.xls)文件,系统不支持。请在 Excel 中“另存为”Excel 工作簿(*.xlsx)后再上传。"),
    Refusal("not_table", "既不是 .xlsx 也不是 CSV",
            "「{name}」不是 Excel(.xlsx)或 CSV 文件。请下载本系统的模板填写后上传。", {"name": "照片.jpg"}),
    Refusal("not_workbook", "压缩包中没有工作簿",
            "「{name}」不是 Excel 工作簿(.xlsx)。请下载本系统的模板填写后上传。", {"name": "资料.zip"}),
    Refusal("damaged", "压缩包或其中的文件损坏、被截断,或声明的大小与实际不符",
            "「{name}」已损坏,无法打开。请在 Excel 中重新保存为 .xlsx 后上传。", {"name": "月报.xlsx"}),
    Refusal("unreadable", "工作簿内容无法解析",
            "「{name}」无法读取,文件可能已损坏。请在 Excel 中打开并重新保存为 .xlsx 后上传。", {"name": "月报.xlsx"}),
    Refusal("bad_xml", "工作簿内部的 XML 不合规范",
            "「{name}」内部结构异常,已拒绝读取。请用 Excel 打开后另存为新的 .xlsx 再上传。", {"name": "月报.xlsx"}),
    Refusal("unsafe_xml", "XML 中含有 DOCTYPE / 实体声明(可用于“XML 炸弹”)",
            "文件内部含有不安全的 XML 声明,已拒绝读取。请用 Excel 另存为新的 .xlsx 后上传。"),
    Refusal("too_many_parts", "压缩包内文件数超过上限",
            "文件内部包含的部件过多({count} 个,上限 {limit} 个),疑似异常文件,已拒绝读取。" + CLEAN_COPY + "。",
            {"count": 5000, "limit": 1000}),
    Refusal("bomb_total", "解压后总大小超过上限(按实际解压的字节计,不看文件头的声明)",
            "文件解压后过大(疑似压缩炸弹),已拒绝读取。请只保留需要上报的数据后重新保存。"),
    Refusal("bomb_part", "单个部件解压后超过上限",
            "文件中的「{part}」解压后超过 {mb} MB 上限(疑似压缩炸弹),已拒绝读取。请只保留需要上报的数据后重新保存。",
            {"part": "xl/worksheets/sheet1.xml", "mb": 100}),
    Refusal("bomb_ratio", "压缩比异常",
            "文件压缩比异常(疑似压缩炸弹),已拒绝读取。请使用本系统模板重新填写。"),
    Refusal("xlsm", "启用宏的工作簿(.xlsm)",
            "文件是启用宏的工作簿(.xlsm),为安全起见不予接收。请另存为 Excel 工作簿(*.xlsx)后再上传。"),
    Refusal("macro", "含有宏代码(vbaProject.bin,不论内容类型如何声明)或宏表",
            "文件中含有宏代码,为安全起见不予接收。" + CLEAN_COPY + "。"),
    Refusal("external_link", "含有指向其他工作簿、共享文件夹或网址的外部链接、数据连接或 DDE 链接",
            "文件含有外部链接({what}),在 Excel 中打开时会访问其他计算机,为安全起见不予接收。"
            "请在 Excel 中点“数据 → 编辑链接 → 断开链接”,或" + CLEAN_COPY[1:] + "。", {"what": "链接到其他工作簿"}),
    Refusal("embedded", "含有嵌入的对象或 ActiveX 控件",
            "文件含有嵌入的对象或控件({what}),为安全起见不予接收。" + CLEAN_COPY + "。", {"what": "嵌入对象"}),
    Refusal("callout_formula", "单元格公式会访问外部(HYPERLINK、WEBSERVICE、RTD、DDE 等)",
            "{where}的公式使用了 {function},打开时会访问外部地址,为安全起见不予接收。"
            "请选中这些单元格,复制后用“选择性粘贴 → 数值”粘贴回原处,保存后再上传。",
            {"where": "单元格 E2 ", "function": "HYPERLINK"}),
    Refusal("formula_no_value", "公式没有保存计算结果",
            "单元格 {cell} 是公式但没有保存计算结果(常见于程序生成的文件)。"
            "请在 Excel 中打开、确认数值后保存,或把公式复制后“粘贴为数值”再上传。", {"cell": "E4"}),
    Refusal("far_cell", "某个单元格的位置超过行数或列数上限(按每个单元格的实际位置,不看文件自己声明的尺寸)",
            "单元格 {cell} 超出上限({rows} 行、{columns} 列)。请删除远离数据区域的内容(选中多余的行或列 → 删除),"
            "数据确实过多时请拆分文件后上传。", {"cell": "XFD1048576", "rows": 60000, "columns": 200}),
    Refusal("too_many_cells", "数据区域(行数 × 列数)超过单元格总数上限",
            "数据区域达 {rows} 行 × {columns} 列,超过 {limit} 个单元格的上限。"
            "请删除远离数据区域的内容(选中多余的行或列 → 删除)后上传。", {"rows": 60000, "columns": 100, "limit": 3000000}),
    Refusal("merged", "合并单元格过多或互相重叠",
            "合并单元格过多或互相重叠,系统无法读取。请取消多余的合并单元格后上传。"),
    Refusal("csv_encoding", "CSV 编码无法识别",
            "CSV 文件的文字编码无法识别。请在 Excel 中另存为“CSV UTF-8(逗号分隔)”或 .xlsx 后上传。"),
    Refusal("csv_binary", "CSV 中含有二进制内容",
            "文件不是文本格式的 CSV。请另存为 .xlsx 或“CSV UTF-8(逗号分隔)”后上传。"),
    Refusal("csv_field", "CSV 单元格过长或引号不配对",
            "CSV 文件第 {line} 行无法读取:{why}。请检查该行的引号是否成对,或另存为 .xlsx 后上传。",
            {"line": 3, "why": "有单元格超过 131072 个字符"}),
    Refusal("csv_wide", "CSV 某行的列数超过上限",
            "CSV 文件第 {line} 行有 {count} 列,超过 {limit} 列上限。请删除多余的列,或另存为 .xlsx 后上传。",
            {"line": 2, "count": 5000, "limit": 200}),
    Refusal("too_many_rows", "数据行数超过上限",
            "数据超过 {limit} 行上限。请拆分文件后上传。", {"limit": 60000}),
    Refusal("capacity", "文件在受限的校验进程中耗尽内存或超时(校验进程被终止,服务不受影响)",
            "文件超出系统处理能力(内存/时间),未写入任何数据。请检查是否有远离数据区域的单元格或异常大的内容"
            "(可新建工作簿,只复制需要上报的数据区域后上传)。"),
    Refusal("crashed", "校验进程意外出错",
            "系统校验该文件时出错,未写入任何数据。请稍后重试;如仍失败,请把文件发给系统管理员。"),
)

REFUSALS: dict[str, Refusal] = {r.key: r for r in _ALL}
