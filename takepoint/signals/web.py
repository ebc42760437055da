"""Pages: alerts, integrations with their setup snippets, heartbeats, maintenance, silences."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Admin, Responder, Viewer
from takepoint.catalog.models import Service
from takepoint.lib import csrf
from takepoint.lib.deps import AppSettings, DbSession, Now
from takepoint.lib.errors import InvalidInput
from takepoint.lib.numbers import is_digits
from takepoint.lib.templating import render
from takepoint.signals import alerts, heartbeats, integrations, maintenance
from takepoint.signals.models import (
    AlertState,
    HeartbeatKind,
    Integration,
    IntegrationKind,
    Severity,
)
from takepoint.signals.schedule import check_schedule
from takepoint.signals.schemas import HeartbeatSettings
from takepoint.signals.service import add_integration, ingest_url, setup_snippets

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])

STATE_VIEWS = {
    "live": alerts.LIVE_STATES,
    "open": (AlertState.OPEN,),
    "acknowledged": (AlertState.ACKNOWLEDGED,),
    "resolved": (AlertState.RESOLVED,),
    "all": (),
}


def _back(path: str, message: str) -> RedirectResponse:
    separator = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{separator}flash={quote(message)}", status_code=303)


def _services(session: DbSession) -> list[Service]:
    return list(session.scalars(select(Service).order_by(Service.name)))


def _local(text: str, zone: str, field: str) -> datetime:
    """A datetime-local form value, read in the viewer's zone."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date and time", field=field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment


def _zone(request: Request) -> str:
    principal = getattr(request.state, "principal", None)
    return principal.user.time_zone if principal is not None else "UTC"


# --- alerts ------------------------------------------------------------------------------------


@router.get("/alerts")
def alerts_page(
    request: Request,
    principal: Viewer,
    session: DbSession,
    service: str = "",
    state: str = Query(default="live", pattern="^(live|open|acknowledged|resolved|all)$"),
    severity: str = "",
    q: str = Query(default="", max_length=200),
) -> Response:
    service_id = integrations.get_service(session, service).id if service else None
    wanted = alerts.AlertFilter(
        service_id=service_id,
        states=STATE_VIEWS[state],
        severity=Severity(severity) if severity in Severity.__members__.values() else None,
        text=q or None,
        limit=200,
    )
    found = alerts.list_alerts(session, wanted)
    registry = request.app.state.registry
    return render(
        request,
        "signals/alerts.html",
        {
            "alerts": found,
            "links": registry.links_of_alerts(session, [a.id for a in found]),
            "services": _services(session),
            "severities": list(Severity),
            "states": list(STATE_VIEWS),
            "chosen": {"service": service, "state": state, "severity": severity, "q": q},
        },
    )


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, alert_id: int, principal: Viewer, session: DbSession) -> Response:
    alert = alerts.get_alert(session, alert_id)
    links = request.app.state.registry.links_of_alerts(session, [alert.id])
    return render(
        request,
        "signals/alert.html",
        {
            "alert": alert,
            "links": links.get(alert.id, []),
            "raw": json.dumps(alert.raw, indent=2, sort_keys=True, ensure_ascii=False),
            "details": json.dumps(alert.details, indent=2, sort_keys=True, ensure_ascii=False),
        },
    )


@router.post("/alerts/{alert_id}/acknowledge")
def acknowledge(alert_id: int, principal: Responder, session: DbSession, now: Now) -> Response:
    alerts.acknowledge(session, alert_id=alert_id, user=principal.user, now=now)
    return _back(f"/alerts/{alert_id}", "Acknowledged.")


@router.post("/alerts/{alert_id}/resolve")
def resolve(alert_id: int, principal: Responder, session: DbSession, now: Now) -> Response:
    alerts.resolve(session, alert_id=alert_id, user=principal.user, now=now)
    return _back(f"/alerts/{alert_id}", "Resolved.")


# --- integrations ------------------------------------------------------------------------------


