"""Exact handoff instants across daylight-saving changes, and the documented rule for handoff
times that are skipped or repeated."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from takepoint.oncall.compute import (
    LayerSpec,
    ParticipantSpec,
    ScheduleSpec,
    ShiftUnit,
    WindowSpec,
    compute,
)


def z(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def rotation(
    *,
    start: date,
    handoff: time,
    length: int = 1,
    unit: ShiftUnit = ShiftUnit.WEEKS,
    people: int = 4,
    restrictions: tuple[WindowSpec, ...] = (),
) -> LayerSpec:
    return LayerSpec(
        id=1,
        level=1,
        start_date=start,
        handoff=handoff,
        shift_length=length,
        shift_unit=unit,
        participants=tuple(ParticipantSpec(user_id=i + 1, position=i) for i in range(people)),
        restrictions=restrictions,
    )


def test_it_hands_a_weekly_london_rotation_over_at_nine_local_across_both_2026_changes() -> None:
    # Sam, Priya, Lee and Dana (1-4) hand off on Mondays at 09:00 Europe/London. Clocks go
    # forward on Sunday 29 March 2026 and back on Sunday 25 October 2026.
    layer = rotation(start=date(2026, 3, 2), handoff=time(9))
    timeline = compute(ScheduleSpec("Europe/London", (layer,)), z(2026, 3, 16), z(2026, 11, 3))
    handoffs = [(s.start, s.user_id) for s in timeline.final]
    assert handoffs[:5] == [
        (z(2026, 3, 16), 2),  # the window opens in the middle of Priya's week
        (z(2026, 3, 16, 9), 3),  # 09:00 GMT
        (z(2026, 3, 23, 9), 4),  # 09:00 GMT
        (z(2026, 3, 30, 8), 1),  # 09:00 BST, the first Monday after the change
        (z(2026, 4, 6, 8), 2),
    ]
    assert handoffs[-4:] == [
        (z(2026, 10, 12, 8), 1),
        (z(2026, 10, 19, 8), 2),  # 09:00 BST
        (z(2026, 10, 26, 9), 3),  # 09:00 GMT, the first Monday after clocks went back
        (z(2026, 11, 2, 9), 4),
    ]
    by_start = {s.start: s for s in timeline.final}
    assert by_start[z(2026, 3, 23, 9)].duration == timedelta(hours=167)
    assert by_start[z(2026, 10, 19, 8)].duration == timedelta(hours=169)
    changes = (z(2026, 3, 23, 9), z(2026, 10, 19, 8))
    ordinary = [s for s in timeline.final[1:-1] if s.start not in changes]
    assert {s.duration for s in ordinary} == {timedelta(days=7)}


def test_it_makes_the_day_of_a_change_23_or_25_hours_long() -> None:
    layer = rotation(start=date(2026, 3, 1), handoff=time(9), unit=ShiftUnit.DAYS)
    timeline = compute(ScheduleSpec("America/New_York", (layer,)), z(2026, 3, 7), z(2026, 11, 3))
    lengths = {s.start: s.duration for s in timeline.final}
    assert lengths[z(2026, 3, 7, 14)] == timedelta(hours=23)  # Sat 09:00 EST to Sun 09:00 EDT
    assert lengths[z(2026, 3, 8, 13)] == timedelta(hours=24)
    assert lengths[z(2026, 10, 31, 13)] == timedelta(hours=25)  # Sat 09:00 EDT to Sun 09:00 EST
    assert lengths[z(2026, 11, 1, 14)] == timedelta(hours=24)


def test_it_hands_off_a_skipped_time_when_the_clocks_jump() -> None:
    # New York skips 02:00-03:00 on 8 March 2026: a 02:30 handoff happens at 03:00 EDT.
    layer = rotation(start=date(2026, 3, 1), handoff=time(2, 30), unit=ShiftUnit.DAYS)
    timeline = compute(ScheduleSpec("America/New_York", (layer,)), z(2026, 3, 7), z(2026, 3, 10))
    assert [s.start for s in timeline.final[1:]] == [
        z(2026, 3, 7, 7, 30),  # 02:30 EST
        z(2026, 3, 8, 7),  # the jump: 03:00 EDT
        z(2026, 3, 9, 6, 30),  # 02:30 EDT
    ]


def test_it_hands_off_a_repeated_time_at_its_first_occurrence() -> None:
    # New York repeats 01:00-02:00 on 1 November 2026: 01:30 is first 01:30 EDT (05:30Z).
    layer = rotation(start=date(2026, 10, 1), handoff=time(1, 30), unit=ShiftUnit.DAYS)
    timeline = compute(ScheduleSpec("America/New_York", (layer,)), z(2026, 10, 31), z(2026, 11, 3))
    assert [s.start for s in timeline.final[1:]] == [
        z(2026, 10, 31, 5, 30),
        z(2026, 11, 1, 5, 30),  # 01:30 EDT, not 01:30 EST an hour later
        z(2026, 11, 2, 6, 30),
    ]
    assert timeline.final[2].duration == timedelta(hours=25)


def test_it_handles_lord_howes_half_hour_changes() -> None:
    # Lord Howe goes from +11 to +10:30 at 02:00 on 5 April 2026 (repeating 01:30-02:00) and
    # back to +11 at 02:00 on 4 October 2026 (skipping 02:00-02:30).
    layer = rotation(start=date(2026, 1, 5), handoff=time(1, 45), unit=ShiftUnit.DAYS)
    spec = ScheduleSpec("Australia/Lord_Howe", (layer,))
    april = compute(spec, z(2026, 4, 3, 12), z(2026, 4, 6, 12)).final
    assert [s.start for s in april[1:]] == [
        z(2026, 4, 3, 14, 45),  # 01:45 +11
        z(2026, 4, 4, 14, 45),  # 01:45 +11, the first of the two
        z(2026, 4, 5, 15, 15),  # 01:45 +10:30
    ]
    assert april[2].duration == timedelta(hours=24, minutes=30)
    skipped = rotation(start=date(2026, 1, 5), handoff=time(2, 15), unit=ShiftUnit.DAYS)
    october = compute(
        ScheduleSpec("Australia/Lord_Howe", (skipped,)), z(2026, 10, 2, 12), z(2026, 10, 5, 12)
    ).final
    assert [s.start for s in october[1:]] == [
        z(2026, 10, 2, 15, 45),  # 02:15 +10:30
        z(2026, 10, 3, 15, 30),  # the jump at 02:00 +10:30, which the clocks show as 02:30
        z(2026, 10, 4, 15, 15),  # 02:15 +11
    ]


def test_it_applies_the_same_rule_to_restriction_windows() -> None:
    # Nights 01:00-03:00 in London: 3 hours when the clocks go back, 1 when they go forward.
    nights = WindowSpec(frozenset(range(7)), time(1), time(3))
    layer = rotation(
        start=date(2026, 3, 1), handoff=time(9), unit=ShiftUnit.DAYS, restrictions=(nights,)
    )
    spec = ScheduleSpec("Europe/London", (layer,))
    spring = [s for s in compute(spec, z(2026, 3, 28), z(2026, 3, 31)).final if not s.nobody]
    assert [(s.start, s.end) for s in spring] == [
        (z(2026, 3, 28, 1), z(2026, 3, 28, 3)),
        (z(2026, 3, 29, 1), z(2026, 3, 29, 2)),  # 01:00 skipped: from the jump to 03:00 BST
        (z(2026, 3, 30, 0), z(2026, 3, 30, 2)),
    ]
    autumn = [s for s in compute(spec, z(2026, 10, 24), z(2026, 10, 27)).final if not s.nobody]
    assert [s.duration for s in autumn] == [
        timedelta(hours=2),
        timedelta(hours=3),  # 01:00 BST (first occurrence) to 03:00 GMT
        timedelta(hours=2),
    ]


def test_it_never_overlaps_when_a_jump_is_longer_than_a_shift() -> None:
    # Antarctica/Troll jumps from +00 to +02 at 01:00 UTC on 29 March 2026: hourly shifts at
    # 01:00, 02:00 local would be inverted by a rule that moves skipped times forward.
    layer = rotation(start=date(2026, 3, 28), handoff=time(0), unit=ShiftUnit.HOURS, people=5)
    timeline = compute(
        ScheduleSpec("Antarctica/Troll", (layer,)), z(2026, 3, 29), z(2026, 3, 29, 4)
    )
    assert [(s.start, s.end) for s in timeline.final] == [
        (z(2026, 3, 29, 0), z(2026, 3, 29, 1)),  # 00:00 +00
        (z(2026, 3, 29, 1), z(2026, 3, 29, 2)),  # 01:00, 02:00 and 03:00 skipped: the jump
        (z(2026, 3, 29, 2), z(2026, 3, 29, 3)),  # 04:00 +02
        (z(2026, 3, 29, 3), z(2026, 3, 29, 4)),
    ]
