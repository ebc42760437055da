"""Opening, acknowledging, noting, handing off and resolving incidents.

Every change lands in the incident's timeline with its actor and time, and every change of
point person or state tells the people who need to know (see `loop.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Role, User
from takepoint.catalog.models import Department, Service
from takepoint.incidents import business_hours, escalation, loop, paging, policies
from takepoint.incidents.models import (
    Handoff,
    HandoffState,
    Incident,
    IncidentAlert,
    IncidentSource,
    IncidentState,
    Subscription,
)
from takepoint.lib.deps import wake_engine
from takepoint.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from takepoint.lib.registry import Lane
from takepoint.notify.models import Urgency
from takepoint.signals.models import Alert, AlertState
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

HANDOFF_REMINDER = timedelta(minutes=5)
MAX_NOTE = 10_000


def _touch(incident: Incident, now: datetime) -> None:
    """Human activity: restarts the no-progress clock of an acknowledged incident."""
    incident.last_activity_at = now
    if incident.state is IncidentState.ACKNOWLEDGED and incident.urgency is Urgency.HIGH:
        minutes = escalation.PolicySnapshot.from_json(incident.policy_snapshot).no_progress_minutes
        incident.next_nudge_at = now + timedelta(minutes=minutes)
        incident.nudge_stage = 0


def _text(value: str, field: str, *, required: bool = True, limit: int = MAX_NOTE) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"the {field.replace('_', ' ')} is empty", field=field)
    if len(value) > limit:
        raise InvalidInput(
            f"the {field.replace('_', ' ')} is longer than {limit} characters", field=field
        )
    return value


def _require_open(incident: Incident) -> None:
    if incident.state is IncidentState.RESOLVED:
        raise Conflict(f"incident #{incident.id} is resolved; reopen it first", field="state")


def open_incident(
    session: Session,
    *,
    service: Service,
    title: str,
    urgency: Urgency,
    source: IncidentSource,
    now: datetime,
    reporter: User | None = None,
    description: str = "",
    caller_name: str = "",
    caller_department: Department | None = None,
    dedup_key: str | None = None,
) -> Incident:
    """Open an incident on `service` and start its escalation (now, or at business hours)."""
    title = _text(title, "title", limit=500)
    pages = policies.paging_for(session, service)
    policy = pages.policy if pages is not None else None
    starts = now if urgency is Urgency.HIGH else business_hours.next_opening(now, pages)
    incident = Incident(
        service=service,
        title=title,
        description=_text(description, "description", required=False),
        urgency=urgency,
        source=source,
        dedup_key=dedup_key,
        opened_at=now,
        reporter_id=reporter.id if reporter else None,
        caller_name=_text(caller_name, "caller_name", required=False, limit=200),
        caller_department=caller_department,
        policy_snapshot=policies.freeze(session, policy).to_json(),
        next_escalation_at=starts,
        last_activity_at=now,
    )
    session.add(incident)
    session.flush()
    how = {
        IncidentSource.PHONE: f"Phone call from {incident.caller_name or 'a caller'}"
        + (f" ({caller_department.name})" if caller_department else ""),
        IncidentSource.ALERT: "Alert received",
        IncidentSource.WEB: "Reported",
        IncidentSource.EMAIL: "Email received",
    }[source]
    by = f" by {reporter.display_name}" if reporter else ""
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.OPENED,
        text=f"{how}{by}: {title} (service {service.name}, {urgency.value} urgency)",
        at=now,
        actor_id=reporter.id if reporter else None,
        data={"service_id": service.id, "urgency": urgency.value, "source": source.value},
    )
    if starts > now:
        append(
            session,
            chain=incident.chain,
            kind=EntryKind.URGENCY,
            text="Low urgency outside business hours: paging waits until "
            + starts.isoformat(timespec="minutes"),
            at=now,
            data={"pages_at": starts.isoformat()},
        )
    if reporter is not None:
        subscribe(session, user=reporter, incident=incident, now=now, record=False)
    wake_engine(session, Lane.PAGING)
    return incident


def get_incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident #{incident_id}")
    return incident


@dataclass(frozen=True)
class IncidentFilter:
    state: IncidentState | None = None
    open_only: bool = False
    service_id: int | None = None
    point_user_id: int | None = None
    mine_user_id: int | None = None
    limit: int = 100
    offset: int = 0
    # Only incidents after this one in the list's order (older): a page that costs the same
    # however deep it is, where an offset costs as many rows as it skips.
    before: int | None = None


def list_incidents(session: Session, wanted: IncidentFilter) -> list[Incident]:
    """Newest first. The page's ids are chosen first, from the index alone where it holds the
    filters (see the 20261122_0008 migration), and only those rows are then read whole."""
    query = select(Incident.id)
    if wanted.before is not None:
        opened = session.scalar(select(Incident.opened_at).where(Incident.id == wanted.before))
        if opened is None:
            raise NotFound(f"no incident #{wanted.before}", field="before")
        query = query.where(tuple_(Incident.opened_at, Incident.id) < tuple_(opened, wanted.before))
    if wanted.state is not None:
        query = query.where(Incident.state == wanted.state)
    if wanted.open_only:
        query = query.where(Incident.state != IncidentState.RESOLVED)
    if wanted.service_id is not None:
        query = query.where(Incident.service_id == wanted.service_id)
    if wanted.point_user_id is not None:
        query = query.where(Incident.point_user_id == wanted.point_user_id)
    if wanted.mine_user_id is not None:
        uid = wanted.mine_user_id
        pending = select(Handoff.incident_id).where(
            Handoff.to_user_id == uid, Handoff.state == HandoffState.PENDING
        )
        query = query.where(
            or_(
                Incident.point_user_id == uid,
                Incident.reporter_id == uid,
                Incident.id.in_(pending),
                and_(
                    Incident.state == IncidentState.TRIGGERED,
                    Incident.id.in_(paging.paged_incident_ids(uid)),
                ),
            )
        )
    newest_first = (Incident.opened_at.desc(), Incident.id.desc())
    page = query.order_by(*newest_first).limit(min(wanted.limit, 500)).offset(wanted.offset)
    return list(
        session.scalars(
            select(Incident)
            .options(selectinload(Incident.service), selectinload(Incident.point_user))
            .where(Incident.id.in_(page.scalar_subquery()))
            .order_by(*newest_first)
        )
    )


def count_open(session: Session) -> int:
    return session.scalar(select(func.count()).where(Incident.state != IncidentState.RESOLVED)) or 0


def _may_act(user: User) -> None:
    if not user.role.allows(Role.RESPONDER):
        raise PermissionDenied(f"{user.email} is a viewer and cannot change incidents")


def acknowledge(session: Session, *, incident: Incident, user: User, now: datetime) -> Incident:
    """Stop the escalation; the acknowledger becomes the point person."""
    _may_act(user)
    _require_open(incident)
    if incident.state is IncidentState.ACKNOWLEDGED:
        return incident
    incident.state = IncidentState.ACKNOWLEDGED
    incident.acknowledged_at = now
    incident.point_user_id = user.id
    incident.next_escalation_at = None
    _touch(incident, now)
    paging.cancel_pages(session, incident=incident, now=now)
    # Its alerts have an owner now too: the alert pages and Home must not call them open.
    session.execute(
        update(Alert)
        .where(
            Alert.id.in_(
                select(IncidentAlert.alert_id).where(IncidentAlert.incident_id == incident.id)
            ),
            Alert.state == AlertState.OPEN,
        )
        .values(state=AlertState.ACKNOWLEDGED, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.ACKNOWLEDGED,
        text=f"{user.display_name} acknowledged and is the point person",
        at=now,
        actor_id=user.id,
    )
    session.flush()
    return incident


def add_note(session: Session, *, incident: Incident, user: User, text: str, now: datetime) -> None:
    _may_act(user)
    body = _text(text, "note")
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.NOTE,
        text=f"Note by {user.display_name}: {body}",
        at=now,
        actor_id=user.id,
        data={"note": body},
    )
    _touch(incident, now)
    session.flush()


def post_status_update(
    session: Session, *, incident: Incident, user: User, text: str, now: datetime
) -> int:
    """Tell the incident's subscribers how it is going; returns how many were told."""
    _may_act(user)
    body = _text(text, "update", limit=2000)
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.STATUS_UPDATE,
        text=f"Status update by {user.display_name}: {body}",
        at=now,
        actor_id=user.id,
        data={"update": body},
    )
    _touch(incident, now)
    told = loop.tell_subscribers(
        session,
        incident=incident,
        subject=f"Update on #{incident.id}: {incident.title}",
        body=body,
        key=f"update:{incident.id}:{now.timestamp()}",
        now=now,
    )
    session.flush()
    return told


