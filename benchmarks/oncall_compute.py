"""How long the schedule maths takes: one year of a busy schedule, three layers, 20 overrides.

Run with `.venv/bin/python -m benchmarks.oncall_compute`. The target is under 50 ms a year.
"""

from __future__ import annotations

import statistics
import time as clock
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
)

WEEKDAYS = frozenset(range(5))


def busy_schedule() -> ScheduleSpec:
    people = [ParticipantSpec(user_id=u, position=u) for u in range(1, 7)]
    weekly = LayerSpec(
        id=1,
        level=1,
        start_date=date(2024, 1, 1),
        handoff=time(9),
        shift_length=1,
        shift_unit=ShiftUnit.WEEKS,
        participants=(*people[:4], ParticipantSpec(7, 7, effective_from=date(2026, 6, 1))),
    )
    nights = LayerSpec(
        id=2,
        level=2,
        start_date=date(2025, 1, 6),
        handoff=time(18),
        shift_length=1,
        shift_unit=ShiftUnit.DAYS,
        participants=tuple(people[2:]),
        restrictions=(WindowSpec(WEEKDAYS, time(18), time(8)),),
    )
    twelve_hour = LayerSpec(
        id=3,
        level=3,
        start_date=date(2025, 3, 1),
        handoff=time(8),
        shift_length=12,
        shift_unit=ShiftUnit.HOURS,
        participants=tuple(people[:3]),
        restrictions=(WindowSpec(frozenset({5, 6}), time(0), time(0)),),
    )
    base = datetime(2026, 1, 3, 10, tzinfo=UTC)
    overrides = tuple(
        OverrideSpec(
            id=i,
            user_id=1 + i % 6,
            start=base + timedelta(days=17 * i),
            end=base + timedelta(days=17 * i, hours=30),
        )
        for i in range(20)
    )
    swaps = (SwapSpec(1, 1, datetime(2026, 3, 30, 8, tzinfo=UTC), 1, 2),)
    return ScheduleSpec(
        "Europe/London", (weekly, nights, twelve_hour), overrides=overrides, swaps=swaps
    )


def main() -> None:
    spec = busy_schedule()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2027, 1, 1, tzinfo=UTC)
    compute(spec, start, end)  # warm the zone cache
    timings = []
    for _ in range(30):
        began = clock.perf_counter()
        timeline = compute(spec, start, end)
        timings.append((clock.perf_counter() - began) * 1000)
    print(f"one year, 3 layers, {len(spec.overrides)} overrides, 1 swap:")
    print(f"  final segments: {len(timeline.final)}")
    median, worst = statistics.median(timings), max(timings)
    print(f"  median {median:.1f} ms, worst {worst:.1f} ms (target: under 50 ms)")


if __name__ == "__main__":
    main()
