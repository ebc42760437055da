"""The incident each alert became part of, for the alert pages (which name no incident)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.incidents.models import Incident, IncidentAlert


def incidents_of_alerts(session: Session, alert_ids: Collection[int]) -> dict[int, tuple[str, str]]:
    """{alert_id: ("#12 App server down (acknowledged)", "/incidents/12")}."""
    if not alert_ids:
        return {}
    rows = session.execute(
        select(IncidentAlert.alert_id, Incident.id, Incident.title, Incident.state)
        .join(Incident, Incident.id == IncidentAlert.incident_id)
        .where(IncidentAlert.alert_id.in_(list(alert_ids)))
        .order_by(Incident.id)
    )
    return {
        alert_id: (f"#{incident_id} {title} ({state.value})", f"/incidents/{incident_id}")
        for alert_id, incident_id, title, state in rows
    }
