"""Business calendars, against answers worked out by hand (UTC offsets written out in comments).

Europe/Berlin is CET (UTC+1) in winter and CEST (UTC+2) in summer; in 2026 the clocks go
forward at 02:00 CET on Sunday 29 March and back at 03:00 CEST on Sunday 25 October.
America/New_York is EST (UTC-5) and EDT (UTC-4); it goes forward on Sunday 8 March 2026.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from takepoint.desk.calendars import (
    ALWAYS,
    BusinessCalendar,
    Span,
    add_business_seconds,
    business_seconds,
    holidays_for,
    holidays_from_ics,
    parse_spans,
)
from takepoint.lib.errors import InvalidInput

HOUR = 3600.0
WEEKDAYS = range(5)


def office(
    hours: str = "09:00-17:00",
    *,
    zone: str = "Europe/Berlin",
    days: range | tuple[int, ...] = WEEKDAYS,
    holidays: frozenset[date] = frozenset(),
) -> BusinessCalendar:
    return BusinessCalendar(
        name="Office",
        time_zone=zone,
        weekly={day: parse_spans(hours) for day in days},
        holidays=holidays,
    )


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


# (calendar, start, seconds, expected due) — the acceptance cases first.
DUE_CASES = {
    # Fri 13 Mar 16:30 CET = 15:30Z; 30 min on Friday, 30 min on Monday: Mon 16 Mar 09:30 CET.
    "friday-to-monday": (office(), utc(2026, 3, 13, 15, 30), HOUR, utc(2026, 3, 16, 8, 30)),
    "monday-holiday": (
        office(holidays=frozenset({date(2026, 3, 16)})),
        utc(2026, 3, 13, 15, 30),
        HOUR,
        utc(2026, 3, 17, 8, 30),  # Tue 09:30 CET
    ),
    # Fri 27 Mar 16:30 CET = 15:30Z; Mon 30 Mar 09:30 is CEST = 07:30Z.
    "spring-forward-weekend": (
        office(),
        utc(2026, 3, 27, 15, 30),
        HOUR,
        utc(2026, 3, 30, 7, 30),
    ),
    # Fri 23 Oct 16:30 CEST = 14:30Z; Mon 26 Oct 09:30 is CET = 08:30Z.
    "fall-back-weekend": (office(), utc(2026, 10, 23, 14, 30), HOUR, utc(2026, 10, 26, 8, 30)),
    # Mon 2 Mar 11:30 CET = 10:30Z; 30 min to 12:00, lunch, 30 min from 13:00: 13:30 CET.
    "two-spans-lunch": (
        office("09:00-12:00, 13:00-17:00"),
        utc(2026, 3, 2, 10, 30),
        HOUR,
        utc(2026, 3, 2, 12, 30),
    ),
    # Fri 6 Mar 16:30 EST = 21:30Z; Mon 9 Mar 09:30 EDT = 13:30Z.
    "new-york-spring-forward": (
        office(zone="America/New_York"),
        utc(2026, 3, 6, 21, 30),
        HOUR,
        utc(2026, 3, 9, 13, 30),
    ),
    # A full day's budget ends at 17:00 that day, not at the next opening.
    "budget-ends-at-closing": (office(), utc(2026, 3, 2, 8), 8 * HOUR, utc(2026, 3, 2, 16)),
    # Created on a Saturday: the clock starts on Monday at 09:00 CET = 08:00Z.
    "created-when-closed": (office(), utc(2026, 3, 7, 12), HOUR, utc(2026, 3, 9, 9)),
    "zero-is-now": (office(), utc(2026, 3, 7, 12), 0.0, utc(2026, 3, 7, 12)),
    # Fractions of a second are kept to the microsecond.
    "fraction": (office(), utc(2026, 3, 2, 8), 1.25, utc(2026, 3, 2, 8, 0, 1, 250000)),
    # Calendar time runs through the weekend.
    "always": (ALWAYS, utc(2026, 3, 13, 15, 30), HOUR, utc(2026, 3, 13, 16, 30)),
    # Two weeks of an 8-hour day: 80 h = 10 business days, so Fri 13 Mar 17:00 CET.
    "two-weeks": (office(), utc(2026, 3, 2, 8), 80 * HOUR, utc(2026, 3, 13, 16)),
}


@pytest.mark.parametrize(
    ("calendar", "start", "seconds", "expected"), DUE_CASES.values(), ids=DUE_CASES
)
def test_it_adds_business_seconds(
    calendar: BusinessCalendar, start: datetime, seconds: float, expected: datetime
) -> None:
    due = add_business_seconds(calendar, start=start, seconds=seconds)
    assert due == expected
    assert due.utcoffset() == timedelta(0)


# (calendar, start, end, expected business seconds)
SPAN_CASES = {
    "one-day": (office(), utc(2026, 3, 2, 7), utc(2026, 3, 2, 17), 8 * HOUR),
    "over-a-weekend": (office(), utc(2026, 3, 13, 15, 30), utc(2026, 3, 16, 8, 30), HOUR),
    # Fri 27 Mar 16:00 CET = 15:00Z to Mon 30 Mar 10:00 CEST = 08:00Z: one hour each day.
    "over-spring-forward": (office(), utc(2026, 3, 27, 15), utc(2026, 3, 30, 8), 2 * HOUR),
    "a-whole-week": (office(), utc(2026, 3, 2), utc(2026, 3, 9), 40 * HOUR),
    "week-with-holiday": (
        office(holidays=frozenset({date(2026, 3, 4)})),
        utc(2026, 3, 2),
        utc(2026, 3, 9),
        32 * HOUR,
    ),
    "lunch-excluded": (
        office("09:00-12:00, 13:00-17:00"),
        utc(2026, 3, 2, 10),
        utc(2026, 3, 2, 13),
        2 * HOUR,  # 11:00-12:00 and 13:00-14:00 CET
    ),
    "end-before-start": (office(), utc(2026, 3, 2, 12), utc(2026, 3, 2, 10), 0.0),
    "empty-range": (office(), utc(2026, 3, 2, 12), utc(2026, 3, 2, 12), 0.0),
    "always-over-fall-back": (ALWAYS, utc(2026, 10, 24, 22), utc(2026, 10, 25, 23), 25 * HOUR),
}


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"), SPAN_CASES.values(), ids=SPAN_CASES
)
def test_it_counts_business_seconds(
    calendar: BusinessCalendar, start: datetime, end: datetime, expected: float
) -> None:
    assert business_seconds(calendar, start=start, end=end) == expected


# Spans on the two Sundays when Berlin changes its clocks: a span opens the first time the
# wall clock shows its start and closes the first time it shows its end.
# (span, Sunday, opens in UTC, closes in UTC)
DST_SPAN_CASES = {
    # 01:00 CET = 00:00Z; the clock jumps 02:00 CET → 03:00 CEST at 01:00Z; 04:00 CEST = 02:00Z.
    "spring-over-the-jump": ("01:00-04:00", date(2026, 3, 29), utc(2026, 3, 29, 0), 2 * HOUR),
    # 02:30 never shows: the span ends when the clocks jump, at 01:00Z.
    "spring-ends-in-gap": ("01:30-02:30", date(2026, 3, 29), utc(2026, 3, 29, 0, 30), 0.5 * HOUR),
    # 02:30 never shows: the span opens when the clocks jump (01:00Z) and closes 04:00 CEST.
    "spring-opens-in-gap": ("02:30-04:00", date(2026, 3, 29), utc(2026, 3, 29, 1), HOUR),
    "spring-inside-gap": ("02:15-02:45", date(2026, 3, 29), utc(2026, 3, 29, 1), 0.0),
    # 01:00 CEST = 23:00Z Sat; the clock goes back 03:00 CEST → 02:00 CET at 01:00Z;
    # 04:00 CET = 03:00Z. The repeated hour really elapses, so it counts.
    "autumn-over-repeat": ("01:00-04:00", date(2026, 10, 25), utc(2026, 10, 24, 23), 4 * HOUR),
    # 02:30 first shows in CEST (00:30Z): the span closes then and stays closed.
    "autumn-ends-in-repeat": (
        "01:00-02:30",
        date(2026, 10, 25),
        utc(2026, 10, 24, 23),
        1.5 * HOUR,
    ),
    # Opens at the first 02:30 (CEST, 00:30Z), closes 03:30 CET = 02:30Z.
    "autumn-opens-in-repeat": (
        "02:30-03:30",
        date(2026, 10, 25),
        utc(2026, 10, 25, 0, 30),
        2 * HOUR,
    ),
}


@pytest.mark.parametrize(
    ("hours", "sunday", "opens", "expected"), DST_SPAN_CASES.values(), ids=DST_SPAN_CASES
)
def test_it_counts_real_seconds_across_a_clock_change(
    hours: str, sunday: date, opens: datetime, expected: float
) -> None:
    calendar = office(hours, days=(6,))
    saturday_noon = datetime(sunday.year, sunday.month, sunday.day - 1, 12, tzinfo=UTC)
    monday_noon = saturday_noon + timedelta(days=2)
    assert business_seconds(calendar, start=saturday_noon, end=monday_noon) == expected
    if expected:
        assert add_business_seconds(calendar, start=saturday_noon, seconds=1e-6) == opens + (
            timedelta(microseconds=1)
        )


def test_it_runs_out_inside_the_repeated_hour() -> None:
    calendar = office("01:00-04:00", days=(6,))
    # From 01:00 CEST (23:00Z Sat): 2.5 h later is 01:30Z, the second 02:30 (CET) of the night.
    start = utc(2026, 10, 24, 23)
    assert add_business_seconds(calendar, start=start, seconds=2.5 * HOUR) == utc(
        2026, 10, 25, 1, 30
    )
    assert add_business_seconds(calendar, start=start, seconds=4 * HOUR) == utc(2026, 10, 25, 3)


def test_it_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        business_seconds(office(), start=datetime(2026, 3, 2, 9), end=utc(2026, 3, 2, 10))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        add_business_seconds(office(), start=datetime(2026, 3, 2, 9), seconds=1)  # noqa: DTZ001


def test_it_stays_fast_for_a_long_target_on_a_thin_calendar() -> None:
    calendar = office("10:00-11:00", days=(2,))
    start = utc(2026, 3, 2, 8)
    # 1000 one-hour Wednesdays: Wednesday 4 March 2026 is the first, so the 1000th is 999 weeks
    # later, Wednesday 26 April 2045 (10:00-11:00 CEST, 08:00-09:00Z).
    due = add_business_seconds(calendar, start=start, seconds=1000 * HOUR)
    assert due == utc(2045, 4, 26, 9)
    assert business_seconds(calendar, start=start, end=due) == 1000 * HOUR


def test_it_refuses_a_target_the_calendar_can_never_meet() -> None:
    mondays = [date(2026, 3, 2) + timedelta(weeks=n) for n in range(600)]
    calendar = office(days=(0,), holidays=frozenset(mondays))
    with pytest.raises(InvalidInput, match="no business hours in the 10 years") as raised:
        add_business_seconds(calendar, start=utc(2026, 3, 1), seconds=HOUR)
    assert raised.value.field == "holidays"


# (weekly hours, time zone, the words the error must contain)
INVALID_CALENDARS = {
    "overlap": (
        {0: (Span.parse("09:00-12:00"), Span.parse("11:00-13:00"))},
        "Europe/Berlin",
        ["Monday", "09:00-12:00", "11:00-13:00", "overlap"],
    ),
    "touch": (
        {4: (Span.parse("13:00-17:00"), Span.parse("09:00-13:00"))},
        "Europe/Berlin",
        ["Friday", "09:00-13:00", "13:00-17:00", "touch", "09:00-17:00"],
    ),
    "unknown-zone": ({0: parse_spans("09:00-17:00")}, "Europe/Atlantis", ["'Europe/Atlantis'"]),
    "not-a-zone": ({0: parse_spans("09:00-17:00")}, "../etc/passwd", ["not a known IANA"]),
    "empty-week": ({}, "Europe/Berlin", ["no business hours"]),
    "closed-days-only": ({0: (), 6: ()}, "Europe/Berlin", ["no business hours"]),
    "weekday-7": ({7: parse_spans("09:00-17:00")}, "Europe/Berlin", ["weekday 7"]),
}


@pytest.mark.parametrize(
    ("weekly", "zone", "words"), INVALID_CALENDARS.values(), ids=INVALID_CALENDARS
)
def test_it_refuses_an_invalid_calendar(
    weekly: dict[int, tuple[Span, ...]], zone: str, words: list[str]
) -> None:
    with pytest.raises(InvalidInput) as raised:
        BusinessCalendar(name="Bad", time_zone=zone, weekly=weekly)
    for word in words:
        assert word in raised.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("17:00-09:00", "ends before it starts"),
        ("09:00-09:00", "ends before it starts"),
        ("25:00-26:00", "outside the day"),
        ("09:60-10:00", "minute past 59"),
        ("9 to 5", "not a span"),
    ],
)
def test_it_refuses_an_invalid_span(text: str, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        Span.parse(text)


def test_it_reads_spans_up_to_midnight() -> None:
    assert parse_spans("00:00-08:00, 20:00-24:00") == (Span(0, 480), Span(1200, 1440))
    assert str(Span(1200, 1440)) == "20:00-24:00"
    assert parse_spans("") == ()


def test_it_refuses_a_datetime_as_a_holiday() -> None:
    with pytest.raises(InvalidInput, match="not a date"):
        office(holidays=frozenset({datetime(2026, 3, 2, tzinfo=UTC)}))


ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Takepoint//tests//EN
BEGIN:VEVENT
UID:new-year@example.test
DTSTART;VALUE=DATE:20260101
SUMMARY:New Year's Day
END:VEVENT
BEGIN:VEVENT
UID:christmas@example.test
DTSTART;VALUE=DATE:20261224
DTEND;VALUE=DATE:20261227
SUMMARY:Christmas closure
END:VEVENT
BEGIN:VEVENT
UID:easter@example.test
DTSTART;VALUE=DATE:20260406
DURATION:P2D
SUMMARY:Easter Monday and Tuesday
END:VEVENT
BEGIN:VEVENT
UID:offsite@example.test
DTSTART;TZID=Europe/Berlin:20260601T100000
DTEND;TZID=Europe/Berlin:20260601T120000
SUMMARY:Team offsite
END:VEVENT
END:VCALENDAR
"""