@router.get("/signals/integrations")
def integrations_page(request: Request, principal: Viewer, session: DbSession) -> Response:
    return render(
        request,
        "signals/integrations.html",
        {
            "integrations": integrations.list_integrations(session),
            "services": _services(session),
            "kinds": list(IntegrationKind),
        },
    )


def _integration_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    integration: Integration,
    key: str | None,
    now: datetime,
) -> Response:
    heartbeat = integration.heartbeat
    context: dict[str, Any] = {
        "integration": integration,
        "key": key,
        "url": ingest_url(settings.base_url, integration.kind, key or "<key>"),
        "snippets": setup_snippets(settings.base_url, integration, key),
        "heartbeat": heartbeat,
        "live": alerts.count_live(session, service_id=integration.service_id),
    }
    if heartbeat is not None:
        context["schedule"] = heartbeats.schedule_of(heartbeat).in_words()
        context["status"] = heartbeats.status_in_words(heartbeat, now)
        context["pings"] = heartbeats.recent_pings(session, heartbeat_id=heartbeat.id)
        context["heartbeat_kinds"] = list(HeartbeatKind)
    return render(request, "signals/integration.html", context)


@router.get("/signals/integrations/{integration_id}")
def integration_page(
    request: Request,
    integration_id: int,
    principal: Viewer,
    session: DbSession,
    settings: AppSettings,
    now: Now,
) -> Response:
    integration = integrations.get_integration(session, integration_id)
    return _integration_page(request, session, settings, integration, None, now)


@router.post("/signals/integrations")
def create_integration(
    request: Request,
    principal: Admin,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    service: Annotated[str, Form(max_length=100)],
    kind: Annotated[IntegrationKind, Form()],
    name: Annotated[str, Form(max_length=200)] = "",
    cron: Annotated[str, Form(max_length=100)] = "",
    period_hours: Annotated[str, Form(max_length=10)] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "UTC",
    grace_minutes: Annotated[int, Form(ge=0, le=43200)] = 60,
    backup: Annotated[bool, Form()] = False,
) -> Response:
    heartbeat = None
    if kind is IntegrationKind.HEARTBEAT:
        try:
            period = round(float(period_hours) * 3600) if period_hours.strip() else None
        except ValueError:
            raise InvalidInput("the period is a number of hours", field="period_hours") from None
        heartbeat = HeartbeatSettings(
            kind=HeartbeatKind.BACKUP if backup else HeartbeatKind.JOB,
            cron=cron.strip() or None,
            period_seconds=None if cron.strip() else (period or 86400),
            time_zone=time_zone.strip() or "UTC",
            grace_seconds=grace_minutes * 60,
        )
    integration, key = add_integration(
        session,
        service=integrations.get_service(session, service),
        kind=kind,
        now=now,
        name=name.strip() or None,
        heartbeat=heartbeat,
    )
    integration = integrations.get_integration(session, integration.id)
    return _integration_page(request, session, settings, integration, key, now)


@router.post("/signals/integrations/{integration_id}/rotate")
def rotate(
    request: Request,
    integration_id: int,
    principal: Admin,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    grace_hours: Annotated[int, Form(ge=0, le=720)] = 24,
) -> Response:
    integration = integrations.get_integration(session, integration_id)
    key = integrations.rotate_key(
        session, integration=integration, now=now, grace=timedelta(hours=grace_hours)
    )
    return _integration_page(request, session, settings, integration, key, now)


@router.post("/signals/integrations/{integration_id}/delete")
def delete(integration_id: int, principal: Admin, session: DbSession) -> Response:
    integration = integrations.get_integration(session, integration_id)
    name = integration.name
    integrations.delete_integration(session, integration=integration)
    return _back("/signals/integrations", f"Deleted {name}.")


