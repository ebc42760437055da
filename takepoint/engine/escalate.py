"""Escalation's clock: claim the incidents whose next step is due, and take it.

What a step does is the incidents domain's (`incidents.escalation.escalate`); this job only
decides that it is due, and makes sure exactly one engine takes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from takepoint.incidents import escalation
from takepoint.incidents.models import Incident, IncidentState
from takepoint.lib.claims import Claim, deadlines, earliest
from takepoint.notify.models import Urgency

BATCH = 200

# Claiming a step clears its deadline; the step sets the next one.
_UNACKNOWLEDGED = Claim(
    Incident,
    ready=Incident.state == IncidentState.TRIGGERED,
    due=Incident.next_escalation_at,
    values={"next_escalation_at": None},
    limit=BATCH,
)
_SILENT = Claim(
    Incident,
    ready=and_(Incident.state == IncidentState.ACKNOWLEDGED, Incident.urgency == Urgency.HIGH),
    due=Incident.next_nudge_at,
    values={"next_nudge_at": None},
    limit=BATCH,
)


def run_once(session: Session, now: datetime) -> int:
    done = 0
    for claim in (_UNACKNOWLEDGED, _SILENT):
        for incident in claim.rows(session, now=now):
            escalation.escalate(session, incident=incident, now=now)
            done += 1
    return done


def next_due(session: Session) -> datetime | None:
    """The earliest escalation or nudge deadline, so the engine wakes exactly then."""
    return earliest(session, _NEXT_DEADLINES)


_NEXT_DEADLINES = deadlines(
    select(func.min(Incident.next_escalation_at)).where(Incident.state == IncidentState.TRIGGERED),
    select(func.min(Incident.next_nudge_at)).where(
        Incident.state == IncidentState.ACKNOWLEDGED, Incident.urgency == Urgency.HIGH
    ),
)
