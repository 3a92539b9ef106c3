"""Months and time, in one place: report periods ("YYYY-MM"), their arithmetic, the reporting deadline and a
view's cut-off, and "now" — always in the configured time zone (``[time] zone`` in data/intake.toml,
default Asia/Shanghai), whatever the server's own clock zone is.

Everything here returns timezone-aware datetimes; the store keeps them in UTC (``models.UTCDateTime``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from dashboard.settings import time_zone


@cache
def zone() -> ZoneInfo:
    """The time zone every deadline, cut-off and shown time is in."""
    return ZoneInfo(time_zone())


def now() -> datetime:
    """The current time in the configured zone."""
    return datetime.now(zone())


def local(moment: datetime) -> datetime:
    """``moment`` in the configured zone (a naive value is taken to be in it already)."""
    return moment.replace(tzinfo=zone()) if moment.tzinfo is None else moment.astimezone(zone())


def today() -> date:
    return now().date()


def this_month() -> str:
    return now().strftime("%Y-%m")


def index(period: str) -> int:
    """Months since year 0 (for arithmetic): index("2026-01") - index("2025-12") == 1."""
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def add(period: str, months: int) -> str:
    """The period ``months`` after ``period`` (negative: before)."""
    i = index(period) + months
    return f"{i // 12:04d}-{i % 12 + 1:02d}"


def previous(period: str) -> str:
    return add(period, -1)


def span(first: str, last: str) -> list[str]:
    """Every period from ``first`` to ``last`` inclusive (empty when last < first)."""
    return [add(first, k) for k in range(index(last) - index(first) + 1)]


def since(start: str, count: int) -> list[str]:
    """``count`` consecutive periods from the month of ``start`` (a "YYYY-MM" or "YYYY-MM-DD")."""
    return [add(start[:7], k) for k in range(count)]


def last_day(period: str) -> date:
    """Last day of the month "YYYY-MM"."""
    first_next = add(period, 1)
    return date(int(first_next[:4]), int(first_next[5:7]), 1) - timedelta(days=1)


def end_of(day: date) -> datetime:
    """The last second of ``day`` in the configured zone."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone())


def deadline(period: str, day: int) -> datetime:
    """End of day ``day`` of the month after ``period``: when that period's reports are due."""
    following = add(period, 1)
    return end_of(date(int(following[:4]), int(following[5:7]), day))


def cutoff(period: str) -> datetime:
    """The end of the month after ``period``: a view of ``period`` shows the versions in effect then."""
    return end_of(last_day(add(period, 1)))


def due(as_of: str, day: int, at: datetime) -> str:
    """The latest month up to ``as_of`` whose reports were due (deadline ``day`` of the next month) by ``at``.

    Before the deadline a month is still 报送中: its reports are not late yet, and lateness counts from here.
    """
    month = as_of
    while deadline(month, day) >= at:
        month = previous(month)
    return month


def in_progress(period: str, day: int, at: datetime | None = None) -> bool:
    """True while ``period``'s reports are not yet due (报送中)."""
    return deadline(period, day) >= (at or now())


def label(period: str) -> str:
    """"2026年1月"."""
    return f"{period[:4]}年{int(period[5:7])}月"
