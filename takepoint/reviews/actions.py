"""Action items: what the review decided to change, with an owner, a due date and a state.

Deadlines are columns the engine polls (engine/action_items.py): `remind_at`, two days before
the due day ends, for a reminder to the owner; `escalate_at`, when the due day is over, for the
owner and their team lead, then every week while the item stays open. The due day ends at
midnight in the owner's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Role, Team, TeamMember, User
from takepoint.accounts.service import get_user
from takepoint.catalog.models import Service
from takepoint.incidents.models import Incident
from takepoint.lib.context import context_of
from takepoint.lib.errors import InvalidInput, NotFound, PermissionDenied
from takepoint.notify.models import Urgency
from takepoint.notify.service import notify_user
from takepoint.reviews.models import ActionItem, ActionState, Review
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

REMIND_BEFORE = timedelta(days=2)
ESCALATE_EVERY = timedelta(days=7)
MAX_TITLE = 300
FURTHEST_DUE = timedelta(days=5 * 366)


def due_at(due_on: date, owner: User) -> datetime:
    """When an item becomes overdue: the end of its due day where its owner is."""
    return datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=ZoneInfo(owner.time_zone))


def _schedule(item: ActionItem, owner: User, now: datetime) -> None:
    if item.state is not ActionState.OPEN:
        item.remind_at = None
        item.escalate_at = None
        return
    overdue_from = due_at(item.due_on, owner)
    remind = overdue_from - REMIND_BEFORE
    item.remind_at = remind if remind > now else None
    item.escalate_at = overdue_from


def _check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("the action item needs a title", field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"the title is over {MAX_TITLE} characters", field="title")
    return title


def _check_owner(owner: User) -> User:
    if not owner.is_active:
        raise InvalidInput(f"{owner.display_name} is no longer active", field="owner_id")
    return owner


def _check_due(due_on: date, now: datetime) -> date:
    if due_on > (now + FURTHEST_DUE).date():
        raise InvalidInput("the due date is more than five years away", field="due_on")
    return due_on


def _may_write(user: User) -> None:
    if not user.role.allows(Role.RESPONDER):
        raise PermissionDenied(f"{user.email} is a viewer and cannot change action items")


def _link(session: Session, path: str) -> str:
    return f"\n\n{context_of(session).base_url}{path}"


def create_action(
    session: Session,
    *,
    incident: Incident,
    title: str,
    owner: User,
    due_on: date,
    user: User,
    now: datetime,
    service: Service | None = None,
    review: Review | None = None,
) -> ActionItem:
    """Record an action item; its owner is told at once, reminded and chased later."""
    _may_write(user)
    item = ActionItem(
        incident_id=incident.id,
        review_id=review.id if review is not None else None,
        service_id=(service or incident.service).id,
        title=_check_title(title),
        owner_id=_check_owner(owner).id,
        due_on=_check_due(due_on, now),
        state=ActionState.OPEN,
        created_by_id=user.id,
        created_at=now,
    )
    _schedule(item, owner, now)
    session.add(item)
    session.flush()
    append(
        session,
        chain=incident.chain,
        kind=EntryKind.ACTION_ITEM,
        text=f"{user.display_name} added an action item for {owner.display_name}, due "
        f"{item.due_on:%a %d %b %Y}: {item.title}",
        at=now,
        actor_id=user.id,
        data={"action_item_id": item.id, "owner_id": owner.id, "due_on": item.due_on.isoformat()},
    )
    notify_user(
        session,
        user=owner,
        subject=f"Action item for you: {item.title}",
        body=f"From incident #{incident.id} {incident.title}.\n"
        f"Due {item.due_on:%a %d %b %Y}. Added by {user.display_name}."
        + _link(session, "/actions"),
        urgency=Urgency.LOW,
        key=f"action-assigned:{item.id}:{owner.id}",
        now=now,
    )
    return item


def get_action(session: Session, action_id: int) -> ActionItem:
    item = session.get(ActionItem, action_id)
    if item is None:
        raise NotFound(f"no action item #{action_id}")
    return item


def update_action(
    session: Session,
    *,
    action_id: int,
    user: User,
    now: datetime,
    state: ActionState | None = None,
    due_on: date | None = None,
    owner_id: int | None = None,
    title: str | None = None,
) -> ActionItem:
    item = get_action(session, action_id)
    owner = get_user(session, owner_id) if owner_id is not None else None
    _may_write(user)
    changes: list[str] = []
    if title is not None and _check_title(title) != item.title:
        item.title = _check_title(title)
        changes.append("renamed")
    if owner is not None and owner.id != item.owner_id:
        item.owner_id = _check_owner(owner).id
        changes.append(f"now owned by {owner.display_name}")
    if due_on is not None and due_on != item.due_on:
        item.due_on = _check_due(due_on, now)
        item.escalations = 0
        changes.append(f"now due {due_on:%a %d %b %Y}")
    if state is not None and state is not item.state:
        item.state = state
        item.closed_at = now if state is not ActionState.OPEN else None
        changes.append(
            {ActionState.DONE: "done", ActionState.CANCELLED: "cancelled"}.get(state, "reopened")
        )
    if not changes:
        return item
    session.flush()
    session.refresh(item, ["owner"])
    _schedule(item, item.owner, now)
    append(
        session,
        chain=item.incident.chain,
        kind=EntryKind.ACTION_ITEM,
        text=f"{user.display_name} updated the action item {item.title!r}: {', '.join(changes)}",
        at=now,
        actor_id=user.id,
        data={"action_item_id": item.id, "state": item.state.value},
    )
    session.flush()
    return item


@dataclass(frozen=True)
class ActionFilter:
    open_only: bool = True
    incident_id: int | None = None
    service_id: int | None = None
    owner_id: int | None = None


def list_actions(session: Session, wanted: ActionFilter) -> list[ActionItem]:
    query = select(ActionItem).options(
        selectinload(ActionItem.owner),
        selectinload(ActionItem.service),
        selectinload(ActionItem.incident),
    )
    if wanted.open_only:
        query = query.where(ActionItem.state == ActionState.OPEN)
    if wanted.incident_id is not None:
        query = query.where(ActionItem.incident_id == wanted.incident_id)
    if wanted.service_id is not None:
        query = query.where(ActionItem.service_id == wanted.service_id)
    if wanted.owner_id is not None:
        query = query.where(ActionItem.owner_id == wanted.owner_id)
    return list(session.scalars(query.order_by(ActionItem.due_on, ActionItem.id).limit(1000)))


def is_overdue(item: ActionItem, now: datetime) -> bool:
    return item.state is ActionState.OPEN and now >= due_at(item.due_on, item.owner)


def team_lead_of(session: Session, owner: User, service: Service | None) -> User | None:
    """Whom an overdue item escalates to: the lead of a team the owner is in, else the lead of
    the service's team; never the owner themselves."""
    teams = session.scalars(
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .options(selectinload(Team.lead))
        .where(TeamMember.user_id == owner.id)
        .order_by(Team.id)
    ).all()
    for team in teams:
        lead = team.lead
        if lead is not None and lead.id != owner.id and lead.is_active:
            return lead
    if service is not None and service.team is not None and service.team.lead is not None:
        lead = service.team.lead
        if lead.id != owner.id and lead.is_active:
            return lead
    return None


def open_counts(
    session: Session, service_ids: list[int], now: datetime
) -> dict[int, tuple[int, int]]:
    """Open and overdue action items per service, in one query."""
    rows = session.execute(
        select(
            ActionItem.service_id,
            func.count(),
            # Overdue: its due day is over (escalated already, or about to be).
            func.sum(
                case((or_(ActionItem.escalations > 0, ActionItem.escalate_at <= now), 1), else_=0)
            ),
        )
        .where(ActionItem.state == ActionState.OPEN, ActionItem.service_id.in_(service_ids))
        .group_by(ActionItem.service_id)
    )
    return {sid: (int(n), int(late or 0)) for sid, n, late in rows if sid is not None}
