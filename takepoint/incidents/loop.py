"""Closing the loop: the people who own, reported or follow an incident hear how it went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.incidents import paging
from takepoint.incidents.models import Incident, Subscription
from takepoint.lib.context import context_of
from takepoint.lib.registry import IncidentNews
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind


def subscribers(session: Session, incident: Incident) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Subscription, Subscription.user_id == User.id)
            .where(
                or_(
                    Subscription.incident_id == incident.id,
                    Subscription.service_id == incident.service_id,
                ),
                User.is_active.is_(True),
            )
            .distinct()
            .order_by(User.id)
        )
    )


def summary(incident: Incident, event: str) -> str:
    lines = [
        f"Incident #{incident.id}: {incident.title}",
        f"Service: {incident.service.name}",
        f"State: {incident.state.value}",
        f"What happened: {event}",
        f"Opened: {incident.opened_at:%Y-%m-%d %H:%M} UTC",
    ]
    if incident.acknowledged_at:
        lines.append(f"Acknowledged: {incident.acknowledged_at:%Y-%m-%d %H:%M} UTC")
    if incident.resolved_at:
        lines.append(f"Resolved: {incident.resolved_at:%Y-%m-%d %H:%M} UTC")
        lines.append(f"Resolution: {incident.resolution_note}")
    if incident.point_user is not None:
        lines.append(f"Point person: {incident.point_user.display_name}")
    return "\n".join(lines)


def close_the_loop(
    session: Session, *, incident: Incident, event: str, now: datetime, previous_point: User | None
) -> list[User]:
    """Tell the service's leads, the previous point person, the reporter and the subscribers,
    and every domain that listens for incident news (the desk's linked requesters)."""
    service = incident.service
    candidates: list[User | None] = [
        service.tech_lead,
        service.backup_lead,
        previous_point,
        incident.reporter,
        *subscribers(session, incident),
    ]
    actor = incident.point_user
    told: dict[int, User] = {}
    for user in candidates:
        if user is None or user.id in told or not user.is_active:
            continue
        # The person who just acted already knows.
        if actor is not None and user.id == actor.id and previous_point is not None:
            continue
        told[user.id] = user
    body = summary(incident, event)
    for user in told.values():
        tell(
            session,
            incident=incident,
            user=user,
            subject=f"[{incident.state.value}] #{incident.id} {incident.title}",
            body=body,
            key=f"loop:{incident.id}:{now.timestamp()}:{user.id}",
            now=now,
        )
    news = IncidentNews(
        incident_id=incident.id,
        title=incident.title,
        state=incident.state.value,
        summary=body,
        at=now,
    )
    for listener in context_of(session).registry.incident_listeners:
        listener(session, news)
    if told:
        names = ", ".join(u.display_name for u in told.values())
        append(
            session,
            chain=incident.chain,
            kind=EntryKind.CLOSE_THE_LOOP,
            text=f"Summary sent to {names}",
            at=now,
            data={"user_ids": sorted(told)},
        )
    return list(told.values())


def tell(
    session: Session,
    *,
    incident: Incident,
    user: User,
    subject: str,
    body: str,
    key: str,
    now: datetime,
) -> None:
    """An informational message: one delivery, no escalation."""
    paging.inform_user(
        session, incident=incident, user=user, subject=subject, body=body, key=key, now=now
    )


def tell_subscribers(
    session: Session, *, incident: Incident, subject: str, body: str, key: str, now: datetime
) -> int:
    people = subscribers(session, incident)
    for user in people:
        tell(
            session,
            incident=incident,
            user=user,
            subject=subject,
            body=body,
            key=f"{key}:{user.id}",
            now=now,
        )
    return len(people)
