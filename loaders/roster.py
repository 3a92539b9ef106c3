"""村级名录: the county's villages with codes and coordinates, converted to WGS-84 on import."""

from __future__ import annotations

from coord_convert.transform import bd2wgs, gcj2wgs

DUP_COLUMN = "code"
ROW_NOUN = "区划代码"
TO_WGS84 = {"WGS-84": lambda lon, lat: (lon, lat), "GCJ-02": gcj2wgs, "BD-09": bd2wgs}


def resolve_scope(parsed, ctx, report) -> str | None:
    """The county code: chosen, else derived from the codes (first 6 digits) when they agree."""
    if ctx.scope:
        return ctx.scope
    prefixes = {v["code"][:6] for _, v in parsed if v.get("code")}
    if len(prefixes) == 1:
        return prefixes.pop() + "000000"
    if len(prefixes) > 1:
        report.error(None, None, None, "文件中的区划代码属于多个县(市、区)。请按县分别上报名录")
    return None


def to_record(values: dict, row: int, ctx, scope, report) -> dict | None:
    code, lon, lat = values.get("code"), values.get("lon"), values.get("lat")
    if None in (code, lon, lat, values.get("county"), values.get("township"), values.get("village")):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        report.error(row, "lon", lon, "经纬度超出范围。经度应在 -180 到 180 之间、纬度在 -90 到 90 之间(十进制度)")
        return None
    if scope and code[:6] != scope[:6]:
        report.error(row, "code", code, f"区划代码前6位应为本县代码 {scope[:6]}。请核对代码")
        return None
    known = ctx.villages.county_code(values["county"])
    if known and known[:6] != code[:6]:
        report.error(row, "county", values["county"], f"县名与区划代码不符(代码属于 {code[:6]}),请核对")
        return None
    change, month, into = values.get("change"), values.get("change_month"), values.get("merged_into")
    if change and not month:
        report.error(row, "change_month", None, f"填写了撤并情况“{change}”,还须填写撤并生效月份,例如 2025-09")
        return None
    if month and not change:
        report.error(row, "change", None, "填写了撤并生效月份,还须在撤并情况中选择“撤销”或“合并”;村仍存在时两列都留空")
        return None
    if change == "合并" and not into:
        report.error(row, "merged_into", None, "合并的村须填写并入村的12位区划代码")
        return None
    if into and change != "合并":
        report.error(row, "merged_into", into, "只有撤并情况为“合并”时才填写并入村区划代码,请删除或改选“合并”")
        return None
    if into == code:
        report.error(row, "merged_into", into, "并入村不能是本村,请填写合并后所在村的区划代码")
        return None
    lon, lat = TO_WGS84[values.get("crs") or "WGS-84"](lon, lat)
    if ctx.bbox and not (ctx.bbox[0] <= lon <= ctx.bbox[2] and ctx.bbox[1] <= lat <= ctx.bbox[3]):
        report.warning(row, "lon", f"{lon:.5f},{lat:.5f}", "坐标不在本市范围内,请确认经纬度是否填反或坐标系是否选对")
    return {"code": code, "name": values["village"], "township": values["township"],
            "county": values["county"], "lon": round(lon, 6), "lat": round(lat, 6),
            "change": change, "change_month": month, "merged_into": into}


def check_all(records, ctx, scope, report) -> None:
    """A merged village joins a village of the same roster that itself stays."""
    staying = {r["code"] for r in records if not r["change"]}
    for rec in records:
        if rec["merged_into"] and rec["merged_into"] not in staying:
            report.error(None, "merged_into", rec["merged_into"],
                         f"「{rec['name']}」({rec['code']})的并入村不在本名录中或本身已撤并。"
                         "请填写本县名录中仍存在的村的区划代码")
