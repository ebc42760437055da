"""Admin pages for schedules: rotations, people, restrictions."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from takepoint.accounts.auth import Admin
from takepoint.accounts.service import get_user
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.errors import InvalidInput
from takepoint.lib.numbers import is_digits
from takepoint.lib.templating import render
from takepoint.oncall import compute, service
from takepoint.oncall.compute import ShiftUnit
from takepoint.oncall.models import Restriction
from takepoint.oncall.schemas import Weekday
from takepoint.oncall.wallclock import to_local, zone
from takepoint.oncall.web import ZONES, back, on_call_people, people_first, schedule_path

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])
# The layer a path names, for these pages and the API alike.
LayerAt = Annotated[service.LayerRef, Depends()]
ParticipantAt = Annotated[service.ParticipantRef, Depends()]
RestrictionAt = Annotated[service.RestrictionRef, Depends()]


def _date(value: str, field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date such as 2026-03-30", field=field) from None


def _time(value: str, field: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{value!r} is not a time such as 09:00", field=field) from None


def _describe(restriction: Restriction) -> str:
    return compute.describe_window(
        compute.WindowSpec(restriction.days, restriction.start_time, restriction.end_time)
    )


def _edit_path(schedule_id: int) -> str:
    return f"{schedule_path(schedule_id)}/edit"


@router.post("/oncall/schedules")
def create_schedule(
    principal: Admin,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=200)],
    time_zone: Annotated[str, Form(max_length=64)],
    description: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    schedule = service.create_schedule(
        session, name=name, time_zone=time_zone, description=description, now=now
    )
    return back(_edit_path(schedule.id), f"Created {schedule.name}. Now add a rotation.")


@router.get("/oncall/schedules/{schedule_id}/edit")
def edit_page(
    schedule_id: int, request: Request, principal: Admin, session: DbSession, now: Now
) -> Response:
    schedule = service.get_schedule(session, schedule_id)
    layers = [
        {
            "layer": layer,
            "started": service.layer_started(schedule, layer, now),
            "earliest": service.earliest_change(schedule, layer, now),
            "windows": [_describe(r) for r in layer.restrictions],
            "restrictions": [(r, _describe(r)) for r in layer.restrictions],
        }
        for layer in schedule.layers
    ]
    return render(
        request,
        "oncall/edit.html",
        {
            "schedule": schedule,
            "layers": layers,
            "people": people_first(session, on_call_people(session), team=schedule.team, now=now),
            "zones": ZONES,
            "units": list(ShiftUnit),
            "weekdays": list(Weekday),
            "today": to_local(now, zone(schedule.time_zone)).date().isoformat(),
        },
    )


@router.post("/oncall/schedules/{schedule_id}")
def update_schedule(
    schedule_id: int,
    principal: Admin,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=200)],
    time_zone: Annotated[str, Form(max_length=64)],
    description: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    schedule = service.get_schedule(session, schedule_id)
    service.update_schedule(
        session,
        schedule=schedule,
        name=name,
        time_zone=time_zone,
        description=description,
        now=now,
    )
    return back(_edit_path(schedule_id), "Schedule saved.")


@router.post("/oncall/schedules/{schedule_id}/delete")
def delete_schedule(schedule_id: int, principal: Admin, session: DbSession) -> Response:
    schedule = service.get_schedule(session, schedule_id)
    service.delete_schedule(session, schedule=schedule)
    return back("/oncall", f"Deleted {schedule.name}.")


@router.post("/oncall/schedules/{schedule_id}/layers")
def add_layer(
    schedule_id: int,
    principal: Admin,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=100)],
    start_date: Annotated[str, Form(max_length=20)],
    handoff_time: Annotated[str, Form(max_length=8)],
    shift_length: Annotated[int, Form(ge=1)],
    shift_unit: Annotated[ShiftUnit, Form()],
    participant_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    schedule = service.get_schedule(session, schedule_id)
    starts = _date(start_date, "start_date")
    if starts is None:
        raise InvalidInput("give the date of the first handoff", field="start_date")
    layer = service.add_layer(
        session,
        schedule=schedule,
        name=name,
        start_date=starts,
        handoff_time=_time(handoff_time, "handoff_time"),
        shift_length=shift_length,
        shift_unit=shift_unit,
        participants=[get_user(session, int(u)) for u in participant_ids or [] if is_digits(u)],
        now=now,
    )
    return back(_edit_path(schedule_id), f"Added {layer.name}.")


@router.post("/oncall/schedules/{schedule_id}/layers/{layer_id}")
def update_layer(
    at: LayerAt,
    principal: Admin,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=100)],
    end_date: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    ends = _date(end_date, "end_date")
    layer = service.update_layer_at(
        session, at=at, name=name, end_date=ends, clear_end_date=ends is None, now=now
    )
    return back(_edit_path(at.schedule_id), f"Saved {layer.name}.")


@router.post("/oncall/schedules/{schedule_id}/layers/{layer_id}/continue")
def continue_layer(
    at: LayerAt,
    principal: Admin,
    session: DbSession,
    now: Now,
    from_date: Annotated[str, Form(max_length=20)],
) -> Response:
    when = _date(from_date, "from_date")
    if when is None:
        raise InvalidInput("give the date the change takes effect", field="from_date")
    successor = service.continue_layer_at(session, at=at, from_date=when, now=now)
    return back(_edit_path(at.schedule_id), f"{successor.name} carries on from {when}; edit it.")


@router.post("/oncall/schedules/{schedule_id}/layers/{layer_id}/delete")
def delete_layer(at: LayerAt, principal: Admin, session: DbSession, now: Now) -> Response:
    layer = service.delete_layer_at(session, at=at, now=now)
    return back(_edit_path(at.schedule_id), f"Deleted {layer.name}.")


@router.post("/oncall/schedules/{schedule_id}/layers/{layer_id}/participants")
def add_participant(
    at: LayerAt,
    principal: Admin,
    session: DbSession,
    now: Now,
    user_id: Annotated[int, Form()],
    effective_from: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    starts = _date(effective_from, "effective_from")
    participant = service.add_participant_at(
        session, at=at, user_id=user_id, effective_from=starts, now=now
    )
    joins = f" from {participant.effective_from}" if participant.effective_from else ""
    who, layer = participant.user.display_name, participant.layer.name
    return back(_edit_path(at.schedule_id), f"{who} joins {layer}{joins}.")


@router.post("/oncall/schedules/{schedule_id}/layers/{layer_id}/participants/{participant_id}/end")
def end_participant(
    at: ParticipantAt,
    principal: Admin,
    session: DbSession,
    now: Now,
    effective_until: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    until = _date(effective_until, "effective_until")
    participant = service.end_participant_at(session, at=at, until=until, now=now)
    who, layer = participant.user.display_name, participant.layer.name
    return back(
        _edit_path(at.schedule_id), f"{who} leaves {layer} from {participant.effective_until}."
    )


@router.post(
    "/oncall/schedules/{schedule_id}/layers/{layer_id}/participants/{participant_id}/delete"
)
def remove_participant(
    at: ParticipantAt, principal: Admin, session: DbSession, now: Now
) -> Response:
    layer, user = service.remove_participant_at(session, at=at, now=now)
    return back(_edit_path(at.schedule_id), f"Removed {user.display_name} from {layer.name}.")


@router.post("/oncall/schedules/{schedule_id}/layers/{layer_id}/restrictions")
def add_restriction(
    at: LayerAt,
    principal: Admin,
    session: DbSession,
    now: Now,
    start_time: Annotated[str, Form(max_length=8)],
    end_time: Annotated[str, Form(max_length=8)],
    days: Annotated[list[Weekday] | None, Form()] = None,
) -> Response:
    window = compute.WindowSpec(
        frozenset(d.number for d in days or []),
        _time(start_time, "start_time"),
        _time(end_time, "end_time"),
    )
    restriction = service.add_restriction_at(session, at=at, window=window, now=now)
    runs = compute.describe_window(window)
    return back(_edit_path(at.schedule_id), f"{restriction.layer.name} now runs {runs}.")


@router.post(
    "/oncall/schedules/{schedule_id}/layers/{layer_id}/restrictions/{restriction_id}/delete"
)
def remove_restriction(
    at: RestrictionAt, principal: Admin, session: DbSession, now: Now
) -> Response:
    service.remove_restriction_at(session, at=at, now=now)
    return back(_edit_path(at.schedule_id), "Restriction removed.")
