"""Local wall-clock times to instants, by the one rule every on-call calculation uses.

The rule: a wall-clock time T in zone Z happens at the first instant at which Z's clocks show T
or later.

- A time that happens once is that instant.
- A repeated time (01:30 on a fall-back night) is its first occurrence, before the clocks go back.
- A time that does not exist (02:30 when the clocks jump from 02:00 to 03:00) is the instant of
  the jump, which the clocks show as 03:00.

Python's own default for a skipped time (fold=0) moves it forward by the length of the gap, to
03:30. That is not monotonic: 02:30 would then happen after 03:00, and a rotation or restriction
shorter than the gap (Antarctica/Troll jumps two hours) would produce overlapping or inverted
intervals. Under this rule a later wall-clock time never maps to an earlier instant.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def to_local(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall-clock reading of `instant` in `tz`."""
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


def to_instant(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of the naive wall-clock time `local` in `tz`, by the module's rule."""
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    back = first.astimezone(tz)
    # Field by field: cheaper than building a naive copy, and this runs for every boundary.
    if (
        back.hour == local.hour
        and back.minute == local.minute
        and back.day == local.day
        and back.second == local.second
        and back.month == local.month
        and back.year == local.year
        and back.microsecond == local.microsecond
    ):
        return first
    return _end_of_gap(local, tz, first)


def at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return to_instant(datetime.combine(day, clock), tz)


def _end_of_gap(local: datetime, tz: ZoneInfo, after: datetime) -> datetime:
    # `local` was skipped. With fold=1 it maps to an instant before the jump (the clocks there
    # show a time earlier than `local`); with fold=0 to one after it. The jump lies between, on
    # a whole second; find it by bisection. This runs only for skipped times, so rarely.
    before = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = math.floor(before.timestamp()), math.ceil(after.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if to_local(datetime.fromtimestamp(mid, UTC), tz) >= local:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def exists(local: datetime, tz: ZoneInfo) -> bool:
    return to_local(local.replace(tzinfo=tz, fold=0).astimezone(UTC), tz) == local


def local_days(
    start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[date, datetime, datetime]]:
    """Each local calendar day touching [start, end), with the instants it begins and ends.

    A day that contains a daylight-saving change lasts 23 or 25 hours (or 23.5 on Lord Howe).
    """
    days = []
    day = to_local(start, tz).date()
    last = to_local(end - timedelta(microseconds=1), tz).date() if end > start else day
    while day <= last:
        following = day + timedelta(days=1)
        days.append((day, at(day, time(0), tz), at(following, time(0), tz)))
        day = following
    return days
