"""Rotations, restrictions, layers, overrides and swaps in the pure schedule maths."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from takepoint.oncall.compute import (
    LayerSpec,
    OverrideSpec,
    ParticipantSpec,
    ScheduleSpec,
    ShiftUnit,
    SwapSpec,
    WindowSpec,
    compute,
    layer_shifts,
    runs,
)

SAM, PRIYA, LEE, DANA, ALEX = 1, 2, 3, 4, 5
MONDAY = date(2026, 3, 2)


def z(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def weekly(*people: ParticipantSpec, layer_id: int = 1, level: int = 1) -> LayerSpec:
    return LayerSpec(
        id=layer_id,
        level=level,
        start_date=MONDAY,
        handoff=time(9),
        shift_length=1,
        shift_unit=ShiftUnit.WEEKS,
        participants=people,
    )


def team(*user_ids: int) -> tuple[ParticipantSpec, ...]:
    return tuple(ParticipantSpec(u, i + 1) for i, u in enumerate(user_ids))


def who(spec: ScheduleSpec, weeks: int) -> list[int | None]:
    timeline = compute(spec, z(2026, 3, 2, 9), z(2026, 3, 2, 9) + timedelta(weeks=weeks))
    return [s.user_id for s in timeline.final]


def test_it_takes_turns_in_order() -> None:
    spec = ScheduleSpec("UTC", (weekly(*team(SAM, PRIYA, LEE, DANA)),))
    assert who(spec, 6) == [SAM, PRIYA, LEE, DANA, SAM, PRIYA]


def test_it_adds_someone_from_a_date_without_rewriting_history() -> None:
    before = ScheduleSpec("UTC", (weekly(*team(SAM, PRIYA, LEE)),))
    # Alex joins for shifts starting on or after Tuesday 17 March (so from Monday 23 March).
    alex = ParticipantSpec(ALEX, 4, effective_from=date(2026, 3, 17))
    after = ScheduleSpec("UTC", (weekly(*team(SAM, PRIYA, LEE), alex),))
    assert who(before, 3) == who(after, 3) == [SAM, PRIYA, LEE]
    # The turn passes on from Lee as before; Alex slots in at the end of the order.
    assert who(after, 8) == [SAM, PRIYA, LEE, ALEX, SAM, PRIYA, LEE, ALEX]


def test_it_removes_someone_from_a_date_and_the_next_person_carries_on() -> None:
    people = (
        ParticipantSpec(SAM, 1),
        ParticipantSpec(PRIYA, 2, effective_until=date(2026, 3, 23)),
        ParticipantSpec(LEE, 3),
    )
    spec = ScheduleSpec("UTC", (weekly(*people),))
    assert who(spec, 7) == [SAM, PRIYA, LEE, SAM, LEE, SAM, LEE]


def test_it_shows_nobody_when_the_rotation_has_no_one() -> None:
    people = (ParticipantSpec(SAM, 1, effective_until=date(2026, 3, 9)),)
    timeline = compute(ScheduleSpec("UTC", (weekly(*people),)), z(2026, 3, 1), z(2026, 3, 20))
    assert [(s.start, s.end, s.user_id) for s in timeline.final] == [
        (z(2026, 3, 1), z(2026, 3, 2, 9), None),  # before the layer starts
        (z(2026, 3, 2, 9), z(2026, 3, 9, 9), SAM),
        (z(2026, 3, 9, 9), z(2026, 3, 20), None),  # Sam left and nobody replaced him
    ]


def test_it_restricts_a_layer_to_weekday_nights_and_falls_through_elsewhere() -> None:
    nights = LayerSpec(
        id=2,
        level=2,
        start_date=MONDAY,
        handoff=time(18),
        shift_length=1,
        shift_unit=ShiftUnit.DAYS,
        participants=team(LEE),
        restrictions=(WindowSpec(frozenset(range(5)), time(18), time(8)),),
    )
    spec = ScheduleSpec("Europe/London", (weekly(*team(SAM)), nights))
    timeline = compute(spec, z(2026, 3, 6, 12), z(2026, 3, 9, 12))  # Friday noon to Monday noon
    assert [(s.start, s.user_id) for s in timeline.final] == [
        (z(2026, 3, 6, 12), SAM),
        (z(2026, 3, 6, 18), LEE),  # Friday's window runs to Saturday 08:00
        # No window opens at the weekend, and Monday 00:00-08:00 would be Sunday's.
        (z(2026, 3, 7, 8), SAM),
        (z(2026, 3, 9, 9), SAM),  # Sam's next week
    ]


def test_it_restricts_a_layer_to_weekends() -> None:
    weekends = LayerSpec(
        id=1,
        level=1,
        start_date=MONDAY,
        handoff=time(9),
        shift_length=1,
        shift_unit=ShiftUnit.WEEKS,
        participants=team(DANA),
        restrictions=(WindowSpec(frozenset({5, 6}), time(0), time(0)),),
    )
    timeline = compute(ScheduleSpec("Europe/London", (weekends,)), z(2026, 3, 2), z(2026, 3, 16))
    covered = [(s.start, s.end) for s in timeline.final if not s.nobody]
    assert covered == [(z(2026, 3, 7), z(2026, 3, 9)), (z(2026, 3, 14), z(2026, 3, 16))]


def test_it_lets_the_newest_override_win() -> None:
    overrides = (
        OverrideSpec(1, LEE, z(2026, 3, 3), z(2026, 3, 5)),
        OverrideSpec(2, DANA, z(2026, 3, 4), z(2026, 3, 4, 12)),
    )
    spec = ScheduleSpec("UTC", (weekly(*team(SAM)),), overrides=overrides)
    timeline = compute(spec, z(2026, 3, 3), z(2026, 3, 6))
    assert [(s.start, s.user_id, s.override_id) for s in timeline.final] == [
        (z(2026, 3, 3), LEE, 1),
        (z(2026, 3, 4), DANA, 2),
        (z(2026, 3, 4, 12), LEE, 1),
        (z(2026, 3, 5), SAM, None),
    ]


def test_it_changes_exactly_the_swapped_shifts() -> None:
    base = ScheduleSpec("UTC", (weekly(*team(SAM, PRIYA, LEE, DANA)),))
    # Sam gives his 30 March shift to Lee and takes Lee's 16 March shift in return.
    swaps = (
        SwapSpec(7, 1, z(2026, 3, 30, 9), SAM, LEE),
        SwapSpec(7, 1, z(2026, 3, 16, 9), LEE, SAM),
    )
    swapped = ScheduleSpec(base.zone, base.layers, swaps=swaps)
    assert who(base, 8) == [SAM, PRIYA, LEE, DANA, SAM, PRIYA, LEE, DANA]
    assert who(swapped, 8) == [SAM, PRIYA, SAM, DANA, LEE, PRIYA, LEE, DANA]
    shifts = layer_shifts(swapped, 1, z(2026, 3, 16, 9), z(2026, 3, 16, 10))
    assert [(s.user_id, s.rotation_user_id, s.swap_id) for s in shifts] == [(SAM, LEE, 7)]


def test_it_ignores_a_swap_whose_shift_no_longer_belongs_to_the_giver() -> None:
    swaps = (SwapSpec(3, 1, z(2026, 3, 9, 9), SAM, LEE),)  # 9 March is Priya's, not Sam's
    spec = ScheduleSpec("UTC", (weekly(*team(SAM, PRIYA, LEE, DANA)),), swaps=swaps)
    assert who(spec, 2) == [SAM, PRIYA]


def test_it_merges_continuous_time_on_call_into_runs() -> None:
    spec = ScheduleSpec(
        "UTC",
        (weekly(*team(SAM, PRIYA)),),
        overrides=(OverrideSpec(1, SAM, z(2026, 3, 9, 9), z(2026, 3, 10, 9)),),
    )
    timeline = compute(spec, z(2026, 3, 2, 9), z(2026, 3, 16, 9))
    assert [(r.user_id, r.start, r.end) for r in runs(timeline.final)] == [
        (SAM, z(2026, 3, 2, 9), z(2026, 3, 10, 9)),  # his week, then his override
        (PRIYA, z(2026, 3, 10, 9), z(2026, 3, 16, 9)),
    ]
