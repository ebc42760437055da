"""How incidents reach people: pages (with action links) and short informational messages.

Every page is also a timeline entry. Keys tell the kinds apart: `page:`, `nudge:` and
`handoff:` are pages that stop when the incident is acknowledged or resolved; everything else
is information that goes out regardless.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.incidents.models import Incident
from takepoint.lib.clock import wall_time
from takepoint.lib.context import context_of
from takepoint.notify import service as notify
from takepoint.notify.links import ActionLinks, action_links
from takepoint.notify.models import (
    AttemptOutcome,
    DeliveryAttempt,
    Notification,
    NotificationState,
    Urgency,
)
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

PAGE_PREFIXES = ("page:", "nudge:", "handoff:")


def _links(session: Session, incident: Incident, user: User, now: datetime) -> ActionLinks:
    context = context_of(session)
    return action_links(
        secret_key=context.secret_key,
        base_url=context.base_url,
        incident_id=incident.id,
        user=user,
        now=now,
    )


def page_body(incident: Incident, reason: str, zone: str) -> str:
    """What a page says, its times in the zone of the person it wakes."""
    lines = [
        f"{incident.title}",
        f"Service: {incident.service.name} (tier {incident.service.tier})",
        f"Urgency: {incident.urgency.value}",
        f"Why you: {reason}",
        f"Opened: {wall_time(incident.opened_at, zone)}",
    ]
    if incident.caller_name:
        lines.append(f"Caller: {incident.caller_name}")
    if incident.description:
        lines += ["", incident.description]
    return "\n".join(lines)


def page_user(
    session: Session, *, incident: Incident, user: User, reason: str, key: str, now: datetime
) -> None:
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.NOTIFICATION,
        text=f"Paged {user.display_name} ({reason})",
        at=now,
        data={"user_id": user.id, "key": key},
    )
    notify.notify_user(
        session,
        user=user,
        subject=f"[{incident.urgency.value.upper()}] #{incident.id} {incident.title}",
        body=page_body(incident, reason, user.time_zone),
        urgency=incident.urgency,
        key=key,
        now=now,
        incident_id=incident.id,
        links=_links(session, incident, user, now),
    )


def inform_user(
    session: Session,
    *,
    incident: Incident,
    user: User,
    subject: str,
    body: str,
    key: str,
    now: datetime,
) -> None:
    notify.notify_user(
        session,
        user=user,
        subject=subject,
        body=body,
        urgency=Urgency.LOW,
        key=key,
        now=now,
        incident_id=incident.id,
    )


def cancel_pages(session: Session, *, incident: Incident, now: datetime) -> int:
    groups = session.scalars(
        select(Notification.group_key)
        .where(
            Notification.incident_id == incident.id, Notification.state == NotificationState.PENDING
        )
        .distinct()
    ).all()
    cancelled = 0
    for group in groups:
        if group.startswith(PAGE_PREFIXES):
            cancelled += notify.cancel_pending(session, group_key=group, now=now)
    return cancelled


def paged_incident_ids(user_id: int) -> Select[int | None]:
    return select(Notification.incident_id).where(
        Notification.user_id == user_id, Notification.incident_id.is_not(None)
    )


def record_delivery(session: Session, notification: Notification, attempt: DeliveryAttempt) -> None:
    """Every attempt to reach someone about an incident becomes a fact in its timeline."""
    if notification.incident_id is None:
        return
    who = notification.recipient
    if attempt.outcome is AttemptOutcome.SENT:
        text = f"Delivered to {who} by {notification.channel}"
    elif attempt.outcome is AttemptOutcome.RETRY:
        text = f"Could not reach {who} by {notification.channel} ({attempt.error}); will retry"
    else:
        text = (
            f"Gave up reaching {who} by {notification.channel} ({attempt.error}); "
            "trying the next way"
        )
    append(
        session,
        chain=Incident.chain_of(notification.incident_id),
        kind=EntryKind.DELIVERY,
        text=text,
        at=attempt.at,
        data={
            "notification_key": notification.key,
            "outcome": attempt.outcome.value,
            "user_id": notification.user_id,
        },
    )


# Registered when this module is imported, which every process that runs the engine does
# (the triage and escalation jobs import it).
