"""The on-call hours report: per schedule and person, over local calendar dates."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.lib.errors import InvalidInput
from takepoint.oncall.hours import Band, on_call_hours
from takepoint.oncall.models import Schedule
from takepoint.oncall.service import list_schedules, timeline, users_by_id
from takepoint.oncall.wallclock import at, zone

MAX_DAYS = 366


@dataclass(frozen=True)
class HoursRow:
    schedule: Schedule
    user: User
    start: datetime
    end: datetime
    total: float
    business: float
    night: float
    weekend: float


def hours_report(
    session: Session, *, first: date, last: date, schedule_id: int | None = None
) -> list[HoursRow]:
    """Hours on call from `first` to `last` (both included), midnight to midnight in each
    schedule's own zone."""
    if last < first:
        raise InvalidInput("the last day is before the first", field="last")
    if (last - first).days >= MAX_DAYS:
        raise InvalidInput(f"report on at most {MAX_DAYS} days at a time", field="last")
    rows: list[HoursRow] = []
    for schedule in list_schedules(session):
        if schedule_id is not None and schedule.id != schedule_id:
            continue
        tz = zone(schedule.time_zone)
        start = at(first, time(0), tz)
        end = at(last + timedelta(days=1), time(0), tz)
        result = timeline(session, schedule=schedule, start=start, end=end)
        totals = on_call_hours(result.final, tz, start, end)
        people = users_by_id(session, totals)
        for user_id, hours in totals.items():
            rows.append(
                HoursRow(
                    schedule=schedule,
                    user=people[user_id],
                    start=start,
                    end=end,
                    total=hours.total,
                    business=hours.hours(Band.BUSINESS),
                    night=hours.hours(Band.NIGHT),
                    weekend=hours.hours(Band.WEEKEND),
                )
            )
    return sorted(rows, key=lambda r: (r.schedule.name, r.user.display_name))


CSV_COLUMNS = [
    "schedule",
    "time_zone",
    "person",
    "email",
    "first_day",
    "last_day",
    "total_hours",
    "business_hours",
    "night_hours",
    "weekend_hours",
]


def _cell(text: str) -> str:
    # Spreadsheets run cells that start like a formula; a name is never meant as one.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def hours_csv(rows: Sequence[HoursRow], *, first: date, last: date) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                _cell(row.schedule.name),
                row.schedule.time_zone,
                _cell(row.user.display_name),
                _cell(row.user.email),
                first.isoformat(),
                last.isoformat(),
                f"{row.total:.2f}",
                f"{row.business:.2f}",
                f"{row.night:.2f}",
                f"{row.weekend:.2f}",
            ]
        )
    return out.getvalue()
