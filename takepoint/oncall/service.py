"""The on-call domain's services, in one place: schedules and their rotations (schedules.py),
the questions asked of them (queries.py), and below, the changes the API and the admin pages make
to a layer, addressed as their paths address it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.accounts.service import get_user
from takepoint.oncall.compute import ShiftUnit, WindowSpec
from takepoint.oncall.models import Layer, Participant, Restriction, Schedule
from takepoint.oncall.queries import (
    LOOKS,
    OnCall,
    on_call_everywhere,
    schedule_spec,
    timeline,
    timeline_users,
    users_by_id,
    who_is_on_call,
)
from takepoint.oncall.schedules import (
    MAX_SHIFT,
    MAX_WINDOW,
    add_layer,
    add_participant,
    add_restriction,
    check_on_call_user,
    check_window,
    continue_layer,
    create_schedule,
    delete_layer,
    delete_schedule,
    earliest_change,
    end_participant,
    find_schedule,
    get_layer,
    get_participant,
    get_schedule,
    layer_spec,
    layer_started,
    list_schedules,
    parse_instant,
    remove_participant,
    remove_restriction,
    update_layer,
    update_schedule,
)

__all__ = [
    "LOOKS",
    "MAX_SHIFT",
    "MAX_WINDOW",
    "LayerRef",
    "OnCall",
    "ParticipantRef",
    "RestrictionRef",
    "add_layer",
    "add_participant",
    "add_participant_at",
    "add_restriction",
    "add_restriction_at",
    "check_on_call_user",
    "check_window",
    "continue_layer",
    "continue_layer_at",
    "create_schedule",
    "delete_layer",
    "delete_layer_at",
    "delete_schedule",
    "earliest_change",
    "end_participant",
    "end_participant_at",
    "find_schedule",
    "get_layer",
    "get_participant",
    "get_schedule",
    "layer_spec",
    "layer_started",
    "list_schedules",
    "on_call_everywhere",
    "parse_instant",
    "remove_participant",
    "remove_participant_at",
    "remove_restriction",
    "remove_restriction_at",
    "schedule_spec",
    "timeline",
    "timeline_users",
    "update_layer",
    "update_layer_at",
    "update_schedule",
    "users_by_id",
    "who_is_on_call",
]


@dataclass(frozen=True)
class LayerRef:
    """A layer as the API and the admin pages address it: /schedules/{id}/layers/{id}."""

    schedule_id: int
    layer_id: int

    def find(self, session: Session) -> tuple[Schedule, Layer]:
        schedule = get_schedule(session, self.schedule_id)
        return schedule, get_layer(session, schedule, self.layer_id)


@dataclass(frozen=True)
class ParticipantRef(LayerRef):
    participant_id: int


@dataclass(frozen=True)
class RestrictionRef(LayerRef):
    restriction_id: int


def update_layer_at(
    session: Session,
    *,
    at: LayerRef,
    now: datetime,
    name: str | None = None,
    end_date: date | None = None,
    clear_end_date: bool = False,
    start_date: date | None = None,
    handoff_time: time | None = None,
    shift_length: int | None = None,
    shift_unit: ShiftUnit | None = None,
) -> Layer:
    schedule, layer = at.find(session)
    return update_layer(
        session,
        schedule=schedule,
        layer=layer,
        now=now,
        name=name,
        end_date=end_date,
        clear_end_date=clear_end_date,
        start_date=start_date,
        handoff_time=handoff_time,
        shift_length=shift_length,
        shift_unit=shift_unit,
    )


def continue_layer_at(session: Session, *, at: LayerRef, from_date: date, now: datetime) -> Layer:
    """The successor layer that carries the rotation on from `from_date`."""
    schedule, layer = at.find(session)
    return continue_layer(session, schedule=schedule, layer=layer, from_date=from_date, now=now)


def delete_layer_at(session: Session, *, at: LayerRef, now: datetime) -> Layer:
    """The deleted layer, for its name."""
    schedule, layer = at.find(session)
    delete_layer(session, schedule=schedule, layer=layer, now=now)
    return layer


def add_participant_at(
    session: Session, *, at: LayerRef, user_id: int, now: datetime, effective_from: date | None
) -> Participant:
    schedule, layer = at.find(session)
    user = get_user(session, user_id)
    return add_participant(
        session, schedule=schedule, layer=layer, user=user, effective_from=effective_from, now=now
    )


def end_participant_at(
    session: Session, *, at: ParticipantRef, until: date | None, now: datetime
) -> Participant:
    schedule, layer = at.find(session)
    participant = get_participant(layer, at.participant_id)
    return end_participant(
        session, schedule=schedule, layer=layer, participant=participant, until=until, now=now
    )


def remove_participant_at(
    session: Session, *, at: ParticipantRef, now: datetime
) -> tuple[Layer, User]:
    """The layer, and the person taken out of it (the participant row itself is gone)."""
    schedule, layer = at.find(session)
    participant = get_participant(layer, at.participant_id)
    user = participant.user
    remove_participant(session, schedule=schedule, layer=layer, participant=participant, now=now)
    return layer, user


def add_restriction_at(
    session: Session, *, at: LayerRef, window: WindowSpec, now: datetime
) -> Restriction:
    schedule, layer = at.find(session)
    return add_restriction(session, schedule=schedule, layer=layer, window=window, now=now)


def remove_restriction_at(session: Session, *, at: RestrictionRef, now: datetime) -> None:
    schedule, layer = at.find(session)
    remove_restriction(
        session, schedule=schedule, layer=layer, restriction_id=at.restriction_id, now=now
    )
