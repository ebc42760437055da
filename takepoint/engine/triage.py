"""New alerts become incidents: grouped per service, by dedup key or by time window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session, joinedload

from takepoint.incidents import escalation, policies
from takepoint.incidents import service as incidents
from takepoint.incidents.models import (
    Grouping,
    Incident,
    IncidentAlert,
    IncidentSource,
    IncidentState,
    ServicePaging,
)
from takepoint.lib.claims import Claim
from takepoint.notify.models import Urgency
from takepoint.signals.models import Alert, AlertState, Severity
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

# Alerts placed per transaction: enough to keep up with a storm, few enough that the write
# lock comes free for pages within a fraction of a second.
BATCH = 100
HIGH = {Severity.CRITICAL, Severity.ERROR}


def urgency_of(severity: Severity) -> Urgency:
    return Urgency.HIGH if severity in HIGH else Urgency.LOW


# Built once: the paging lane triages at every wake-up.
_NEW = Claim(
    Alert,
    ready=Alert.needs_triage.is_(True),
    values={"needs_triage": False},
    limit=BATCH,
    options=(joinedload(Alert.integration), joinedload(Alert.service)),
)


def run_once(session: Session, now: datetime) -> int:
    """Place every new alert in an incident, opening one where the grouping rule says so."""
    # The claim and the incidents it creates commit together: a crash undoes both.
    claimed = _NEW.rows(session, now=now)
    if not claimed:
        return 0
    # An alert that resolved before triage saw it opens nothing.
    _place_all(session, [a for a in claimed if a.state is not AlertState.RESOLVED], now)
    return len(claimed)


@dataclass
class _Placed:
    incident: Incident
    opened: bool
    alerts: list[Alert] = field(default_factory=list)


def _place_all(session: Session, alerts: list[Alert], now: datetime) -> None:
    """Set-based placement: each incident is looked up (or opened) once per batch, and gets one
    timeline entry for all the alerts it took in, however many a storm brings."""
    placed: dict[tuple[int, str | None], _Placed] = {}
    # Looked up once per service and batch: a service without paging settings has no row, and
    # a missing row is not remembered by the session, so every alert would ask again.
    pagings: dict[int, ServicePaging | None] = {}
    for alert in alerts:
        if alert.service_id not in pagings:
            pagings[alert.service_id] = policies.paging_for(session, alert.service)
        paging = pagings[alert.service_id]
        by_time = paging is not None and paging.grouping is Grouping.TIME_WINDOW
        group = (alert.service_id, None if by_time else alert.dedup_key)
        if group not in placed:
            placed[group] = _incident_for(session, alert, paging if by_time else None, now)
        placed[group].alerts.append(alert)
    links = [
        {"incident_id": p.incident.id, "alert_id": alert.id}
        for p in placed.values()
        for alert in p.alerts
    ]
    if links:
        session.execute(insert(IncidentAlert), links)
    for p in placed.values():
        _record(session, p.incident, p.alerts, now)
        # The first page goes out in this same transaction: nobody else can see the incident
        # yet, so there is nothing to claim, and the page is one commit sooner.
        due = p.incident.next_escalation_at
        if p.opened and due is not None and due <= now:
            escalation.escalate(session, incident=p.incident, now=now)


def _incident_for(
    session: Session, alert: Alert, window: ServicePaging | None, now: datetime
) -> _Placed:
    """The live incident this alert joins (by time window, or by dedup key), or a new one."""
    live = select(Incident).where(
        Incident.service_id == alert.service_id, Incident.state != IncidentState.RESOLVED
    )
    if window is not None:
        live = live.where(
            Incident.opened_at >= now - timedelta(minutes=window.group_window_minutes)
        )
    else:
        live = live.where(Incident.dedup_key == alert.dedup_key)
    incident = session.scalars(live.order_by(Incident.opened_at.desc()).limit(1)).first()
    if incident is not None:
        return _Placed(incident, opened=False)
    opened = incidents.open_incident(
        session,
        service=alert.service,
        title=alert.summary[:500] or "(no summary)",
        urgency=urgency_of(alert.severity),
        source=IncidentSource.ALERT,
        dedup_key=alert.dedup_key,
        now=now,
    )
    return _Placed(opened, opened=True)


def _record(session: Session, incident: Incident, alerts: list[Alert], now: datetime) -> None:
    first = alerts[0]
    what = f"{first.integration.name}: {first.summary} ({first.severity.value})"
    text = f"Alert from {what}" if len(alerts) == 1 else f"{len(alerts)} alerts, first from {what}"
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.ALERT,
        text=text,
        at=now,
        data={
            "alerts": [{"id": a.id, "dedup_key": a.dedup_key, "source": a.source} for a in alerts]
        },
    )


def close_finished(session: Session, now: datetime) -> int:
    """Incidents opened by alerts resolve when the source has resolved every one of them.

    A job of its own that runs once per tick: it looks at every open alert incident, which is
    too much to repeat for each new alert in a storm.
    """
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
