"""An SLA target's clock: business time used, paused while the ticket waits on someone else.

A clock is a value, not a timer. The service stores its fields on the ticket's target row and
stores `due_at(clock)` in a column the engine polls; nothing here waits or reads the time.

Business time already used is never lost or restarted: pausing folds the running time into
`used_seconds`, and a change of target (priority raised, policy changed) keeps it. A due time
is always computed from that used time, so waiting days stay excluded.

Breached means used >= target, the same instant the engine sees `due_at <= now`. Resuming a
clock never breaches "at once" without a record: its due time is at or after the resume unless
the target was used up before the pause, and `breached_by_change` tells the caller when a change
(such as a shorter target) makes the clock breached so it can write that to the timeline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

from takepoint.desk.calendars import BusinessCalendar, add_business_seconds, business_seconds
from takepoint.lib.clock import require_aware
from takepoint.lib.errors import InvalidInput

__all__ = [
    "TargetClock",
    "breached",
    "breached_by_change",
    "due_at",
    "left",
    "pause",
    "resume",
    "retarget",
    "start",
    "used",
    "warn_at",
]


@dataclass(frozen=True)
class TargetClock:
    """`used_seconds` is business time used before `running_since`; None there means paused."""

    calendar: BusinessCalendar
    target_seconds: float
    used_seconds: float
    running_since: datetime | None

    def __post_init__(self) -> None:
        _check_target(self.target_seconds)
        if not (math.isfinite(self.used_seconds) and self.used_seconds >= 0):
            raise ValueError(f"used_seconds must be >= 0, got {self.used_seconds}")
        if self.running_since is not None:
            object.__setattr__(
                self, "running_since", require_aware(self.running_since, "running_since")
            )

    @property
    def paused(self) -> bool:
        return self.running_since is None


def start(calendar: BusinessCalendar, *, target_seconds: float, at: datetime) -> TargetClock:
    return TargetClock(
        calendar=calendar, target_seconds=target_seconds, used_seconds=0.0, running_since=at
    )


def pause(clock: TargetClock, *, at: datetime) -> TargetClock:
    """Stop the clock, keeping the business time used so far; a paused clock stays as it is."""
    if clock.running_since is None:
        return clock
    return replace(clock, used_seconds=used(clock, now=at), running_since=None)


def resume(clock: TargetClock, *, at: datetime) -> TargetClock:
    """Run the clock again from `at`; a running clock stays as it is."""
    if clock.running_since is not None:
        return clock
    return replace(clock, running_since=require_aware(at, "at"))


def used(clock: TargetClock, *, now: datetime) -> float:
    now = require_aware(now, "now")
    if clock.running_since is None:
        return clock.used_seconds
    return clock.used_seconds + business_seconds(clock.calendar, start=clock.running_since, end=now)


def left(clock: TargetClock, *, now: datetime) -> float:
    """Business seconds left before the target is breached; negative once it is."""
    return clock.target_seconds - used(clock, now=now)


def due_at(clock: TargetClock) -> datetime | None:
    """When the target is breached if nothing stops the clock; None while paused.

    A target used up before the clock last started is due at `running_since`, never earlier:
    the breach is then recorded when the clock resumes, not backdated into the pause.
    """
    return _when_used(clock, clock.target_seconds)


def warn_at(clock: TargetClock, *, share: float = 0.75) -> datetime | None:
    """When `share` of the target is used (a warning before the breach); None while paused."""
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    return _when_used(clock, share * clock.target_seconds)


def breached(clock: TargetClock, *, now: datetime) -> bool:
    # Compared as instants, not as float seconds, so that it agrees with the engine's
    # `due_at <= now` to the microsecond.
    now = require_aware(now, "now")
    due = due_at(clock)
    if due is None:
        return clock.used_seconds >= clock.target_seconds
    return due <= now


def retarget(clock: TargetClock, *, target_seconds: float, now: datetime) -> TargetClock:
    """The same clock with a new target, keeping all business time used up to `now`.

    A running clock is restarted from `now` with the time used so far folded in, so the new due
    time comes from business time already used, whatever the clock did before.
    """
    _check_target(target_seconds)
    now = require_aware(now, "now")
    running_since = None if clock.running_since is None else now
    return replace(
        clock,
        target_seconds=target_seconds,
        used_seconds=used(clock, now=now),
        running_since=running_since,
    )


def breached_by_change(old: TargetClock, new: TargetClock, *, now: datetime) -> bool:
    """Whether going from `old` to `new` at `now` breached a target that was not breached."""
    return not breached(old, now=now) and breached(new, now=now)


def _when_used(clock: TargetClock, seconds: float) -> datetime | None:
    if clock.running_since is None:
        return None
    remaining = seconds - clock.used_seconds
    if remaining <= 0:
        return clock.running_since
    return add_business_seconds(clock.calendar, start=clock.running_since, seconds=remaining)


def _check_target(target_seconds: float) -> None:
    if not (math.isfinite(target_seconds) and target_seconds > 0):
        raise InvalidInput(
            f"an SLA target must be a positive duration, got {target_seconds} seconds",
            field="target_seconds",
        )