def test_it_reads_holidays_from_ics() -> None:
    assert holidays_from_ics(ICS) == {
        date(2026, 1, 1),
        # DTEND is exclusive: the 24th, 25th and 26th.
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2026, 4, 6),
        date(2026, 4, 7),
        # A timed event closes the day it starts on.
        date(2026, 6, 1),
    }


@pytest.mark.parametrize(
    "text",
    ["Christmas: 25 December", "", "BEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nEND:VEVENT\n"],
    ids=["prose", "empty", "bare-event"],
)
def test_it_refuses_text_that_is_not_ics(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"is not an iCalendar \(ICS\) file") as raised:
        holidays_from_ics(text)
    assert raised.value.field == "holidays"


def test_it_refuses_an_event_with_a_broken_date() -> None:
    text = ICS.replace("DTSTART;VALUE=DATE:20260101", "DTSTART;VALUE=DATE:20261301")
    with pytest.raises(InvalidInput, match="broken date"):
        holidays_from_ics(text)


def test_it_refuses_a_repeating_holiday_rather_than_missing_days() -> None:
    text = ICS.replace("SUMMARY:New Year's Day", "SUMMARY:New Year's Day\nRRULE:FREQ=YEARLY")
    with pytest.raises(InvalidInput, match="repeats"):
        holidays_from_ics(text)


