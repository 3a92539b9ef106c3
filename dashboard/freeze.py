"""通报 snapshots: freeze a month's figures (city and every county) so its exports never change, unfreeze with a
reason, and read what was frozen. The page button and ``qinglian freeze`` / ``unfreeze`` both come here."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard import audit, months, queries, report
from dashboard.accounts import Account
from dashboard.models import FrozenMonth
from dashboard.scope import require

CITY = ""  # the key of the city-wide snapshot among a freeze's snapshots


class FreezeError(ValueError):
    """A freeze or unfreeze that cannot be done, said in Chinese (the CLI exits 1, the page shows it)."""


@dataclass(frozen=True)
class Frozen:
    period: str
    frozen_by: str
    frozen_at: datetime
    upload_ids: tuple[int, ...]


def _pack(snapshots: dict[str, dict]) -> bytes:
    return zlib.compress(report.dumps(snapshots).encode("utf-8"), 6)


def _unpack(blob: bytes) -> dict[str, dict]:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def freeze(engine: Engine, period: str, who: Account, at: datetime | None = None) -> Frozen:
    """Store every figure of ``period`` for the city and each county, as read now (or ``at``); 管理员 only."""
    require(who, "freeze")
    user = who.signature
    if period not in queries.periods(engine):
        raise FreezeError(f"{months.label(period)}没有任何上报数据,无法冻结。")
    current = frozen(engine, period)
    if current is not None:
        raise FreezeError(f"{months.label(period)}已于 {current.frozen_at:%Y-%m-%d %H:%M} 由 {current.frozen_by} 冻结;"
                          "如需重新冻结,请先解除冻结并说明原因。")
    moment = months.local(at) if at else months.now()
    month = report.Month(engine, period, moment)
    stamp = {"by": user, "at": moment.isoformat(timespec="seconds")}
    snapshots = {CITY: {**month.snapshot(), "frozen": stamp}}
    for code in month.inputs.counties:
        snapshots[code] = {**month.snapshot(code), "frozen": stamp}
    ids = sorted({i for snap in snapshots.values() for i in snap["upload_ids"]})
    try:
        with Session(engine) as session, session.begin():
            session.add(FrozenMonth(period=period, snapshots=_pack(snapshots), upload_ids=json.dumps(ids),
                                    frozen_by=user, frozen_at=moment, active=True, is_demo=month.demo))
            audit.record(session.connection(), user, "freeze", months.label(period),
                         f"冻结全市和 {len(snapshots) - 1} 个县(市、区)的数字,依据上报 {len(ids)} 份", at=moment)
    except IntegrityError as exc:  # someone froze it in the meantime
        raise FreezeError(f"{months.label(period)}刚刚已被他人冻结,请刷新后查看。") from exc
    return Frozen(period, user, moment, tuple(ids))


def unfreeze(engine: Engine, period: str, who: Account, reason: str, at: datetime | None = None) -> None:
    """Lift the freeze of ``period``; the frozen figures and the reason stay on record. 管理员 only."""
    require(who, "freeze")
    user = who.signature
    reason = (reason or "").strip()
    if not reason:
        raise FreezeError("解除冻结须填写原因(例如:某县更正了上报数据,需重新出具通报)。")
    moment = months.local(at) if at else months.now()
    with Session(engine) as session, session.begin():
        done = session.execute(update(FrozenMonth).where(FrozenMonth.period == period, FrozenMonth.active)
                               .values(active=False, unfrozen_by=user, unfrozen_at=moment, unfreeze_reason=reason))
        if not done.rowcount:
            raise FreezeError(f"{months.label(period)}没有被冻结,无需解除。")
        audit.record(session.connection(), user, "unfreeze", months.label(period), f"原因:{reason}", at=moment)


def frozen(engine: Engine, period: str) -> Frozen | None:
    """The freeze in force for ``period``, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(FrozenMonth.period, FrozenMonth.frozen_by, FrozenMonth.frozen_at,
                                  FrozenMonth.upload_ids)
                           .where(FrozenMonth.period == period, FrozenMonth.active)).first()
    if row is None:
        return None
    return Frozen(row.period, row.frozen_by, months.local(row.frozen_at), tuple(json.loads(row.upload_ids)))


def frozen_periods(engine: Engine) -> list[str]:
    """Months frozen now, oldest first."""
    with engine.connect() as conn:
        return list(conn.scalars(select(FrozenMonth.period).where(FrozenMonth.active).order_by(FrozenMonth.period)))


def stored(engine: Engine, period: str, county: str | None = None) -> dict | None:
    """The frozen snapshot of ``period`` for the city (``county`` None) or a county; None when not frozen."""
    with engine.connect() as conn:
        blob = conn.scalar(select(FrozenMonth.snapshots).where(FrozenMonth.period == period, FrozenMonth.active))
    if blob is None:
        return None
    return _unpack(blob).get(county or CITY)


def snapshot(engine: Engine, period: str, county: str | None = None) -> dict:
    """What the exports of ``period`` are drawn from: the frozen figures when the month is frozen, else live."""
    return stored(engine, period, county) or report.build(engine, period, county)


def previous_frozen(engine: Engine, period: str) -> str | None:
    """The latest frozen month before ``period`` (what the overview compares ranks with), or None."""
    earlier = [p for p in frozen_periods(engine) if p < period]
    return earlier[-1] if earlier else None


def history(engine: Engine) -> pd.DataFrame:
    """Every freeze and unfreeze, newest first, as the page lists them."""
    with engine.connect() as conn:
        rows = conn.execute(select(FrozenMonth.period, FrozenMonth.active, FrozenMonth.frozen_by, FrozenMonth.frozen_at,
                                   FrozenMonth.unfrozen_by, FrozenMonth.unfrozen_at, FrozenMonth.unfreeze_reason,
                                   FrozenMonth.upload_ids).order_by(FrozenMonth.id.desc())).all()
    at = lambda t: "" if t is None else months.local(t).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    return pd.DataFrame({
        "月份": [months.label(r.period) for r in rows],
        "状态": ["冻结中" if r.active else "已解除" for r in rows],
        "冻结人": [r.frozen_by for r in rows], "冻结时间": [at(r.frozen_at) for r in rows],
        "依据上报(份)": [len(json.loads(r.upload_ids)) for r in rows],
        "解除人": [r.unfrozen_by or "" for r in rows], "解除时间": [at(r.unfrozen_at) for r in rows],
        "解除原因": [r.unfreeze_reason or "" for r in rows],
    }, columns=["月份", "状态", "冻结人", "冻结时间", "依据上报(份)", "解除人", "解除时间", "解除原因"])
