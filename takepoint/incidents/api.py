from __future__ import annotations

from datetime import date, time

from fastapi import APIRouter, Depends, Query

from takepoint.accounts.auth import Admin, Responder, Viewer
from takepoint.accounts.service import check_time_zone, get_user
from takepoint.catalog import service as catalog
from takepoint.incidents import policies, stats
from takepoint.incidents import service as incidents
from takepoint.incidents.models import EscalationPolicy, Incident, IncidentState
from takepoint.incidents.schemas import (
    HandoffIn,
    HandoffOut,
    IncidentCreate,
    IncidentDetail,
    IncidentOut,
    LevelIn,
    NoteIn,
    PagingIn,
    PolicyIn,
    PolicyOut,
    ReopenIn,
    ResolveIn,
    StatsOut,
    TargetIn,
    TimelineEntryOut,
)
from takepoint.lib import csrf
from takepoint.lib.deps import KEY_PATTERN, DbSession, Now, PathKey, QueryKey
from takepoint.lib.errors import InvalidInput
from takepoint.timeline.chain import entries, verify_chain

router = APIRouter(prefix="/api/v1", tags=["incidents"], dependencies=[Depends(csrf.protect)])


def _detail(session: DbSession, incident: Incident) -> IncidentDetail:
    problem = verify_chain(session, incident.chain)
    return IncidentDetail(
        **IncidentOut.model_validate(incident).model_dump(),
        timeline=[TimelineEntryOut.model_validate(e) for e in entries(session, incident.chain)],
        record_intact=problem is None,
        record_problem=problem.problem if problem else None,
    )


@router.get("/incidents", response_model=list[IncidentOut])
def list_incidents(
    principal: Viewer,
    session: DbSession,
    state: IncidentState | None = None,
    open_only: bool = Query(False, alias="open"),
    mine: bool = False,
    service: QueryKey = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    before: int | None = Query(
        None, ge=1, description="only incidents after this one in the list (older): next page"
    ),
) -> list[IncidentOut]:
    wanted = incidents.IncidentFilter(
        state=state,
        open_only=open_only,
        service_id=catalog.get_service(session, service).id if service else None,
        mine_user_id=principal.user.id if mine else None,
        limit=limit,
        offset=offset,
        before=before,
    )
    return [IncidentOut.model_validate(i) for i in incidents.list_incidents(session, wanted)]


@router.post("/incidents", response_model=IncidentOut, status_code=201)
def open_incident(
    body: IncidentCreate, principal: Responder, session: DbSession, now: Now
) -> IncidentOut:
    incident = incidents.open_incident(
        session,
        service=catalog.get_service(session, body.service),
        title=body.title,
        urgency=body.urgency,
        source=body.source,
        description=body.description,
        caller_name=body.caller_name,
        caller_department=catalog.get_department(session, body.caller_department)
        if body.caller_department
        else None,
        reporter=principal.user,
        now=now,
    )
    return IncidentOut.model_validate(incident)


@router.get("/incidents/stats", response_model=StatsOut)
def incident_stats(
    principal: Viewer,
    session: DbSession,
    now: Now,
    since: date | None = Query(None, description="first day, UTC (default: 364 days before until)"),
    until: date | None = Query(None, description="last day, UTC, included (default: today)"),
    service: str | None = Query(None, pattern=KEY_PATTERN, description="service slug or id"),
    team: str | None = Query(
        None, pattern=KEY_PATTERN, description="team slug or id: its services' incidents"
    ),
) -> StatsOut:
    """MTTA and MTTR: per month of opening and in total, with means and medians in seconds."""
    found = stats.stats_for_days(
        session, since=since, until=until, today=now.date(), service=service, team=team
    )
    return StatsOut.model_validate(
        {**found.__dict__, "service": service, "team": team}, from_attributes=True
    )


@router.get("/incidents/{incident_id}", response_model=IncidentDetail)
def read_incident(incident_id: int, principal: Viewer, session: DbSession) -> IncidentDetail:
    return _detail(session, incidents.get_incident(session, incident_id))


@router.post("/incidents/{incident_id}/acknowledge", response_model=IncidentOut)
def acknowledge(
    incident_id: int, principal: Responder, session: DbSession, now: Now
) -> IncidentOut:
    incident = incidents.acknowledge(
        session, incident=incidents.get_incident(session, incident_id), user=principal.user, now=now
    )
    return IncidentOut.model_validate(incident)


@router.post("/incidents/{incident_id}/notes", response_model=IncidentDetail, status_code=201)
def add_note(
    incident_id: int, body: NoteIn, principal: Responder, session: DbSession, now: Now
) -> IncidentDetail:
    incident = incidents.get_incident(session, incident_id)
    incidents.add_note(session, incident=incident, user=principal.user, text=body.text, now=now)
    return _detail(session, incident)


@router.post(
    "/incidents/{incident_id}/status-updates", response_model=IncidentDetail, status_code=201
)
def post_update(
    incident_id: int, body: NoteIn, principal: Responder, session: DbSession, now: Now
) -> IncidentDetail:
    incident = incidents.get_incident(session, incident_id)
    incidents.post_status_update(
        session, incident=incident, user=principal.user, text=body.text, now=now
    )
    return _detail(session, incident)


@router.post("/incidents/{incident_id}/handoffs", response_model=HandoffOut, status_code=201)
def request_handoff(
    incident_id: int, body: HandoffIn, principal: Responder, session: DbSession, now: Now
) -> HandoffOut:
    handoff = incidents.request_handoff(
        session,
        incident=incidents.get_incident(session, incident_id),
        giver=principal.user,
        receiver=get_user(session, body.to_user_id),
        note=body.note,
        now=now,
    )
    return HandoffOut.model_validate(handoff)


