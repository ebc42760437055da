"""Pending handoffs: the giver is still point, and is reminded until the receiver answers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from takepoint.incidents import loop
from takepoint.incidents.models import Handoff, HandoffState
from takepoint.lib.db import rowcount

REMIND_EVERY = timedelta(minutes=5)
MAX_REMINDERS = 6


def run_once(session: Session, now: datetime) -> int:
    due = session.execute(
        select(Handoff.id, Handoff.next_reminder_at).where(
            Handoff.state == HandoffState.PENDING, Handoff.next_reminder_at <= now
        )
    ).all()
    done = 0
    for handoff_id, seen in due:
        claimed = session.execute(
            update(Handoff)
            .where(Handoff.id == handoff_id, Handoff.next_reminder_at == seen)
            .values(next_reminder_at=None, reminders_sent=Handoff.reminders_sent + 1)
            .execution_options(synchronize_session=False)
        )
        if rowcount(claimed) != 1:
            continue
        handoff = session.get(Handoff, handoff_id)
        assert handoff is not None
        session.refresh(handoff)
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
        done += 1
    return done
