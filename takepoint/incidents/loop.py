"""Closing the loop: the people who own, reported or follow an incident hear how it went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.incidents import paging
from takepoint.incidents.models import Incident, IncidentState, Subscription
from takepoint.lib.clock import wall_time
from takepoint.lib.context import context_of
from takepoint.lib.registry import IncidentNews
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind, TimelineEntry

_POINT_KINDS = (EntryKind.ACKNOWLEDGED, EntryKind.TOOK_POINT, EntryKind.HANDOFF_ACCEPTED)


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


def summary(incident: Incident, event: str, zone: str) -> str:
    """What close-the-loop says, its times in the zone of the person it tells."""
    lines = [
        f"Incident #{incident.id}: {incident.title}",
        f"Service: {incident.service.name}",
        f"State: {incident.state.value}",
        f"What happened: {event}",
        f"Opened: {wall_time(incident.opened_at, zone)}",
    ]
    if incident.acknowledged_at:
        lines.append(f"Acknowledged: {wall_time(incident.acknowledged_at, zone)}")
    if incident.resolved_at:
        lines.append(f"Resolved: {wall_time(incident.resolved_at, zone)}")
        lines.append(f"Resolution: {incident.resolution_note}")
    if incident.point_user is not None:
        lines.append(f"Point person: {incident.point_user.display_name}")
    return "\n".join(lines)


def point_people(session: Session, incident: Incident) -> list[User]:
    """Everyone who has held point on the incident, in the order they took it."""
    rows = session.execute(
        select(TimelineEntry.kind, TimelineEntry.actor_id, TimelineEntry.data)
        .where(TimelineEntry.chain == incident.chain, TimelineEntry.kind.in_(_POINT_KINDS))
        .order_by(TimelineEntry.seq)
    )
    ids: list[int] = []
    for kind, actor_id, data in rows:
        held = (
            [actor_id]
            if kind is EntryKind.ACKNOWLEDGED
            else [data.get("from_user_id"), data.get("to_user_id")]
        )
        ids += [uid for uid in held if isinstance(uid, int) and uid not in ids]
    people = {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}
    return [people[uid] for uid in ids if uid in people]


def _actor_id(session: Session, incident: Incident) -> int | None:
    """Who made the change the loop is closed for: whoever resolved it (None for the
    monitoring source), else the new point person."""
    if incident.state is IncidentState.RESOLVED:
        return session.scalar(
            select(TimelineEntry.actor_id)
            .where(TimelineEntry.chain == incident.chain, TimelineEntry.kind == EntryKind.RESOLVED)
            .order_by(TimelineEntry.seq.desc())
            .limit(1)
        )
    return incident.point_user_id


def close_the_loop(
    session: Session, *, incident: Incident, event: str, now: datetime, previous_point: User | None
) -> list[User]:
    """Tell the service's leads, everyone who held point, the reporter and the subscribers,
    but not the person who made the change; and every domain that listens for incident news
    (the desk's linked requesters)."""
    service = incident.service
    candidates: list[User | None] = [
        service.tech_lead,
        service.backup_lead,
        previous_point,
        *point_people(session, incident),
        incident.reporter,
        *subscribers(session, incident),
    ]
    # The person who just acted already knows.
    actor_id = _actor_id(session, incident)
    told: dict[int, User] = {}
    for user in candidates:
        if user is None or user.id in told or user.id == actor_id or not user.is_active:
            continue
        told[user.id] = user
    for user in told.values():
        tell(
            session,
            incident=incident,
            user=user,
            subject=f"[{incident.state.value}] #{incident.id} {incident.title}",
            body=summary(incident, event, user.time_zone),
            key=f"loop:{incident.id}:{now.timestamp()}:{user.id}",
            now=now,
        )
    context = context_of(session)
    news = IncidentNews(
        incident_id=incident.id,
        title=incident.title,
        state=incident.state.value,
        # For people outside Takepoint (a ticket's requester): the organisation's zone.
        summary=summary(incident, event, context.settings.default_time_zone),
        at=now,
    )
    for listener in context.registry.incident_listeners:
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