@router.post("/handoffs/{handoff_id}/accept", response_model=HandoffOut)
def accept_handoff(
    handoff_id: int, principal: Responder, session: DbSession, now: Now
) -> HandoffOut:
    handoff = incidents.decide_handoff_by_id(
        session, handoff_id=handoff_id, user=principal.user, accept=True, now=now
    )
    return HandoffOut.model_validate(handoff)


@router.post("/handoffs/{handoff_id}/decline", response_model=HandoffOut)
def decline_handoff(
    handoff_id: int, principal: Responder, session: DbSession, now: Now
) -> HandoffOut:
    handoff = incidents.decide_handoff_by_id(
        session, handoff_id=handoff_id, user=principal.user, accept=False, now=now
    )
    return HandoffOut.model_validate(handoff)


@router.post("/incidents/{incident_id}/take-point", response_model=IncidentOut)
def take_point(incident_id: int, principal: Responder, session: DbSession, now: Now) -> IncidentOut:
    incident = incidents.take_point(
        session, incident=incidents.get_incident(session, incident_id), user=principal.user, now=now
    )
    return IncidentOut.model_validate(incident)


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentOut)
def resolve(
    incident_id: int, body: ResolveIn, principal: Responder, session: DbSession, now: Now
) -> IncidentOut:
    incident = incidents.resolve(
        session,
        incident=incidents.get_incident(session, incident_id),
        user=principal.user,
        note=body.note,
        now=now,
    )
    return IncidentOut.model_validate(incident)


@router.post("/incidents/{incident_id}/reopen", response_model=IncidentOut)
def reopen(
    incident_id: int, body: ReopenIn, principal: Responder, session: DbSession, now: Now
) -> IncidentOut:
    incident = incidents.reopen(
        session,
        incident=incidents.get_incident(session, incident_id),
        user=principal.user,
        reason=body.reason,
        now=now,
    )
    return IncidentOut.model_validate(incident)


@router.post("/incidents/{incident_id}/subscribe", status_code=204)
def subscribe(incident_id: int, principal: Viewer, session: DbSession, now: Now) -> None:
    incidents.subscribe(
        session, user=principal.user, incident=incidents.get_incident(session, incident_id), now=now
    )


@router.post("/services/{service}/subscribe", status_code=204)
def subscribe_service(service: PathKey, principal: Viewer, session: DbSession, now: Now) -> None:
    incidents.subscribe(
        session, user=principal.user, service=catalog.get_service(session, service), now=now
    )


def policy_out(policy: EscalationPolicy) -> PolicyOut:
    return PolicyOut(
        id=policy.id,
        name=policy.name,
        description=policy.description,
        repeat=policy.repeat,
        no_progress_minutes=policy.no_progress_minutes,
        levels=[
            LevelIn(
                delay_minutes=level.delay_minutes,
                targets=[
                    TargetIn(
                        kind=t.kind, schedule_id=t.schedule_id, user_id=t.user_id, team_id=t.team_id
                    )
                    for t in level.targets
                ],
            )
            for level in policy.levels
        ],
    )


@router.get("/escalation-policies", response_model=list[PolicyOut])
def list_policies(principal: Viewer, session: DbSession) -> list[PolicyOut]:
    return [policy_out(p) for p in policies.list_policies(session)]


@router.post("/escalation-policies", response_model=PolicyOut, status_code=201)
def create_policy(body: PolicyIn, principal: Admin, session: DbSession, now: Now) -> PolicyOut:
    policy = policies.create_policy(
        session,
        name=body.name,
        description=body.description,
        repeat=body.repeat,
        no_progress_minutes=body.no_progress_minutes,
        levels=policies.level_specs(body.levels),
        now=now,
    )
    return policy_out(policy)


@router.get("/escalation-policies/{policy_id}", response_model=PolicyOut)
def read_policy(policy_id: int, principal: Viewer, session: DbSession) -> PolicyOut:
    return policy_out(policies.get_policy(session, policy_id))


@router.put("/escalation-policies/{policy_id}", response_model=PolicyOut)
def update_policy(
    policy_id: int, body: PolicyIn, principal: Admin, session: DbSession
) -> PolicyOut:
    policy = policies.update_policy(
        session,
        policy=policies.get_policy(session, policy_id),
        levels=policies.level_specs(body.levels),
        repeat=body.repeat,
        no_progress_minutes=body.no_progress_minutes,
        description=body.description,
    )
    return policy_out(policy)


def _clock(value: str, field: str) -> time:
    hours, minutes = (int(part) for part in value.split(":"))
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise InvalidInput(f"{value!r} is not a time of day", field=field)
    return time(hours, minutes)


@router.put("/services/{service}/paging", status_code=204)
def set_paging(service: PathKey, body: PagingIn, principal: Admin, session: DbSession) -> None:
    policies.set_service_paging(
        session,
        service=catalog.get_service(session, service),
        policy=policies.get_policy(session, body.policy_id) if body.policy_id is not None else None,
        grouping=body.grouping,
        group_window_minutes=body.group_window_minutes,
        business_zone=check_time_zone(body.business_zone),
        business_days=body.business_days,
        business_start=_clock(body.business_start, "business_start"),
        business_end=_clock(body.business_end, "business_end"),
    )
