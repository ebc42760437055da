"""SLA target clocks on Mon-Fri 09:00-17:00 Europe/Berlin (CET = UTC+1 in early March 2026).

Monday 2 March 2026 09:00 CET is 08:00Z; every expected value is worked out by hand.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from takepoint.desk import clock
from takepoint.desk.calendars import ALWAYS, BusinessCalendar, parse_spans
from takepoint.desk.clock import TargetClock
from takepoint.lib.errors import InvalidInput

HOUR = 3600.0
OFFICE = BusinessCalendar(
    name="Office",
    time_zone="Europe/Berlin",
    weekly={day: parse_spans("09:00-17:00") for day in range(5)},
)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


MONDAY_0900 = utc(2026, 3, 2, 8)


def test_it_is_due_after_the_target_in_business_time() -> None:
    # P2, first response in 1 h, created Friday 13 March 16:30 CET: due Monday 09:30 CET.
    target = clock.start(OFFICE, target_seconds=HOUR, at=utc(2026, 3, 13, 15, 30))
    assert clock.due_at(target) == utc(2026, 3, 16, 8, 30)
    # 45 minutes: 30 on Friday, 15 on Monday.
    assert clock.warn_at(target) == utc(2026, 3, 16, 8, 15)
    assert clock.warn_at(target, share=0.5) == utc(2026, 3, 13, 16)
    assert clock.left(target, now=utc(2026, 3, 14, 12)) == 0.5 * HOUR


def test_it_runs_in_calendar_time_on_always() -> None:
    target = clock.start(ALWAYS, target_seconds=HOUR, at=utc(2026, 3, 13, 15, 30))
    assert clock.due_at(target) == utc(2026, 3, 13, 16, 30)


def test_it_excludes_waiting_and_keeps_used_time_when_the_target_changes() -> None:
    target = clock.start(OFFICE, target_seconds=8 * HOUR, at=MONDAY_0900)
    # Waiting on the requester from Monday 11:00 CET to Wednesday 11:00 CET: two business days.
    waiting = clock.pause(target, at=utc(2026, 3, 2, 10))
    assert waiting.used_seconds == 2 * HOUR
    assert clock.due_at(waiting) is None
    assert clock.warn_at(waiting) is None
    assert clock.used(waiting, now=utc(2026, 3, 4, 9)) == 2 * HOUR

    open_again = clock.resume(waiting, at=utc(2026, 3, 4, 10))
    # 6 h left from Wednesday 11:00 CET: Wednesday 17:00 CET.
    assert clock.due_at(open_again) == utc(2026, 3, 4, 16)

    # Priority raised on Wednesday 12:00 CET: 8 h → 4 h, with 3 h used (2 before, 1 since).
    raised = clock.retarget(open_again, target_seconds=4 * HOUR, now=utc(2026, 3, 4, 11))
    assert raised.used_seconds == 3 * HOUR
    assert clock.due_at(raised) == utc(2026, 3, 4, 12)  # Wednesday 13:00 CET
    assert not clock.breached_by_change(open_again, raised, now=utc(2026, 3, 4, 11))


def test_it_retargets_a_paused_clock_without_starting_it() -> None:
    waiting = clock.pause(
        clock.start(OFFICE, target_seconds=8 * HOUR, at=MONDAY_0900), at=utc(2026, 3, 2, 10)
    )
    raised = clock.retarget(waiting, target_seconds=4 * HOUR, now=utc(2026, 3, 3, 12))
    assert raised.paused
    assert raised.used_seconds == 2 * HOUR
    # Resumed Thursday 5 March 09:00 CET with 2 h left: 11:00 CET.
    resumed = clock.resume(raised, at=utc(2026, 3, 5, 8))
    assert clock.due_at(resumed) == utc(2026, 3, 5, 10)


def test_it_never_breaches_at_once_on_resume() -> None:
    waiting = clock.pause(
        clock.start(OFFICE, target_seconds=4 * HOUR, at=MONDAY_0900), at=utc(2026, 3, 2, 11)
    )
    # Back to open on Thursday 16:30 CET with 1 h left: 30 min Thursday, 30 min Friday.
    resumed_at = utc(2026, 3, 5, 15, 30)
    resumed = clock.resume(waiting, at=resumed_at)
    due = clock.due_at(resumed)
    assert due == utc(2026, 3, 6, 8, 30)
    assert due >= resumed_at
    assert not clock.breached(resumed, now=resumed_at)
    assert not clock.breached_by_change(waiting, resumed, now=resumed_at)


def test_it_tells_a_target_used_up_before_the_pause() -> None:
    # 1 h target, paused at 10:30 CET after 1.5 h: breached before the pause.
    waiting = clock.pause(
        clock.start(OFFICE, target_seconds=HOUR, at=MONDAY_0900), at=utc(2026, 3, 2, 9, 30)
    )
    assert clock.breached(waiting, now=utc(2026, 3, 2, 12))
    resumed_at = utc(2026, 3, 3, 8)
    resumed = clock.resume(waiting, at=resumed_at)
    # Due at the resume, never backdated into the pause; it was breached before, not by this.
    assert clock.due_at(resumed) == resumed_at
    assert clock.left(resumed, now=resumed_at) == -0.5 * HOUR
    assert clock.breached(resumed, now=resumed_at)
    assert not clock.breached_by_change(waiting, resumed, now=resumed_at)


def test_it_tells_when_a_shorter_target_breaches() -> None:
    running = clock.start(OFFICE, target_seconds=8 * HOUR, at=MONDAY_0900)
    noon = utc(2026, 3, 2, 11)  # 12:00 CET, 3 h used
    shorter = clock.retarget(running, target_seconds=2 * HOUR, now=noon)
    assert clock.due_at(shorter) == noon
    assert clock.left(shorter, now=noon) == -HOUR
    assert clock.breached_by_change(running, shorter, now=noon)
    longer = clock.retarget(shorter, target_seconds=16 * HOUR, now=noon)
    assert not clock.breached_by_change(shorter, longer, now=noon)
    # 13 h left from Monday 12:00 CET: 5 h on Monday, 8 h on Tuesday, so Tuesday 17:00 CET.
    assert clock.due_at(longer) == utc(2026, 3, 3, 16)


def test_it_breaches_exactly_at_the_due_time() -> None:
    running = clock.start(OFFICE, target_seconds=HOUR, at=MONDAY_0900)
    due = utc(2026, 3, 2, 9)
    assert clock.due_at(running) == due
    assert not clock.breached(running, now=due - timedelta(microseconds=1))
    assert clock.breached(running, now=due)


def test_it_pauses_and_resumes_only_once() -> None:
    running = clock.start(OFFICE, target_seconds=HOUR, at=MONDAY_0900)
    assert clock.resume(running, at=utc(2026, 3, 2, 9)) is running
    waiting = clock.pause(running, at=utc(2026, 3, 2, 8, 30))
    assert clock.pause(waiting, at=utc(2026, 3, 2, 9)) is waiting
    assert waiting.used_seconds == 0.5 * HOUR


@pytest.mark.parametrize("target_seconds", [0.0, -60.0, float("nan"), float("inf")])
def test_it_refuses_a_target_that_is_not_a_positive_duration(target_seconds: float) -> None:
    with pytest.raises(InvalidInput, match="positive duration") as raised:
        clock.start(OFFICE, target_seconds=target_seconds, at=MONDAY_0900)
    assert raised.value.field == "target_seconds"


def test_it_rejects_naive_datetimes() -> None:
    naive = datetime(2026, 3, 2, 9)  # noqa: DTZ001
    running = clock.start(OFFICE, target_seconds=HOUR, at=MONDAY_0900)
    with pytest.raises(ValueError, match="naive"):
        clock.start(OFFICE, target_seconds=HOUR, at=naive)
    with pytest.raises(ValueError, match="naive"):
        clock.pause(running, at=naive)
    with pytest.raises(ValueError, match="naive"):
        clock.resume(clock.pause(running, at=MONDAY_0900), at=naive)
    with pytest.raises(ValueError, match="naive"):
        clock.used(running, now=naive)
    with pytest.raises(ValueError, match="naive"):
        TargetClock(calendar=OFFICE, target_seconds=HOUR, used_seconds=0, running_since=naive)


def test_it_refuses_a_warning_share_outside_the_target() -> None:
    running = clock.start(OFFICE, target_seconds=HOUR, at=MONDAY_0900)
    for share in (0.0, 1.5):
        with pytest.raises(ValueError, match="share"):
            clock.warn_at(running, share=share)
