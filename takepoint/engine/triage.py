"""New alerts become incidents: grouped per service, by dedup key or by time window."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from takepoint.incidents import policies
from takepoint.incidents import service as incidents
from takepoint.incidents.models import (
    Grouping,
    Incident,
    IncidentAlert,
    IncidentSource,
    IncidentState,
)
from takepoint.notify.models import Urgency
from takepoint.signals.models import Alert, AlertState, Severity
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

BATCH = 500
HIGH = {Severity.CRITICAL, Severity.ERROR}


def urgency_of(severity: Severity) -> Urgency:
    return Urgency.HIGH if severity in HIGH else Urgency.LOW


def run_once(session: Session, now: datetime) -> int:
    batch = select(Alert.id).where(Alert.needs_triage.is_(True)).order_by(Alert.id).limit(BATCH)
    if session.get_bind().dialect.name == "postgresql":
        batch = batch.with_for_update(skip_locked=True)
    picked = list(session.scalars(batch))
    if not picked:
        return _resolve_finished(session, now)
    # The claim and the incidents it creates commit together: a crash undoes both. The
    # conditional UPDATE makes a second engine that read the same ids skip them.
    claimed = session.scalars(
        update(Alert)
        .where(Alert.id.in_(picked), Alert.needs_triage.is_(True))
        .values(needs_triage=False)
        .returning(Alert.id)
        .execution_options(synchronize_session=False)
    ).all()
    for alert in session.scalars(select(Alert).where(Alert.id.in_(claimed)).order_by(Alert.id)):
        if alert.state is AlertState.RESOLVED:
            continue
        _place(session, alert, now)
    return len(claimed) + _resolve_finished(session, now)


def _place(session: Session, alert: Alert, now: datetime) -> None:
    service = alert.service
    paging = policies.paging_for(session, service)
    live = select(Incident).where(
        Incident.service_id == service.id, Incident.state != IncidentState.RESOLVED
    )
    if paging is not None and paging.grouping is Grouping.TIME_WINDOW:
        since = now - timedelta(minutes=paging.group_window_minutes)
        live = live.where(Incident.opened_at >= since)
    else:
        live = live.where(Incident.dedup_key == alert.dedup_key)
    incident = session.scalars(live.order_by(Incident.opened_at.desc()).limit(1)).first()
    if incident is None:
        incident = incidents.open_incident(
            session,
            service=service,
            title=alert.summary[:500] or "(no summary)",
            urgency=urgency_of(alert.severity),
            source=IncidentSource.ALERT,
            dedup_key=alert.dedup_key,
            now=now,
        )
    session.add(IncidentAlert(incident_id=incident.id, alert_id=alert.id))
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.ALERT,
        text=f"Alert from {alert.integration.name}: {alert.summary} ({alert.severity.value})",
        at=now,
        data={"alert_id": alert.id, "dedup_key": alert.dedup_key, "source": alert.source},
    )


def _resolve_finished(session: Session, now: datetime) -> int:
    """Incidents opened by alerts resolve when the source has resolved every one of them."""
    unresolved_alert = exists().where(
        IncidentAlert.incident_id == Incident.id,
        IncidentAlert.alert_id == Alert.id,
        Alert.state != AlertState.RESOLVED,
    )
    any_alert = exists().where(IncidentAlert.incident_id == Incident.id)
    finished = session.scalars(
        select(Incident).where(
            Incident.source == IncidentSource.ALERT,
            Incident.state != IncidentState.RESOLVED,
            any_alert,
            ~unresolved_alert,
        )
    ).all()
    for incident in finished:
        incidents.resolve(
            session,
            incident=incident,
            user=None,
            note="The monitoring source resolved every alert.",
            now=now,
        )
    return len(finished)
