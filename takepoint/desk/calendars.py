"""Business calendars and exact business-time arithmetic, with no database.

Business time is real elapsed time while the calendar is open. A span of opening hours opens the
first time the local wall clock shows its start and closes the first time it shows its end;
every real second in between counts once. So across daylight-saving changes:

- a span over the skipped hour (spring) is an hour shorter, and a boundary that falls inside the
  skipped hour moves to the moment the clocks jump (a span wholly inside it never opens);
- a span over the repeated hour (autumn) is an hour longer, because that hour really elapses;
  a boundary inside the repeated hour is its first occurrence.

Each span therefore becomes one interval in UTC, and the intervals of successive spans are in
order and never overlap, which is what makes the arithmetic below exact and additive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from takepoint.lib.clock import require_aware
from takepoint.lib.errors import InvalidInput
from takepoint.lib.numbers import is_digits

__all__ = [
    "ALWAYS",
    "BusinessCalendar",
    "Span",
    "add_business_seconds",
    "business_seconds",
    "holidays_for",
    "holidays_from_ics",
    "parse_spans",
]

MINUTES_PER_DAY = 24 * 60
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# A calendar closed for this long is treated as one that never opens again, so that a target
# on a calendar of nothing but holidays fails instead of looping until the year 9999.
HORIZON_DAYS = 3653

_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, order=True)
class Span:
    """Opening hours within one local day, in minutes since local midnight: [start, end).

    Minutes rather than `time` so that a day can be open to its very end: `end` may be 1440,
    which is 24:00, the midnight that ends the day (a `time` cannot say 24:00).
    """

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < MINUTES_PER_DAY or not 0 < self.end <= MINUTES_PER_DAY:
            raise InvalidInput(
                f"span {self} is outside the day: hours run from 00:00 to 24:00", field="weekly"
            )
        if self.end <= self.start:
            raise InvalidInput(f"span {self} ends before it starts", field="weekly")

    @classmethod
    def parse(cls, text: str) -> Span:
        """Read "09:00-17:00" (or with an en dash); "24:00" is allowed as an end."""
        parts = text.replace("\u2013", "-").split("-")  # an en dash reads as a hyphen
        if len(parts) != 2:
            raise InvalidInput(f"{text!r} is not a span like 09:00-17:00", field="weekly")
        return cls(_minutes(parts[0], text), _minutes(parts[1], text))

    def __str__(self) -> str:
        return f"{_clock_face(self.start)}-{_clock_face(self.end)}"


def parse_spans(text: str) -> tuple[Span, ...]:
    """Read one day's hours, "09:00-12:00, 13:00-17:00"; an empty text is a closed day."""
    return tuple(Span.parse(part) for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class BusinessCalendar:
    """When the desk is open: weekly hours in one time zone, minus holidays.

    `weekly` maps a weekday (0 = Monday … 6 = Sunday) to that day's spans; a missing day is
    closed. `holidays` are local dates on which the calendar is closed all day.
    """

    name: str
    time_zone: str
    # A mapping is not hashable; leaving it out of the hash keeps equal calendars hashing equal.
    weekly: Mapping[int, tuple[Span, ...]] = field(hash=False)
    holidays: frozenset[date] = frozenset()
    zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _always_open: bool = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", _zone(self.time_zone))
        object.__setattr__(self, "weekly", _normalise_week(self.weekly))
        for day in self.holidays:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise InvalidInput(f"holiday {day!r} is not a date", field="holidays")
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        whole_day = (Span(0, MINUTES_PER_DAY),)
        always = not self.holidays and all(self.weekly[d] == whole_day for d in range(7))
        object.__setattr__(self, "_always_open", always)

    def with_holidays(self, days: Iterable[date]) -> BusinessCalendar:
        return BusinessCalendar(
            name=self.name,
            time_zone=self.time_zone,
            weekly=self.weekly,
            holidays=self.holidays | frozenset(days),
        )


def business_seconds(calendar: BusinessCalendar, *, start: datetime, end: datetime) -> float:
    """Business seconds in [start, end); 0 when end <= start, never negative."""
    start = require_aware(start, "start")
    end = require_aware(end, "end")
    if end <= start:
        return 0.0
    if calendar._always_open:
        return (end - start).total_seconds()
    total = timedelta(0)
    last_day = end.astimezone(calendar.zone).date() + _DAY
    for opens, closes in _intervals(calendar, since=start, last_day=last_day):
        if opens >= end:
            break
        total += min(closes, end) - max(opens, start)
    return total.total_seconds()


def add_business_seconds(
    calendar: BusinessCalendar, *, start: datetime, seconds: float
) -> datetime:
    """The earliest instant t >= start with business_seconds(start, t) == seconds, in UTC.

    For seconds > 0 that is the moment the budget runs out inside a span (never the opening of
    the next one); for 0 it is `start` itself. Exact to the microsecond.
    """
    start = require_aware(start, "start")
    if not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"seconds must be a finite number >= 0, got {seconds}")
    budget = timedelta(microseconds=round(seconds * 1_000_000))
    if not budget:
        return start
    if calendar._always_open:
        return _checked_add(start, budget)
    last_open = start.astimezone(calendar.zone).date()
    try:
        for opens, closes in _intervals(calendar, since=start, last_day=None):
            opens = max(opens, start)
            if closes - opens >= budget:
                return opens + budget
            budget -= closes - opens
            last_open = closes.astimezone(calendar.zone).date()
    except OverflowError:
        raise InvalidInput("that target ends after the year 9999", field="target_seconds") from None
    raise InvalidInput(  # _intervals stops only after HORIZON_DAYS without an open span
        f"calendar {calendar.name!r} has no business hours in the {HORIZON_DAYS // 365} years "
        f"after {last_open.isoformat()}, so this target can never be reached",
        field="holidays",
    )


