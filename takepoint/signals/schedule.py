"""When a job is next due: a fixed period, or a cron expression in an IANA time zone.

Cron times are local times: "0 2 * * *" in Europe/London is 02:00 on the wall clock, which is
01:00 UTC in summer and 02:00 UTC in winter, and 23 or 25 hours apart across the changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from takepoint.lib.errors import InvalidInput
from takepoint.lib.numbers import is_digits
from takepoint.signals.models import ScheduleKind

MIN_PERIOD = timedelta(minutes=1)
MAX_PERIOD = timedelta(days=365)
MAX_GRACE = timedelta(days=30)
DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


@dataclass(frozen=True)
class Schedule:
    kind: ScheduleKind
    period: timedelta | None
    cron: str | None
    time_zone: str
    grace: timedelta

    def next_due(self, after: datetime) -> datetime:
        """The first time a run is expected strictly after `after`."""
        if self.kind is ScheduleKind.PERIOD:
            assert self.period is not None
            return after + self.period
        assert self.cron is not None
        local = after.astimezone(ZoneInfo(self.time_zone))
        # cronsim works on local wall-clock times and resolves the DST gap and overlap the way
        # Debian's cron does; the answer is converted back to an absolute moment.
        due: datetime = next(CronSim(self.cron, local))
        return due.astimezone(after.tzinfo)

    def in_words(self) -> str:
        if self.kind is ScheduleKind.PERIOD:
            assert self.period is not None
            when = f"every {span_in_words(self.period)}"
        else:
            assert self.cron is not None
            when = f"{cron_in_words(self.cron)} {self.time_zone}"
        return f"{when}, grace {span_in_words(self.grace)}"


def check_schedule(
    *,
    period: timedelta | None,
    cron: str | None,
    time_zone: str,
    grace: timedelta,
) -> Schedule:
    """A valid schedule, or InvalidInput naming the field that is wrong."""
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"{time_zone!r} is not an IANA time zone such as Europe/London", field="time_zone"
        ) from None
    if grace < timedelta(0) or grace > MAX_GRACE:
        raise InvalidInput("the grace period must be between 0 and 30 days", field="grace")
    if cron:
        cron = " ".join(cron.split())
        try:
            CronSim(cron, datetime(2026, 1, 1, tzinfo=ZoneInfo(time_zone)))
        except CronSimError as exc:
            raise InvalidInput(f"{cron!r} is not a cron expression: {exc}", field="cron") from None
        if len(cron.split()) != 5:
            raise InvalidInput(
                "use the five cron fields: minute hour day month weekday", field="cron"
            )
        return Schedule(ScheduleKind.CRON, None, cron, time_zone, grace)
    if period is None:
        raise InvalidInput("give a period or a cron expression", field="period")
    if not MIN_PERIOD <= period <= MAX_PERIOD:
        raise InvalidInput("the period must be between 1 minute and 365 days", field="period")
    return Schedule(ScheduleKind.PERIOD, period, None, time_zone, grace)


def span_in_words(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds == 0:
        return "none"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds % size == 0:
            count = seconds // size
            if unit == "day":
                return "1 day" if count == 1 else f"{count} days"
            return f"{count} {unit}"
    return f"{seconds} s"


def _at(minute: str, hour: str) -> str | None:
    if is_digits(minute) and is_digits(hour):
        return f"{int(hour):02d}:{int(minute):02d}"
    return None


def cron_in_words(expr: str) -> str:
    """Common cron shapes in plain words; anything unusual is shown as the expression."""
    fields = expr.split()
    if len(fields) != 5:
        return f"on cron schedule “{expr}”"
    minute, hour, dom, month, dow = fields
    at = _at(minute, hour)
    if at and dom == "*" and month == "*":
        if dow == "*":
            return f"every day at {at}"
        if dow in ("1-5", "MON-FRI", "mon-fri"):
            return f"on weekdays at {at}"
        if is_digits(dow) and int(dow) <= 7:
            return f"every {DAY_NAMES[int(dow) % 7]} at {at}"
    if at and is_digits(dom) and month == "*" and dow == "*":
        return f"on day {int(dom)} of every month at {at}"
    if is_digits(minute) and hour == "*" and dom == month == dow == "*":
        return f"every hour at {int(minute):02d} minutes past"
    if minute.startswith("*/") and hour == dom == month == dow == "*":
        return f"every {minute[2:]} minutes"
    if minute == "*" and hour == dom == month == dow == "*":
        return "every minute"
    return f"on cron schedule “{expr}”"
