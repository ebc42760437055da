"""/api/v1 for integrations, alerts, heartbeats, maintenance windows and silences."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Query

from takepoint.accounts.auth import Admin, Responder, Viewer
from takepoint.lib import csrf
from takepoint.lib.deps import AppSettings, DbSession, Now, QueryKey
from takepoint.lib.errors import InvalidInput
from takepoint.signals import alerts, heartbeats, integrations, maintenance
from takepoint.signals.models import AlertState, Severity
from takepoint.signals.schedule import check_schedule
from takepoint.signals.schemas import (
    AlertOut,
    AlertWithRaw,
    HeartbeatOut,
    HeartbeatUpdate,
    IntegrationCreate,
    IntegrationCreated,
    IntegrationOut,
    MaintenanceCreate,
    MaintenanceOut,
    PingOut,
    RotateRequest,
    SilenceCreate,
    SilenceOut,
)
from takepoint.signals.service import (
    add_integration,
    heartbeat_out,
    ingest_url,
    integration_out,
)

router = APIRouter(prefix="/api/v1", tags=["signals"], dependencies=[Depends(csrf.protect)])


# --- alerts ------------------------------------------------------------------------------------


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(
    principal: Viewer,
    session: DbSession,
    service: QueryKey = None,
    state: list[AlertState] = Query(default=[]),
    severity: Severity | None = None,
    q: str | None = Query(default=None, max_length=200),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[AlertOut]:
    service_id = integrations.get_service(session, service).id if service else None
    wanted = alerts.AlertFilter(
        service_id=service_id,
        states=tuple(state) or alerts.LIVE_STATES,
        severity=severity,
        text=q,
        limit=limit,
    )
    return [AlertOut.model_validate(a) for a in alerts.list_alerts(session, wanted)]


@router.get("/alerts/{alert_id}", response_model=AlertWithRaw)
def read_alert(alert_id: int, principal: Viewer, session: DbSession) -> AlertWithRaw:
    return AlertWithRaw.model_validate(alerts.get_alert(session, alert_id))


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge_alert(
    alert_id: int, principal: Responder, session: DbSession, now: Now
) -> AlertOut:
    alert = alerts.acknowledge(session, alert_id=alert_id, user=principal.user, now=now)
    return AlertOut.model_validate(alert)


@router.post("/alerts/{alert_id}/resolve", response_model=AlertOut)
def resolve_alert(alert_id: int, principal: Responder, session: DbSession, now: Now) -> AlertOut:
    alert = alerts.resolve(session, alert_id=alert_id, user=principal.user, now=now)
    return AlertOut.model_validate(alert)


# --- integrations ------------------------------------------------------------------------------


@router.get("/integrations", response_model=list[IntegrationOut])
def list_integrations(
    principal: Viewer, session: DbSession, settings: AppSettings, service: QueryKey = None
) -> list[IntegrationOut]:
    service_id = integrations.get_service(session, service).id if service else None
    return [
        integration_out(i, settings.base_url)
        for i in integrations.list_integrations(session, service_id=service_id)
    ]


@router.post("/integrations", response_model=IntegrationCreated, status_code=201)
def create_integration(
    body: IntegrationCreate, principal: Admin, session: DbSession, settings: AppSettings, now: Now
) -> IntegrationCreated:
    service = integrations.get_service(session, body.service)
    integration, key = add_integration(
        session,
        service=service,
        kind=body.kind,
        now=now,
        name=body.name,
        field_paths=body.field_paths,
        heartbeat=body.heartbeat,
    )
    integration = integrations.get_integration(session, integration.id)
    out = integration_out(integration, settings.base_url)
    return IntegrationCreated(
        **out.model_dump(), key=key, url_with_key=ingest_url(settings.base_url, out.kind, key)
    )


@router.get("/integrations/{integration_id}", response_model=IntegrationOut)
def read_integration(
    integration_id: int, principal: Viewer, session: DbSession, settings: AppSettings
) -> IntegrationOut:
    return integration_out(integrations.get_integration(session, integration_id), settings.base_url)


@router.post("/integrations/{integration_id}/rotate", response_model=IntegrationCreated)
def rotate_integration_key(
    integration_id: int,
    body: RotateRequest,
    principal: Admin,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> IntegrationCreated:
    integration = integrations.get_integration(session, integration_id)
    key = integrations.rotate_key(
        session, integration=integration, now=now, grace=timedelta(hours=body.grace_hours)
    )
    out = integration_out(integration, settings.base_url)
    return IntegrationCreated(
        **out.model_dump(), key=key, url_with_key=ingest_url(settings.base_url, out.kind, key)
    )


@router.delete("/integrations/{integration_id}", status_code=204)
def delete_integration(integration_id: int, principal: Admin, session: DbSession) -> None:
    integration = integrations.get_integration(session, integration_id)
    integrations.delete_integration(session, integration=integration)


# --- heartbeats --------------------------------------------------------------------------------


@router.get("/heartbeats", response_model=list[HeartbeatOut])
def list_heartbeats(
    principal: Viewer, session: DbSession, service: QueryKey = None
) -> list[HeartbeatOut]:
    service_id = integrations.get_service(session, service).id if service else None
    return [heartbeat_out(h) for h in heartbeats.list_heartbeats(session, service_id=service_id)]


@router.get("/heartbeats/{heartbeat_id}", response_model=HeartbeatOut)
def read_heartbeat(heartbeat_id: int, principal: Viewer, session: DbSession) -> HeartbeatOut:
    return heartbeat_out(heartbeats.get_heartbeat(session, heartbeat_id))


@router.get("/heartbeats/{heartbeat_id}/pings", response_model=list[PingOut])
def list_pings(heartbeat_id: int, principal: Viewer, session: DbSession) -> list[PingOut]:
    heartbeat = heartbeats.get_heartbeat(session, heartbeat_id)
    return [
        PingOut.model_validate(p)
        for p in heartbeats.recent_pings(session, heartbeat_id=heartbeat.id)
    ]


@router.patch("/heartbeats/{heartbeat_id}", response_model=HeartbeatOut)
def update_heartbeat(
    heartbeat_id: int, body: HeartbeatUpdate, principal: Admin, session: DbSession, now: Now
) -> HeartbeatOut:
    heartbeat = heartbeats.get_heartbeat(session, heartbeat_id)
    schedule = None
    if body.model_fields_set & {"period_seconds", "cron", "time_zone", "grace_seconds"}:
        if body.cron and body.period_seconds:
            raise InvalidInput("give a period or a cron expression, not both", field="cron")
        current = heartbeats.schedule_of(heartbeat)
        cron = body.cron or (current.cron if not body.period_seconds else None)
        period = body.period_seconds or (
            int(current.period.total_seconds()) if current.period and not cron else None
        )
        schedule = check_schedule(
            period=timedelta(seconds=period) if period else None,
            cron=cron,
            time_zone=body.time_zone or current.time_zone,
            grace=timedelta(seconds=body.grace_seconds)
            if body.grace_seconds is not None
            else current.grace,
        )
    heartbeats.update_heartbeat(
        session,
        heartbeat=heartbeat,
        now=now,
        schedule=schedule,
        kind=body.kind,
        failures_before_alert=body.failures_before_alert,
    )
    return heartbeat_out(heartbeat)


# --- maintenance and silences ------------------------------------------------------------------


@router.get("/maintenance", response_model=list[MaintenanceOut])
def list_maintenance(principal: Viewer, session: DbSession, now: Now) -> list[MaintenanceOut]:
    return [
        MaintenanceOut.model_validate(w) for w in maintenance.list_maintenance(session, now=now)
    ]


@router.post("/maintenance", response_model=MaintenanceOut, status_code=201)
def start_maintenance(
    body: MaintenanceCreate, principal: Responder, session: DbSession, now: Now
) -> MaintenanceOut:
    window = maintenance.start_maintenance(
        session,
        service=integrations.get_service(session, body.service),
        reason=body.reason,
        now=now,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        duration=timedelta(minutes=body.duration_minutes) if body.duration_minutes else None,
        user=principal.user,
    )
    return MaintenanceOut.model_validate(window)


@router.post("/maintenance/{window_id}/end", response_model=MaintenanceOut)
def end_maintenance(
    window_id: int, principal: Responder, session: DbSession, now: Now
) -> MaintenanceOut:
    window = maintenance.end_maintenance(session, window_id=window_id, now=now)
    return MaintenanceOut.model_validate(window)


@router.get("/silences", response_model=list[SilenceOut])
def list_silences(principal: Viewer, session: DbSession, now: Now) -> list[SilenceOut]:
    return [SilenceOut.model_validate(s) for s in maintenance.list_silences(session, now=now)]


@router.post("/silences", response_model=SilenceOut, status_code=201)
def create_silence(
    body: SilenceCreate, principal: Responder, session: DbSession, now: Now
) -> SilenceOut:
    silence = maintenance.create_silence(
        session,
        matchers=[m.model_dump() for m in body.matchers],
        comment=body.comment,
        now=now,
        starts_at=body.starts_at,
        expires_at=body.expires_at,
        service=integrations.get_service(session, body.service) if body.service else None,
        user=principal.user,
    )
    return SilenceOut.model_validate(silence)


@router.post("/silences/{silence_id}/expire", response_model=SilenceOut)
def expire_silence(
    silence_id: int, principal: Responder, session: DbSession, now: Now
) -> SilenceOut:
    return SilenceOut.model_validate(
        maintenance.expire_silence(session, silence_id=silence_id, now=now)
    )


__all__ = ["router"]