@router.post("/signals/heartbeats/{heartbeat_id}")
def update_heartbeat(
    heartbeat_id: int,
    principal: Admin,
    session: DbSession,
    now: Now,
    cron: Annotated[str, Form(max_length=100)] = "",
    period_hours: Annotated[str, Form(max_length=10)] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "UTC",
    grace_minutes: Annotated[int, Form(ge=0, le=43200)] = 60,
    failures: Annotated[int, Form(ge=1, le=100)] = 1,
    backup: Annotated[bool, Form()] = False,
) -> Response:
    heartbeat = heartbeats.get_heartbeat(session, heartbeat_id)
    try:
        period = round(float(period_hours) * 3600) if period_hours.strip() else None
    except ValueError:
        raise InvalidInput("the period is a number of hours", field="period_hours") from None
    schedule = check_schedule(
        period=timedelta(seconds=period) if period and not cron.strip() else None,
        cron=cron.strip() or None,
        time_zone=time_zone.strip() or "UTC",
        grace=timedelta(minutes=grace_minutes),
    )
    heartbeats.update_heartbeat(
        session,
        heartbeat=heartbeat,
        now=now,
        schedule=schedule,
        kind=HeartbeatKind.BACKUP if backup else HeartbeatKind.JOB,
        failures_before_alert=failures,
    )
    return _back(f"/signals/integrations/{heartbeat.integration_id}", "Schedule saved.")


# --- maintenance and silences ------------------------------------------------------------------


@router.get("/signals/maintenance")
def maintenance_page(request: Request, principal: Viewer, session: DbSession, now: Now) -> Response:
    return render(
        request,
        "signals/maintenance.html",
        {
            "windows": maintenance.list_maintenance(session, now=now),
            "silences": maintenance.list_silences(session, now=now),
            "services": _services(session),
        },
    )


@router.post("/signals/maintenance")
def start_maintenance(
    request: Request,
    principal: Responder,
    session: DbSession,
    now: Now,
    service: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(max_length=500)],
    starts_at: Annotated[str, Form(max_length=40)] = "",
    ends_at: Annotated[str, Form(max_length=40)] = "",
    duration_minutes: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    zone = _zone(request)
    window = maintenance.start_maintenance(
        session,
        service=integrations.get_service(session, service),
        reason=reason,
        now=now,
        starts_at=_local(starts_at, zone, "starts_at") if starts_at else None,
        ends_at=_local(ends_at, zone, "ends_at") if ends_at else None,
        duration=timedelta(minutes=int(duration_minutes)) if is_digits(duration_minutes) else None,
        user=principal.user,
    )
    return _back("/signals/maintenance", f"Maintenance window {window.id} saved.")


@router.post("/signals/maintenance/{window_id}/end")
def end_maintenance(window_id: int, principal: Responder, session: DbSession, now: Now) -> Response:
    maintenance.end_maintenance(session, window_id=window_id, now=now)
    return _back("/signals/maintenance", "Maintenance ended.")


@router.post("/signals/silences")
def create_silence(
    request: Request,
    principal: Responder,
    session: DbSession,
    now: Now,
    matchers: Annotated[str, Form(max_length=2000)],
    comment: Annotated[str, Form(max_length=500)],
    expires_at: Annotated[str, Form(max_length=40)] = "",
    hours: Annotated[str, Form(max_length=6)] = "",
    service: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if expires_at:
        until = _local(expires_at, _zone(request), "expires_at")
    elif is_digits(hours):
        until = now + timedelta(hours=int(hours))
    else:
        raise InvalidInput("give an expiry time or a number of hours", field="expires_at")
    silence = maintenance.create_silence(
        session,
        matchers=maintenance.parse_matchers(matchers),
        comment=comment,
        now=now,
        expires_at=until,
        service=integrations.get_service(session, service) if service else None,
        user=principal.user,
    )
    return _back("/signals/maintenance", f"Silence {silence.id} saved.")


@router.post("/signals/silences/{silence_id}/expire")
def expire_silence(silence_id: int, principal: Responder, session: DbSession, now: Now) -> Response:
    maintenance.expire_silence(session, silence_id=silence_id, now=now)
    return _back("/signals/maintenance", "Silence expired.")


__all__ = ["router"]
