"""Action items: remind owners before the due day ends; chase overdue ones with the team lead.

Both deadlines are columns. Each is claimed by one conditional UPDATE that moves it on in the
same statement, and the messages are queued in the same transaction, so two engines never send
the same reminder and a crash sends it at most once again (with the same outbox key).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from takepoint.notify.models import Urgency
from takepoint.notify.service import notify_user
from takepoint.reviews.actions import ESCALATE_EVERY, team_lead_of
from takepoint.reviews.models import ActionItem, ActionState

BATCH = 200


def _claim_reminders(session: Session, now: datetime) -> list[int]:
    due = (
        select(ActionItem.id)
        .where(ActionItem.state == ActionState.OPEN, ActionItem.remind_at <= now)
        .order_by(ActionItem.remind_at)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    result = session.execute(
        update(ActionItem)
        .where(
            ActionItem.id.in_(due.scalar_subquery()),
            ActionItem.state == ActionState.OPEN,
            ActionItem.remind_at <= now,
        )
        .values(remind_at=None, reminded_at=now)
        .returning(ActionItem.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


def _claim_escalations(session: Session, now: datetime) -> list[tuple[int, int]]:
    due = (
        select(ActionItem.id)
        .where(ActionItem.state == ActionState.OPEN, ActionItem.escalate_at <= now)
        .order_by(ActionItem.escalate_at)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    result = session.execute(
        update(ActionItem)
        .where(
            ActionItem.id.in_(due.scalar_subquery()),
            ActionItem.state == ActionState.OPEN,
            ActionItem.escalate_at <= now,
        )
        .values(escalate_at=now + ESCALATE_EVERY, escalations=ActionItem.escalations + 1)
        .returning(ActionItem.id, ActionItem.escalations)
        .execution_options(synchronize_session=False)
    )
    return sorted((row[0], row[1]) for row in result)


def _link(session: Session) -> str:
    base = session.info.get("base_url")
    return f"\n\n{base}/actions" if base else ""


def run_once(session: Session, now: datetime) -> int:
    done = 0
    for item_id in _claim_reminders(session, now):
        item = session.get(ActionItem, item_id)
        assert item is not None
        notify_user(
            session,
            user=item.owner,
            subject=f"Reminder: action item due {item.due_on:%a %d %b}: {item.title}",
            body=f"From incident #{item.incident_id} {item.incident.title}.\n"
            f"Due {item.due_on:%a %d %b %Y}. Mark it done, or change its date, in Takepoint."
            + _link(session),
            urgency=Urgency.LOW,
            key=f"action-reminder:{item.id}:{item.due_on.isoformat()}",
            now=now,
        )
        done += 1
    for item_id, round_ in _claim_escalations(session, now):
        item = session.get(ActionItem, item_id)
        assert item is not None
        lead = team_lead_of(session, item.owner, item.service)
        subject = f"Overdue action item: {item.title}"
        body = (
            f"From incident #{item.incident_id} {item.incident.title}.\n"
            f"Owner: {item.owner.display_name}. It was due {item.due_on:%a %d %b %Y}."
            + (f" {lead.display_name}, their team lead, is told too." if lead else "")
            + _link(session)
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
                key=f"action-overdue:{item.id}:{round_}:{person.id}",
                now=now,
            )
        done += 1
    return done