def test_it_looks_up_public_holidays() -> None:
    berlin = holidays_for("DE", "BE", [2026])
    # New Year, International Women's Day (a Berlin holiday only), Christmas Day.
    assert {date(2026, 1, 1), date(2026, 3, 8), date(2026, 12, 25)} <= berlin
    assert date(2026, 3, 8) not in holidays_for("DE", "BY", [2026])
    assert all(day.year == 2026 for day in berlin)


@pytest.mark.parametrize(
    ("country", "subdivision", "named"), [("XX", None, "XX"), ("DE", "XX", "DE-XX")]
)
def test_it_refuses_an_unknown_country_or_subdivision(
    country: str, subdivision: str | None, named: str
) -> None:
    with pytest.raises(InvalidInput, match=named):
        holidays_for(country, subdivision, [2026])


def test_it_adds_holidays_to_a_calendar() -> None:
    calendar = office().with_holidays({date(2026, 3, 16)})
    assert calendar.holidays == {date(2026, 3, 16)}
    assert add_business_seconds(calendar, start=utc(2026, 3, 13, 15, 30), seconds=HOUR) == utc(
        2026, 3, 17, 8, 30
    )


def test_it_compares_calendars_by_value() -> None:
    assert office() == office()
    assert hash(office()) == hash(office())
    assert office() != office("09:00-12:00")
    # Days left out are closed days.
    assert office().weekly[5] == ()


@pytest.mark.parametrize("calendar", [office(), ALWAYS], ids=["office", "always"])
def test_it_refuses_a_due_time_past_the_year_9999(calendar: BusinessCalendar) -> None:
    with pytest.raises(InvalidInput, match="after the year 9999"):
        add_business_seconds(calendar, start=utc(9999, 12, 1), seconds=1000 * HOUR)