def request_handoff(
    session: Session, *, incident: Incident, giver: User, receiver: User, note: str, now: datetime
) -> Handoff:
    """Ask `receiver` to take point. Nothing changes until they accept; the giver stays point."""
    _may_act(giver)
    _require_open(incident)
    if incident.point_user_id != giver.id:
        raise Conflict("only the point person can hand off; take point first", field="giver")
    if receiver.id == giver.id:
        raise InvalidInput("you are already the point person", field="to_user_id")
    if not receiver.role.allows(Role.RESPONDER) or not receiver.is_active:
        raise InvalidInput(
            f"{receiver.display_name} cannot take point (not an active responder)",
            field="to_user_id",
        )
    _cancel_pending_handoffs(session, incident, now)
    handoff = Handoff(
        incident_id=incident.id,
        from_user_id=giver.id,
        to_user_id=receiver.id,
        note=_text(note, "note", required=False, limit=2000),
        requested_at=now,
        next_reminder_at=now + HANDOFF_REMINDER,
    )
    session.add(handoff)
    session.flush()
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.HANDOFF_REQUESTED,
        text=f"{giver.display_name} asked {receiver.display_name} to take point"
        + (f": {handoff.note}" if handoff.note else ""),
        at=now,
        actor_id=giver.id,
        data={"handoff_id": handoff.id, "to_user_id": receiver.id},
    )
    _touch(incident, now)
    paging.page_user(
        session,
        incident=incident,
        user=receiver,
        reason=f"{giver.display_name} asks you to take point on #{incident.id}",
        key=f"handoff:{handoff.id}",
        now=now,
    )
    return handoff


