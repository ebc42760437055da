"""Property tests: across many zones and years with clock changes, timelines tile their window,
leave no unintended gap, and hand off exactly at the local handoff time by the documented rule.

The rule is checked from first principles here, not with the code under test: a handoff at
wall-clock time T happens at the first instant at which the local clocks show T or later.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from takepoint.oncall.compute import (
    LayerSpec,
    OverrideSpec,
    ParticipantSpec,
    ScheduleSpec,
    Segment,
    ShiftUnit,
    WindowSpec,
    compute,
)

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute daylight saving
    "Asia/Kolkata",  # +05:30, no daylight saving
    "Australia/Sydney",  # southern hemisphere
    "Pacific/Auckland",  # southern hemisphere, +13 in summer
    "America/Santiago",  # southern hemisphere, clocks change at midnight
    "America/Havana",  # midnight changes: 00:00 does not exist on spring-forward day
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -03:30
    "Asia/Kathmandu",  # +05:45
    "Europe/Dublin",  # "negative" daylight saving in the tz database
    "Africa/Casablanca",  # clocks change around Ramadan, four times a year
    "Antarctica/Troll",  # a two-hour jump
    "UTC",
]

SETTINGS = settings(max_examples=40, deadline=None)


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def follows_rule(instant: datetime, expected_wall: datetime, tz: ZoneInfo) -> bool:
    """True if `instant` is the first moment the clocks in `tz` show `expected_wall` or later."""
    here = wall(instant, tz)
    if here < expected_wall:
        return False
    offset = instant.astimezone(tz).utcoffset()
    if (
        here == expected_wall
        and (instant - timedelta(hours=3)).astimezone(tz).utcoffset() == offset
    ):
        return True  # the clocks ran steadily for three hours: nothing skipped or repeated
    # No earlier moment in the preceding three hours showed it already (checked every 15
    # minutes, finer than any repeated stretch of the clock).
    probes = [timedelta(seconds=1)] + [timedelta(minutes=15 * i) for i in range(1, 13)]
    return all(wall(instant - p, tz) < expected_wall for p in probes)


def tiles(segments: list[Segment], start: datetime, end: datetime) -> None:
    assert segments, "an empty timeline"
    assert segments[0].start == start
    assert segments[-1].end == end
    for a, b in pairwise(segments):
        assert a.start < a.end, f"empty or inverted segment {a}"
        assert a.end == b.start, f"overlap or hole between {a} and {b}"
    assert segments[-1].start < segments[-1].end


@cache
def clock_changes(zone: str) -> list[tuple[date, time]]:
    """Local dates and wall times at which `zone`'s clocks jump or repeat, 2024 to 2026.

    Found by scanning, independently of the code under test. Each yields the wall time where
    the change starts and one a quarter of an hour into the skipped or repeated stretch.
    """
    tz = ZoneInfo(zone)
    found = []
    t = datetime(2024, 1, 1, tzinfo=UTC)
    previous = t.astimezone(tz).utcoffset() or timedelta(0)
    while t.year < 2027:
        t += timedelta(hours=1)
        offset = t.astimezone(tz).utcoffset() or timedelta(0)
        if offset != previous:
            # Changed within the last hour: find the quarter hour it happened at.
            t -= timedelta(minutes=45)
            while (t.astimezone(tz).utcoffset() or timedelta(0)) == previous:
                t += timedelta(minutes=15)
            # Clocks going forward skip [t + previous, t + offset); going back, they repeat
            # [t + offset, t + previous). Either way the stretch starts at the smaller one.
            start = (t + min(previous, offset)).replace(tzinfo=None)
            for moment in (start, start + timedelta(minutes=15)):
                found.append((moment.date(), moment.time()))
            previous = offset
    return found


@st.composite
def rotations(draw: st.DrawFn, zone: str, layer_id: int = 1, level: int = 1) -> LayerSpec:
    unit = draw(st.sampled_from(list(ShiftUnit)))
    length = draw(
        {
            ShiftUnit.HOURS: st.sampled_from([1, 2, 3, 5, 8, 12, 24, 36]),
            ShiftUnit.DAYS: st.integers(1, 4),
            ShiftUnit.WEEKS: st.integers(1, 2),
        }[unit]
    )
    start_date = draw(st.dates(date(2023, 6, 1), date(2026, 12, 31)))
    handoff = draw(st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])))
    changes = clock_changes(zone)
    aim = draw(st.booleans())
    if changes and aim:
        # Aim at the awkward moments: hand off inside a skipped or repeated stretch, on a date
        # a whole number of shifts before the change so that a handoff falls on it.
        change_day, handoff = draw(st.sampled_from(changes))
        start_date = change_day - timedelta(days=7 * draw(st.integers(0, 30)))
        if unit is ShiftUnit.DAYS:
            length = 1
    people = draw(st.integers(1, 4))
    return LayerSpec(
        id=layer_id,
        level=level,
        start_date=start_date,
        handoff=handoff,
        shift_length=length,
        shift_unit=unit,
        participants=tuple(
            ParticipantSpec(user_id=10 * layer_id + i, position=i) for i in range(people)
        ),
    )


@st.composite
def windows(draw: st.DrawFn, zone: str | None = None) -> tuple[datetime, datetime]:
    start = datetime(draw(st.integers(2024, 2026)), 1, 1, tzinfo=UTC) + timedelta(
        hours=draw(st.integers(0, 24 * 200))
    )
    aim = draw(st.booleans())
    if zone and clock_changes(zone) and aim:
        # Make sure a clock change falls inside the window.
        day, _ = draw(st.sampled_from(clock_changes(zone)))
        start = datetime.combine(day, time(0), UTC) - timedelta(hours=draw(st.integers(1, 2000)))
    return start, start + timedelta(days=draw(st.integers(100, 366)))


def expected_handoffs(layer: LayerSpec, boundary: datetime, tz: ZoneInfo) -> bool:
    anchor = datetime.combine(layer.start_date, layer.handoff)
    step = layer.shift_unit.step(layer.shift_length)
    k = (wall(boundary, tz) - anchor) // step
    # A skipped wall time happens later than itself, so the shift may be one or two back.
    return any(follows_rule(boundary, anchor + j * step, tz) for j in (k, k - 1, k - 2))


@SETTINGS
@given(data=st.data(), zone=st.sampled_from(ZONES))
def test_it_hands_off_at_the_local_handoff_time_and_tiles_the_window(
    data: st.DataObject, zone: str
) -> None:
    layer = data.draw(rotations(zone))
    start, end = data.draw(windows(zone))
    tz = ZoneInfo(zone)
    timeline = compute(ScheduleSpec(zone, (layer,)), start, end)
    tiles(timeline.final, start, end)
    tiles(timeline.layers[layer.id], start, end)
    layer_start = timeline.final[0].end if timeline.final[0].nobody else start
    for segment in timeline.final:
        if segment.start > start:
            assert expected_handoffs(layer, segment.start, tz), (
                f"{segment.start} ({wall(segment.start, tz)} local) is not a handoff"
            )
        if segment.start >= layer_start:
            # One rotation with people and no restrictions: nobody only before it starts.
            assert not segment.nobody, f"unintended gap {segment}"


@SETTINGS
@given(data=st.data(), zone=st.sampled_from(ZONES))
def test_it_gives_one_day_shifts_the_length_of_the_local_day(
    data: st.DataObject, zone: str
) -> None:
    layer = data.draw(rotations(zone))
    start, end = data.draw(windows(zone))
    tz = ZoneInfo(zone)
    daily = LayerSpec(
        id=1,
        level=1,
        start_date=layer.start_date,
        handoff=layer.handoff,
        shift_length=1,
        shift_unit=ShiftUnit.DAYS,
        participants=layer.participants,
    )
    for segment in compute(ScheduleSpec(zone, (daily,)), start, end).final[1:-1]:
        if segment.nobody:
            continue
        change = segment.end.astimezone(tz).utcoffset() - segment.start.astimezone(tz).utcoffset()  # type: ignore[operator]
        on_time = wall(segment.start, tz).time() == wall(segment.end, tz).time() == layer.handoff
        if on_time:
            # 09:00 to 09:00: 23 or 25 hours across a change (23.5 or 24.5 on Lord Howe).
            assert segment.duration == timedelta(hours=24) - change
        else:
            # A handoff time the clocks skipped happens when they jump, so a shift next to
            # one loses part of the skipped stretch (at most two hours, on Antarctica/Troll).
            assert timedelta(hours=22) <= segment.duration <= timedelta(hours=24)


@st.composite
def schedules(draw: st.DrawFn) -> ScheduleSpec:
    zone = draw(st.sampled_from(ZONES))
    layers = []
    for i in range(1, draw(st.integers(1, 3)) + 1):
        layer = draw(rotations(zone, layer_id=i, level=i))
        if draw(st.booleans()):
            days = frozenset(draw(st.sets(st.integers(0, 6), min_size=1)))
            opens = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
            closes = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30])))
            layer = LayerSpec(
                **{
                    **{f: getattr(layer, f) for f in LayerSpec.__dataclass_fields__},
                    "restrictions": (WindowSpec(days, opens, closes),),
                }
            )
        layers.append(layer)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    overrides = tuple(
        OverrideSpec(
            id=i,
            user_id=100 + i,
            start=base + timedelta(hours=draw(st.integers(0, 24 * 700))),
            end=base + timedelta(hours=draw(st.integers(0, 24 * 700))),
        )
        for i in range(draw(st.integers(0, 6)))
    )
    return ScheduleSpec(zone, tuple(layers), overrides=overrides)


@SETTINGS
@given(data=st.data(), probes=st.lists(st.floats(0, 1), max_size=12))
def test_it_stacks_layers_and_overrides_consistently(
    data: st.DataObject, probes: list[float]
) -> None:
    spec = data.draw(schedules())
    start, end = data.draw(windows(spec.zone))
    timeline = compute(spec, start, end)
    tiles(timeline.final, start, end)
    for layer_segments in timeline.layers.values():
        tiles(layer_segments, start, end)
    for fraction in probes:
        t = start + (end - start) * fraction
        if t >= end:
            continue
        chosen = timeline.at(t)
        covering = [o for o in spec.overrides if o.start <= t < o.end]
        if covering:
            assert chosen.user_id == max(covering, key=lambda o: o.id).user_id
        else:
            expected = None
            for layer in sorted(spec.layers, key=lambda la: la.level, reverse=True):
                here = next(s for s in timeline.layers[layer.id] if s.start <= t < s.end)
                if not here.nobody:
                    expected = here.user_id
                    break
            assert chosen.user_id == expected
        # Computing any other window gives the same answer for the same instant.
        alone = compute(spec, t, t + timedelta(minutes=1))
        assert alone.final[0].user_id == chosen.user_id
