"""The demo's on-call: the hospital IT team's weekly rotation, with leave cover and a swap."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from takepoint.accounts.models import Team, User
from takepoint.oncall import service, swaps
from takepoint.oncall.compute import ShiftUnit
from takepoint.oncall.models import Schedule
from takepoint.oncall.wallclock import to_local, zone

DEMO_ZONE = "Europe/London"


def load_demo_oncall(
    session: Session, *, now: datetime, people: dict[str, User], team: Team
) -> Schedule:
    """Sam, Priya, Lee and Dana hand over every Monday at 09:00 London time. Priya is on leave
    for her next week, covered by Lee; Sam has asked Dana to take his next week."""
    schedule = service.create_schedule(
        session,
        name="Hospital IT on call",
        time_zone=DEMO_ZONE,
        description="Out-of-hours cover for the hospital's clinical and business systems.",
        team_id=team.id,
        now=now,
    )
    today = to_local(now, zone(DEMO_ZONE)).date()
    # Started four Mondays ago, so the demo has history to look back on.
    first_monday = today - timedelta(days=today.weekday() + 28)
    layer = service.add_layer(
        session,
        schedule=schedule,
        name="Primary",
        start_date=first_monday,
        handoff_time=time(9),
        shift_length=1,
        shift_unit=ShiftUnit.WEEKS,
        participants=[people[key] for key in ("sam", "priya", "lee", "dana")],
        now=now,
    )
    upcoming = swaps.upcoming_shifts(session, schedule=schedule, now=now)
    priya = next(s for s in upcoming if s.user_id == people["priya"].id)
    swaps.create_override(
        session,
        schedule=schedule,
        user=people["lee"],
        starts_at=priya.start,
        ends_at=priya.end,
        note="Priya on annual leave",
        actor=people["lee"],
        now=now,
    )
    sam = next(s for s in upcoming if s.user_id == people["sam"].id)
    swaps.request_swap(
        session,
        schedule=schedule,
        layer_id=layer.id,
        requester=people["sam"],
        counterpart=people["dana"],
        give_start=sam.start,
        note="Family wedding that week; happy to take one of yours later.",
        actor=people["sam"],
        now=now,
    )
    return schedule