def holidays_from_ics(text: str) -> frozenset[date]:
    """The dates of every event in an iCalendar (ICS) file, read as days the desk is closed.

    An all-day event closes its date, or its range of dates (DTEND is exclusive, as in ICS);
    a timed event closes the date it starts on, as written in the event's own zone.
    """
    try:
        parsed = icalendar.Calendar.from_ical(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.name != "VCALENDAR":
        raise InvalidInput(
            "that text is not an iCalendar (ICS) file: it should start with BEGIN:VCALENDAR",
            field="holidays",
        )
    days: set[date] = set()
    for event in parsed.walk("VEVENT"):
        try:
            days.update(_event_dates(event))
        except ValueError as error:  # icalendar reads a malformed date lazily, and says so
            raise InvalidInput(
                f"an event in that iCalendar file has a broken date: {error}", field="holidays"
            ) from None
    return frozenset(days)


def holidays_for(country: str, subdivision: str | None, years: Iterable[int]) -> frozenset[date]:
    """Public holidays of a country (ISO 3166-1, "DE") and subdivision ("BE") in those years."""
    # Imported here: only setting up a calendar needs the tables, and the engine, which runs
    # the clocks, should not load a package of every country's holidays.
    import holidays as holiday_tables

    where = country if subdivision is None else f"{country}-{subdivision}"
    try:
        table = holiday_tables.country_holidays(country, subdiv=subdivision, years=list(years))
    except NotImplementedError:
        raise InvalidInput(
            f"no public holidays are known for {where!r}; use an ISO country code like DE "
            "and, if any, its subdivision like BE",
            field="holidays",
        ) from None
    return frozenset(table.keys())


def _event_dates(event: Any) -> list[date]:
    summary = str(event.get("summary", "")) or "an event"
    if event.get("rrule") is not None:
        # Expanding a rule needs an end the rule may not have; better refuse than miss a day.
        raise InvalidInput(
            f"{summary!r} repeats (RRULE); list each holiday as its own event", field="holidays"
        )
    start_prop = event.get("dtstart")
    if start_prop is None:
        raise InvalidInput(f"{summary!r} has no DTSTART", field="holidays")
    first = start_prop.dt
    if isinstance(first, datetime):
        return [first.date()]
    end_prop, duration = event.get("dtend"), event.get("duration")
    if end_prop is not None:
        end = end_prop.dt.date() if isinstance(end_prop.dt, datetime) else end_prop.dt
    elif duration is not None:
        end = first + timedelta(days=duration.dt.days)
    else:
        end = first + _DAY
    count = max((end - first).days, 1)
    return [first + timedelta(days=n) for n in range(count)]


def _intervals(
    calendar: BusinessCalendar, *, since: datetime, last_day: date | None
) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's open intervals in UTC, in order, that may end after `since`.

    It starts a local day early because a span of the day before can still be open (a span
    to 24:00 that ends in a repeated hour, or a zone far from UTC). With no `last_day` it stops
    after HORIZON_DAYS in a row without opening.
    """
    day = since.astimezone(calendar.zone).date() - _DAY
    closed_days = 0
    while last_day is None or day <= last_day:
        spans = () if day in calendar.holidays else calendar.weekly[day.weekday()]
        opened = False
        for span in spans:
            opens = _first_instant(calendar.zone, day, span.start)
            closes = _first_instant(calendar.zone, day, span.end)
            if closes > since and closes > opens:
                opened = True
                yield opens, closes
        closed_days = 0 if opened else closed_days + 1
        if last_day is None and closed_days > HORIZON_DAYS:
            return
        day += _DAY


def _first_instant(zone: ZoneInfo, day: date, minute: int) -> datetime:
    """The first instant (UTC) at which the local wall clock shows `minute` of `day`, or later."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    # fold=0 picks the first occurrence of a repeated wall time, which is what we want.
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # `wall` is in a skipped hour: the clock first shows it (or later) when the clocks jump.
    # fold=1 reads it with the offset after the jump, which lands before the jump.
    before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    after_offset = instant.astimezone(zone).utcoffset()
    while instant - before > _MICROSECOND:
        middle = before + (instant - before) // 2
        if middle.astimezone(zone).utcoffset() == after_offset:
            instant = middle
        else:
            before = middle
    return instant


def _checked_add(start: datetime, budget: timedelta) -> datetime:
    try:
        return start + budget
    except OverflowError:
        raise InvalidInput("that target ends after the year 9999", field="target_seconds") from None


def _normalise_week(weekly: Mapping[int, Sequence[Span]]) -> Mapping[int, tuple[Span, ...]]:
    week: dict[int, tuple[Span, ...]] = {}
    for day, spans in weekly.items():
        if day not in range(7):
            raise InvalidInput(f"weekday {day!r} is not 0 (Monday) to 6 (Sunday)", field="weekly")
        ordered = tuple(sorted(spans))
        for first, second in pairwise(ordered):
            # Touching spans are refused too: one span says the same thing without a seam.
            if second.start <= first.end:
                verb = "overlap" if second.start < first.end else "touch"
                raise InvalidInput(
                    f"{WEEKDAY_NAMES[day]}: spans {first} and {second} {verb}; "
                    f"write them as one span {Span(first.start, max(first.end, second.end))}",
                    field="weekly",
                )
        week[day] = ordered
    if not any(week.values()):
        raise InvalidInput(
            "the week has no business hours, so a business clock could never run", field="weekly"
        )
    return MappingProxyType({day: week.get(day, ()) for day in range(7)})


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"{name!r} is not a known IANA time zone (like Europe/Berlin)", field="time_zone"
        ) from None


def _minutes(text: str, whole: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    if not (is_digits(hours) and is_digits(minutes) and len(minutes) == 2):
        raise InvalidInput(f"{whole!r} is not a span like 09:00-17:00", field="weekly")
    if int(minutes) >= 60:
        raise InvalidInput(f"{whole!r} has a minute past 59", field="weekly")
    return int(hours) * 60 + int(minutes)


def _clock_face(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# Calendar time, 24x7: targets "in calendar time" run on this.
ALWAYS = BusinessCalendar(
    name="24x7", time_zone="UTC", weekly={day: (Span(0, MINUTES_PER_DAY),) for day in range(7)}
)
