"""Pending handoffs: the giver is still point, and is reminded until the receiver answers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, joinedload

from takepoint.incidents import loop
from takepoint.incidents.models import Handoff, HandoffState
from takepoint.lib.claims import Claim

REMIND_EVERY = timedelta(minutes=5)
MAX_REMINDERS = 6
BATCH = 200

# Claiming clears the deadline and counts the reminder; the reminder sets the next deadline.
_DUE = Claim(
    Handoff,
    ready=Handoff.state == HandoffState.PENDING,
    due=Handoff.next_reminder_at,
    values={"next_reminder_at": None, "reminders_sent": Handoff.reminders_sent + 1},
    limit=BATCH,
    options=(
        joinedload(Handoff.incident),
        joinedload(Handoff.from_user),
        joinedload(Handoff.to_user),
    ),
)


def run_once(session: Session, now: datetime) -> int:
    handoffs = _DUE.rows(session, now=now)
    for handoff in handoffs:
        incident = handoff.incident
        loop.tell(
            session,
            incident=incident,
            user=handoff.from_user,
            subject=f"#{incident.id}: {handoff.to_user.display_name} has not accepted point yet",
            body=f"You are still the point person for #{incident.id} {incident.title} until "
            f"{handoff.to_user.display_name} accepts.",
            key=f"handoff-reminder:{handoff.id}:{handoff.reminders_sent}",
            now=now,
        )
        if handoff.reminders_sent < MAX_REMINDERS:
            handoff.next_reminder_at = now + REMIND_EVERY
    return len(handoffs)
