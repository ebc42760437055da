"""The questions asked of schedules: the timeline for a window, and who is on call when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.lib.errors import InvalidInput
from takepoint.oncall import compute
from takepoint.oncall.models import Override, Schedule, SwapRequest, SwapStatus
from takepoint.oncall.schedules import check_window, layer_spec, list_schedules


def schedule_spec(
    session: Session, schedule: Schedule, *, start: datetime, end: datetime
) -> compute.ScheduleSpec:
    overrides = session.scalars(
        select(Override).where(
            Override.schedule_id == schedule.id,
            Override.cancelled_at.is_(None),
            Override.ends_at > start,
            Override.starts_at < end,
        )
    )
    swaps = session.scalars(
        select(SwapRequest).where(
            SwapRequest.schedule_id == schedule.id, SwapRequest.status == SwapStatus.ACCEPTED
        )
    )
    swap_specs: list[compute.SwapSpec] = []
    for swap in swaps:
        swap_specs.append(
            compute.SwapSpec(
                swap.id, swap.layer_id, swap.give_start, swap.requester_id, swap.counterpart_id
            )
        )
        if swap.take_start is not None:
            swap_specs.append(
                compute.SwapSpec(
                    swap.id, swap.layer_id, swap.take_start, swap.counterpart_id, swap.requester_id
                )
            )
    return compute.ScheduleSpec(
        zone=schedule.time_zone,
        layers=tuple(layer_spec(layer) for layer in schedule.layers),
        overrides=tuple(
            compute.OverrideSpec(o.id, o.user_id, o.starts_at, o.ends_at) for o in overrides
        ),
        swaps=tuple(swap_specs),
    )


def timeline(
    session: Session, *, schedule: Schedule, start: datetime, end: datetime
) -> compute.Timeline:
    """The final timeline and each layer's, for [start, end)."""
    check_window(start, end)
    spec = schedule_spec(session, schedule, start=start, end=end)
    return compute.compute(spec, start, end)


@dataclass(frozen=True)
class OnCall:
    schedule: Schedule
    at: datetime
    segment: compute.Segment
    user: User | None
    # The continuous stretch the same person is on call (across handoffs to themselves and
    # overrides), clipped to what was computed.
    since: datetime
    until: datetime


# Most stretches on call are found within a week or so either side; a longer one (a single
# person's rotation, a long override) is followed out to five weeks.
LOOKS = (timedelta(days=8), timedelta(days=35))


def who_is_on_call(session: Session, schedule: Schedule, at: datetime) -> OnCall:
    """Who is on call for `schedule` at the instant `at`, past or future."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidInput("the time has no UTC offset; give one, such as ...Z", field="at")
    for look in LOOKS:
        result = timeline(session, schedule=schedule, start=at - look, end=at + look)
        segment = result.at(at)
        since, until = _stretch(result.final, segment)
        if result.start < since and until < result.end:
            break
    user = session.get(User, segment.user_id) if segment.user_id is not None else None
    return OnCall(schedule, at, segment, user, since, until)


def _stretch(final: list[compute.Segment], segment: compute.Segment) -> tuple[datetime, datetime]:
    index = final.index(segment)
    first = last = index
    while first > 0 and final[first - 1].user_id == segment.user_id:
        first -= 1
    while last + 1 < len(final) and final[last + 1].user_id == segment.user_id:
        last += 1
    return final[first].start, final[last].end


def on_call_everywhere(session: Session, *, at: datetime) -> list[OnCall]:
    return [who_is_on_call(session, schedule, at) for schedule in list_schedules(session)]


def users_by_id(session: Session, ids: Iterable[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}


def timeline_users(result: compute.Timeline) -> set[int | None]:
    ids: set[int | None] = {s.user_id for s in result.final}
    for segments in result.layers.values():
        ids.update(s.user_id for s in segments)
    return ids