def _pending_handoffs(session: Session, incident: Incident) -> list[Handoff]:
    return list(
        session.scalars(
            select(Handoff).where(
                Handoff.incident_id == incident.id, Handoff.state == HandoffState.PENDING
            )
        )
    )


def _cancel_pending_handoffs(session: Session, incident: Incident, now: datetime) -> None:
    # A new handoff, a takeover or the resolution makes any open request moot.
    for pending in _pending_handoffs(session, incident):
        pending.state = HandoffState.CANCELLED
        pending.decided_at = now
        pending.next_reminder_at = None


def get_handoff(session: Session, handoff_id: int) -> Handoff:
    handoff = session.get(Handoff, handoff_id)
    if handoff is None:
        raise NotFound(f"no handoff with id {handoff_id}")
    return handoff


def decide_handoff(
    session: Session, *, handoff: Handoff, user: User, accept: bool, now: datetime
) -> Handoff:
    if handoff.to_user_id != user.id:
        raise PermissionDenied("only the person asked can accept or decline this handoff")
    if handoff.state is not HandoffState.PENDING:
        raise Conflict(f"this handoff is already {handoff.state.value}", field="state")
    incident = handoff.incident
    _require_open(incident)
    handoff.decided_at = now
    handoff.next_reminder_at = None
    if not accept:
        handoff.state = HandoffState.DECLINED
        append(
            session,
            chain=incident.chain,
            kind=EntryKind.HANDOFF_DECLINED,
            text=f"{user.display_name} declined to take point; "
            f"{handoff.from_user.display_name} remains point",
            at=now,
            actor_id=user.id,
            data={"handoff_id": handoff.id},
        )
        loop.tell(
            session,
            incident=incident,
            user=handoff.from_user,
            subject=f"#{incident.id}: {user.display_name} declined the handoff",
            body=f"You are still the point person for #{incident.id} {incident.title}.",
            key=f"handoff-declined:{handoff.id}",
            now=now,
        )
        _touch(incident, now)
        session.flush()
        return handoff
    handoff.state = HandoffState.ACCEPTED
    previous = handoff.from_user
    _change_point(
        session,
        incident=incident,
        new=user,
        now=now,
        kind=EntryKind.HANDOFF_ACCEPTED,
        text=f"{user.display_name} accepted point from {previous.display_name}",
    )
    return handoff


def decide_handoff_by_id(
    session: Session, *, handoff_id: int, user: User, accept: bool, now: datetime
) -> Handoff:
    """Accept or decline the handoff with this id: what the API and the incident page do."""
    return decide_handoff(
        session, handoff=get_handoff(session, handoff_id), user=user, accept=accept, now=now
    )


