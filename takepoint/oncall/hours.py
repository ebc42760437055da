"""On-call hours per person, split the way teams pay for them.

In the schedule's own zone:
- business hours: Monday to Friday, 09:00 to 17:00;
- nights: Monday to Friday outside business hours (00:00-09:00 and 17:00-24:00);
- weekends: Saturday 00:00 to Monday 00:00.

The three parts never overlap and add up to the total. Hours are real elapsed time, so a night
in which the clocks go back counts one hour more, and one in which they go forward one hour less.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from takepoint.oncall.compute import Segment
from takepoint.oncall.wallclock import at, local_days

BUSINESS_START = time(9)
BUSINESS_END = time(17)


class Band(enum.StrEnum):
    BUSINESS = "business"
    NIGHT = "night"
    WEEKEND = "weekend"


@dataclass
class Hours:
    seconds: dict[Band, float] = field(default_factory=lambda: dict.fromkeys(Band, 0.0))

    def add(self, band: Band, span: timedelta) -> None:
        self.seconds[band] += span.total_seconds()

    def hours(self, band: Band) -> float:
        return self.seconds[band] / 3600

    @property
    def total(self) -> float:
        return sum(self.seconds.values()) / 3600


def bands(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime, Band]]:
    """[start, end) cut into business, night and weekend pieces, in order."""
    pieces: list[tuple[datetime, datetime, Band]] = []
    for day, opens, closes in local_days(start, end, tz):
        if day.weekday() >= 5:
            cuts = [(opens, closes, Band.WEEKEND)]
        else:
            morning, evening = at(day, BUSINESS_START, tz), at(day, BUSINESS_END, tz)
            cuts = [
                (opens, morning, Band.NIGHT),
                (morning, evening, Band.BUSINESS),
                (evening, closes, Band.NIGHT),
            ]
        for lo, hi, band in cuts:
            lo, hi = max(lo, start), min(hi, end)
            if hi > lo:
                pieces.append((lo, hi, band))
    return pieces


def on_call_hours(
    final: Sequence[Segment], tz: ZoneInfo, start: datetime, end: datetime
) -> dict[int, Hours]:
    """Hours each person is on call in [start, end), by band, from a final timeline."""
    totals: dict[int, Hours] = {}
    pieces = bands(start, end, tz)
    p = 0
    for segment in final:
        if segment.user_id is None:
            continue
        while p < len(pieces) and pieces[p][1] <= segment.start:
            p += 1
        q = p
        while q < len(pieces) and pieces[q][0] < segment.end:
            lo, hi = max(segment.start, pieces[q][0]), min(segment.end, pieces[q][1])
            if hi > lo:
                totals.setdefault(segment.user_id, Hours()).add(pieces[q][2], hi - lo)
            q += 1
    return totals
