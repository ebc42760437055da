"""When low-urgency incidents may page: the service's business hours, in its own zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from takepoint.incidents.models import ServicePaging

DEFAULT_DAYS = "12345"
DEFAULT_START = time(8, 0)
DEFAULT_END = time(18, 0)


def _days(paging: ServicePaging | None) -> set[int]:
    return {int(d) for d in (paging.business_days if paging else DEFAULT_DAYS)}


def within(moment: datetime, paging: ServicePaging | None) -> bool:
    zone = ZoneInfo(paging.business_zone if paging else "UTC")
    local = moment.astimezone(zone)
    start = paging.business_start if paging else DEFAULT_START
    end = paging.business_end if paging else DEFAULT_END
    return local.isoweekday() in _days(paging) and start <= local.time() < end


def next_opening(moment: datetime, paging: ServicePaging | None) -> datetime:
    """`moment` itself when business hours are on, else when they next begin."""
    if within(moment, paging):
        return moment
    zone = ZoneInfo(paging.business_zone if paging else "UTC")
    start = paging.business_start if paging else DEFAULT_START
    days = _days(paging)
    if not days:
        return moment  # no business hours at all: never hold a page back forever
    local = moment.astimezone(zone)
    for offset in range(0, 8):
        day = local.date() + timedelta(days=offset)
        if day.isoweekday() not in days:
            continue
        # Wall time through zoneinfo: a nonexistent 08:00 (never in practice) would shift forward.
        opening = datetime.combine(day, start, tzinfo=zone)
        if opening > local:
            return opening.astimezone(UTC)
    return moment