def take_point(session: Session, *, incident: Incident, user: User, now: datetime) -> Incident:
    """Anyone may take over; it is recorded and the previous point person is told."""
    _may_act(user)
    _require_open(incident)
    if incident.point_user_id == user.id:
        return incident
    previous = incident.point_user
    if incident.state is IncidentState.TRIGGERED:
        acknowledge(session, incident=incident, user=user, now=now)
        return incident
    _cancel_pending_handoffs(session, incident, now)
    text = f"{user.display_name} took point" + (
        f" from {previous.display_name}" if previous else ""
    )
    _change_point(
        session, incident=incident, new=user, now=now, kind=EntryKind.TOOK_POINT, text=text
    )
    return incident


def _change_point(
    session: Session, *, incident: Incident, new: User, now: datetime, kind: EntryKind, text: str
) -> None:
    previous = incident.point_user
    incident.point_user_id = new.id
    session.flush()
    session.refresh(incident, ["point_user"])
    append(
        session,
        chain=incident.chain,
        kind=kind,
        text=text,
        at=now,
        actor_id=new.id,
        data={"from_user_id": previous.id if previous else None, "to_user_id": new.id},
    )
    _touch(incident, now)
    loop.close_the_loop(session, incident=incident, event=text, now=now, previous_point=previous)


def resolve(
    session: Session, *, incident: Incident, user: User | None, note: str, now: datetime
) -> Incident:
    """Resolve with a resolution note, and tell everyone who should know."""
    if user is not None:
        _may_act(user)
    _require_open(incident)
    note = _text(note, "resolution_note")
    incident.state = IncidentState.RESOLVED
    incident.resolved_at = now
    incident.resolution_note = note
    incident.next_escalation_at = None
    incident.next_nudge_at = None
    paging.cancel_pages(session, incident=incident, now=now)
    _cancel_pending_handoffs(session, incident, now)
    by = user.display_name if user else "the monitoring source"
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.RESOLVED,
        text=f"Resolved by {by}: {note}",
        at=now,
        actor_id=user.id if user else None,
        data={"note": note},
    )
    incident.last_activity_at = now
    loop.close_the_loop(
        session, incident=incident, event=f"Resolved by {by}: {note}", now=now, previous_point=None
    )
    session.flush()
    return incident


def reopen(
    session: Session, *, incident: Incident, user: User, reason: str, now: datetime
) -> Incident:
    _may_act(user)
    if incident.state is not IncidentState.RESOLVED:
        raise Conflict(f"incident #{incident.id} is not resolved", field="state")
    reason = _text(reason, "reason")
    incident.state = IncidentState.ACKNOWLEDGED
    incident.resolved_at = None
    incident.point_user_id = user.id
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.REOPENED,
        text=f"Reopened by {user.display_name}, who is point: {reason}",
        at=now,
        actor_id=user.id,
        data={"reason": reason},
    )
    _touch(incident, now)
    session.flush()
    return incident


def subscribe(
    session: Session,
    *,
    user: User,
    now: datetime,
    incident: Incident | None = None,
    service: Service | None = None,
    record: bool = True,
) -> Subscription:
    if (incident is None) == (service is None):
        raise InvalidInput("subscribe to either an incident or a service", field="incident_id")
    same_incident = (
        Subscription.incident_id == incident.id if incident else Subscription.incident_id.is_(None)
    )
    same_service = (
        Subscription.service_id == service.id if service else Subscription.service_id.is_(None)
    )
    existing = session.scalar(
        select(Subscription).where(Subscription.user_id == user.id, same_incident, same_service)
    )
    if existing is not None:
        return existing
    subscription = Subscription(
        user_id=user.id,
        incident_id=incident.id if incident else None,
        service_id=service.id if service else None,
        created_at=now,
    )
    session.add(subscription)
    session.flush()
    if record and incident is not None:
        append(
            session,
            chain=incident.chain,
            kind=EntryKind.SUBSCRIBED,
            text=f"{user.display_name} subscribed to updates",
            at=now,
            actor_id=user.id,
        )
    return subscription


def pending_handoff_for(session: Session, *, incident: Incident) -> Handoff | None:
    pending = _pending_handoffs(session, incident)
    return pending[0] if pending else None
