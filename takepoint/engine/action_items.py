"""Action items: remind owners before the due day ends; chase overdue ones with the team lead.

Both deadlines are columns. Each is claimed by one conditional UPDATE that clears it or moves it
on in the same statement, and the messages are queued in the same transaction, so two engines
never send the same reminder and a crash sends it at most once again (with the same outbox key).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.orm import Session, joinedload

from takepoint.lib.claims import NOW, Claim
from takepoint.lib.context import context_of
from takepoint.notify.models import Urgency
from takepoint.notify.service import notify_user
from takepoint.reviews.actions import ESCALATE_EVERY, team_lead_of
from takepoint.reviews.models import ActionItem, ActionState

BATCH = 200

_REMINDERS = Claim(
    ActionItem,
    ready=ActionItem.state == ActionState.OPEN,
    due=ActionItem.remind_at,
    values={"remind_at": None, "reminded_at": NOW},
    limit=BATCH,
    options=(joinedload(ActionItem.owner), joinedload(ActionItem.incident)),
)
# An overdue item is chased again every ESCALATE_EVERY until it is closed.
_OVERDUE = Claim(
    ActionItem,
    ready=ActionItem.state == ActionState.OPEN,
    due=ActionItem.escalate_at,
    values={
        "escalate_at": bindparam("next_escalation_at"),
        "escalations": ActionItem.escalations + 1,
    },
    limit=BATCH,
    options=(joinedload(ActionItem.owner), joinedload(ActionItem.incident)),
)


def run_once(session: Session, now: datetime) -> int:
    done = 0
    link = f"\n\n{context_of(session).base_url}/actions"
    for item in _REMINDERS.rows(session, now=now):
        notify_user(
            session,
            user=item.owner,
            subject=f"Reminder: action item due {item.due_on:%a %d %b}: {item.title}",
            body=f"From incident #{item.incident_id} {item.incident.title}.\n"
            f"Due {item.due_on:%a %d %b %Y}. Mark it done, or change its date, in Takepoint."
            + link,
            urgency=Urgency.LOW,
            key=f"action-reminder:{item.id}:{item.due_on.isoformat()}",
            now=now,
        )
        done += 1
    overdue = _OVERDUE.rows(session, now=now, params={"next_escalation_at": now + ESCALATE_EVERY})
    for item in overdue:
        lead = team_lead_of(session, item.owner, item.service)
        subject = f"Overdue action item: {item.title}"
        body = (
            f"From incident #{item.incident_id} {item.incident.title}.\n"
            f"Owner: {item.owner.display_name}. It was due {item.due_on:%a %d %b %Y}."
            + (f" {lead.display_name}, their team lead, is told too." if lead else "")
            + link
        )
        for person in [item.owner, lead]:
            if person is None:
                continue
            notify_user(
                session,
                user=person,
                subject=subject,
                body=body,
                urgency=Urgency.LOW,
                key=f"action-overdue:{item.id}:{item.escalations}:{person.id}",
                now=now,
            )
        done += 1
    return done
