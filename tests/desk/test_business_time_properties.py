"""Properties of business time over random calendars in zones that change their clocks.

The zones include half-hour daylight saving (Lord Howe) and a change at midnight (Santiago), and
the instants cluster around 2026's clock changes, where mistakes would hide.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from takepoint.desk.calendars import BusinessCalendar, Span, add_business_seconds, business_seconds

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "America/Santiago",
]
# Days on or near which one of those zones changes its clocks in 2026.
CHANGE_DAYS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 9, 6),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
]
# Minutes a span may start or end on; the small hours are over-drawn because clocks change then.
CUTS = st.one_of(
    st.integers(0, 1440), st.sampled_from([0, 60, 90, 120, 135, 150, 180, 210, 240, 1380, 1440])
)
MICROSECOND = timedelta(microseconds=1)
PROPERTY = settings(max_examples=200, deadline=None)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    weekly: dict[int, tuple[Span, ...]] = {}
    for day in range(7):
        cuts = sorted(draw(st.lists(CUTS, max_size=6, unique=True)))
        del cuts[len(cuts) - len(cuts) % 2 :]
        weekly[day] = tuple(Span(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=True))
    if not any(weekly.values()):
        weekly[0] = (Span(540, 1020),)
    return BusinessCalendar(
        name="Random",
        time_zone=draw(st.sampled_from(ZONES)),
        weekly=weekly,
        holidays=draw(st.frozensets(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=20)),
    )


def near_a_change(step: timedelta) -> st.SearchStrategy[datetime]:
    """Instants on a grid of `step` within two days of a clock change."""
    reach = timedelta(days=2) // step
    return st.builds(
        lambda day, steps: datetime.combine(day, time(), tzinfo=UTC) + steps * step,
        st.sampled_from(CHANGE_DAYS),
        st.integers(-reach, reach),
    )


INSTANTS = st.one_of(
    st.datetimes(
        min_value=datetime(2026, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
        max_value=datetime(2026, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    near_a_change(timedelta(microseconds=250_000)),
)


def week_seconds(calendar: BusinessCalendar) -> float:
    return 60.0 * sum(s.end - s.start for spans in calendar.weekly.values() for s in spans)


@PROPERTY
@given(calendar=calendars(), instants=st.lists(INSTANTS, min_size=3, max_size=3))
def test_it_adds_up_business_time_over_consecutive_ranges(
    calendar: BusinessCalendar, instants: list[datetime]
) -> None:
    a, b, c = sorted(instants)
    whole = business_seconds(calendar, start=a, end=c)
    first = business_seconds(calendar, start=a, end=b)
    second = business_seconds(calendar, start=b, end=c)
    assert min(whole, first, second) >= 0
    assert abs(whole - (first + second)) <= 1e-6
    assert whole <= (c - a).total_seconds()
    assert business_seconds(calendar, start=c, end=a) == 0


@PROPERTY
@given(calendar=calendars(), start=INSTANTS, share=st.floats(0, 4))
def test_it_adds_business_seconds_as_the_inverse_of_counting_them(
    calendar: BusinessCalendar, start: datetime, share: float
) -> None:
    seconds = share * week_seconds(calendar)
    due = add_business_seconds(calendar, start=start, seconds=seconds)
    assert due >= start
    assert abs(business_seconds(calendar, start=start, end=due) - seconds) <= 1e-6
    if due > start:
        # The earliest such instant: a microsecond earlier the budget is not yet used up.
        assert business_seconds(calendar, start=start, end=due - MICROSECOND) < seconds - 1e-7


@PROPERTY
@given(
    calendar=calendars(), start=INSTANTS, shares=st.lists(st.floats(0, 3), min_size=2, max_size=2)
)
def test_it_is_due_no_earlier_for_a_longer_target(
    calendar: BusinessCalendar, start: datetime, shares: list[float]
) -> None:
    shorter, longer = (share * week_seconds(calendar) for share in sorted(shares))
    assert add_business_seconds(calendar, start=start, seconds=shorter) <= add_business_seconds(
        calendar, start=start, seconds=longer
    )


@PROPERTY
@given(
    calendar=calendars(),
    start=near_a_change(timedelta(minutes=1)),
    minutes=st.integers(0, 2 * 1440),
)
def test_it_agrees_with_a_minute_by_minute_scan_of_the_wall_clock(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    end = start + timedelta(minutes=minutes)
    assert business_seconds(calendar, start=start, end=end) == scan(calendar, start, end)


def scan(calendar: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Business seconds by walking UTC minute by minute, independently of the code under test.

    A span opens the first time the wall clock shows its start and closes the first time it
    shows its end, so a minute is open when the latest wall time shown so far (the clock's high
    water mark, which stands still through a repeated hour) lies inside a span of its own day.
    Every zone here changes its clocks on a whole minute, so minutes are exact.
    """
    zone = ZoneInfo(calendar.time_zone)
    moment = start - timedelta(days=2)
    high_water = moment.astimezone(zone).replace(tzinfo=None)
    total = 0.0
    while moment < end:
        high_water = max(high_water, moment.astimezone(zone).replace(tzinfo=None))
        day, minute = high_water.date(), high_water.hour * 60 + high_water.minute
        spans = () if day in calendar.holidays else calendar.weekly[day.weekday()]
        if moment >= start and any(span.start <= minute < span.end for span in spans):
            total += 60
        moment += timedelta(minutes=1)
    return total
