"""The API for schedules, their layers, people and restrictions (admins change them)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from takepoint.accounts.auth import Admin, Viewer
from takepoint.accounts.service import get_user
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.oncall import service
from takepoint.oncall.models import Layer, Schedule
from takepoint.oncall.schemas import (
    LayerContinue,
    LayerCreate,
    LayerOut,
    LayerUpdate,
    ParticipantCreate,
    ParticipantOut,
    ParticipantUpdate,
    RestrictionIn,
    RestrictionOut,
    ScheduleCreate,
    ScheduleOut,
    ScheduleUpdate,
    weekdays,
)
from takepoint.oncall.web_admin import LayerAt, ParticipantAt, RestrictionAt

router = APIRouter(prefix="/api/v1", tags=["on-call"], dependencies=[Depends(csrf.protect)])

AT_HELP = "ISO 8601 with a UTC offset (2026-03-29T09:00:00+01:00 or ...Z), or 'now'"


def _layer_out(layer: Layer) -> LayerOut:
    return LayerOut(
        id=layer.id,
        name=layer.name,
        level=layer.level,
        start_date=layer.start_date,
        end_date=layer.end_date,
        handoff_time=layer.handoff_time.strftime("%H:%M"),
        shift_length=layer.shift_length,
        shift_unit=layer.shift_unit,
        participants=[ParticipantOut.model_validate(p) for p in layer.participants],
        restrictions=[
            RestrictionOut(
                id=r.id,
                days=weekdays(r.days),
                start=r.start_time.strftime("%H:%M"),
                end=r.end_time.strftime("%H:%M"),
            )
            for r in layer.restrictions
        ],
    )


def _schedule_out(schedule: Schedule) -> ScheduleOut:
    return ScheduleOut(
        id=schedule.id,
        name=schedule.name,
        slug=schedule.slug,
        description=schedule.description,
        time_zone=schedule.time_zone,
        team_id=schedule.team_id,
        layers=[_layer_out(layer) for layer in schedule.layers],
    )


# --- schedules, layers, participants -----------------------------------------------------------


@router.get("/schedules", response_model=list[ScheduleOut])
def list_schedules(principal: Viewer, session: DbSession) -> list[ScheduleOut]:
    return [_schedule_out(s) for s in service.list_schedules(session)]


@router.post("/schedules", response_model=ScheduleOut, status_code=201)
def create_schedule(
    body: ScheduleCreate, principal: Admin, session: DbSession, now: Now
) -> ScheduleOut:
    schedule = service.create_schedule(
        session,
        name=body.name,
        time_zone=body.time_zone,
        description=body.description,
        team_id=body.team_id,
        now=now,
    )
    return _schedule_out(service.get_schedule(session, schedule.id))


@router.get("/schedules/{schedule_id}", response_model=ScheduleOut)
def read_schedule(schedule_id: int, principal: Viewer, session: DbSession) -> ScheduleOut:
    return _schedule_out(service.get_schedule(session, schedule_id))


@router.patch("/schedules/{schedule_id}", response_model=ScheduleOut)
def update_schedule(
    schedule_id: int, body: ScheduleUpdate, principal: Admin, session: DbSession, now: Now
) -> ScheduleOut:
    schedule = service.update_schedule(
        session,
        schedule=service.get_schedule(session, schedule_id),
        name=body.name,
        description=body.description,
        time_zone=body.time_zone,
        now=now,
    )
    return _schedule_out(schedule)


@router.delete("/schedules/{schedule_id}", status_code=204)
def delete_schedule(schedule_id: int, principal: Admin, session: DbSession) -> Response:
    service.delete_schedule(session, schedule=service.get_schedule(session, schedule_id))
    return Response(status_code=204)


@router.post("/schedules/{schedule_id}/layers", response_model=LayerOut, status_code=201)
def create_layer(
    schedule_id: int, body: LayerCreate, principal: Admin, session: DbSession, now: Now
) -> LayerOut:
    schedule = service.get_schedule(session, schedule_id)
    layer = service.add_layer(
        session,
        schedule=schedule,
        name=body.name,
        start_date=body.start_date,
        end_date=body.end_date,
        handoff_time=body.handoff_time,
        shift_length=body.shift_length,
        shift_unit=body.shift_unit,
        participants=[get_user(session, uid) for uid in body.participant_ids],
        restrictions=[r.window() for r in body.restrictions],
        now=now,
    )
    return _layer_out(layer)


@router.patch("/schedules/{schedule_id}/layers/{layer_id}", response_model=LayerOut)
def update_layer(
    at: LayerAt, body: LayerUpdate, principal: Admin, session: DbSession, now: Now
) -> LayerOut:
    layer = service.update_layer_at(
        session,
        at=at,
        name=body.name,
        end_date=body.end_date,
        clear_end_date="end_date" in body.model_fields_set and body.end_date is None,
        start_date=body.start_date,
        handoff_time=body.handoff_time,
        shift_length=body.shift_length,
        shift_unit=body.shift_unit,
        now=now,
    )
    return _layer_out(layer)


@router.post(
    "/schedules/{schedule_id}/layers/{layer_id}/continue", response_model=LayerOut, status_code=201
)
def continue_layer(
    at: LayerAt, body: LayerContinue, principal: Admin, session: DbSession, now: Now
) -> LayerOut:
    """End the layer on a date and start an editable copy that carries the rotation on."""
    successor = service.continue_layer_at(session, at=at, from_date=body.from_date, now=now)
    return _layer_out(successor)


@router.delete("/schedules/{schedule_id}/layers/{layer_id}", status_code=204)
def delete_layer(at: LayerAt, principal: Admin, session: DbSession, now: Now) -> Response:
    service.delete_layer_at(session, at=at, now=now)
    return Response(status_code=204)


@router.post(
    "/schedules/{schedule_id}/layers/{layer_id}/participants",
    response_model=ParticipantOut,
    status_code=201,
)
def add_participant(
    at: LayerAt, body: ParticipantCreate, principal: Admin, session: DbSession, now: Now
) -> ParticipantOut:
    participant = service.add_participant_at(
        session, at=at, user_id=body.user_id, effective_from=body.effective_from, now=now
    )
    return ParticipantOut.model_validate(participant)


@router.patch(
    "/schedules/{schedule_id}/layers/{layer_id}/participants/{participant_id}",
    response_model=ParticipantOut,
)
def end_participant(
    at: ParticipantAt, body: ParticipantUpdate, principal: Admin, session: DbSession, now: Now
) -> ParticipantOut:
    """Take someone out of the rotation for shifts starting on or after a date."""
    participant = service.end_participant_at(session, at=at, until=body.effective_until, now=now)
    return ParticipantOut.model_validate(participant)


@router.delete(
    "/schedules/{schedule_id}/layers/{layer_id}/participants/{participant_id}", status_code=204
)
def remove_participant(
    at: ParticipantAt, principal: Admin, session: DbSession, now: Now
) -> Response:
    service.remove_participant_at(session, at=at, now=now)
    return Response(status_code=204)


@router.post(
    "/schedules/{schedule_id}/layers/{layer_id}/restrictions",
    response_model=RestrictionOut,
    status_code=201,
)
def add_restriction(
    at: LayerAt, body: RestrictionIn, principal: Admin, session: DbSession, now: Now
) -> RestrictionOut:
    restriction = service.add_restriction_at(session, at=at, window=body.window(), now=now)
    return RestrictionOut(
        id=restriction.id,
        days=weekdays(restriction.days),
        start=restriction.start_time.strftime("%H:%M"),
        end=restriction.end_time.strftime("%H:%M"),
    )


@router.delete(
    "/schedules/{schedule_id}/layers/{layer_id}/restrictions/{restriction_id}", status_code=204
)
def remove_restriction(
    at: RestrictionAt, principal: Admin, session: DbSession, now: Now
) -> Response:
    service.remove_restriction_at(session, at=at, now=now)
    return Response(status_code=204)
