"""The service desk's operations: requesters, tickets, replies and notes, assignment, states.

Every change is a fact in the ticket's own chain (`ticket:<id>`). Public replies and internal
notes are separate rows (`Message.public`); nothing a requester can reach reads a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, Team, User
from takepoint.catalog.models import Department, Service
from takepoint.desk import matrix, sla
from takepoint.desk.models import (
    Category,
    Channel,
    FollowUp,
    Level,
    Message,
    Priority,
    Requester,
    Target,
    Ticket,
    TicketState,
    TicketTag,
    TicketType,
)
from takepoint.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from takepoint.lib.numbers import is_digits
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

# A requester who writes within this long after a resolution reopens the ticket.
REOPEN_WINDOW = timedelta(days=7)
MAX_TITLE = 300
MAX_BODY = 20_000
MAX_TAG = 50
MAX_TAGS = 20
_TAG = re.compile(r"[\w.-]+")


# --- requesters -------------------------------------------------------------------------------


def create_requester(
    session: Session,
    *,
    name: str,
    now: datetime,
    email: str | None = None,
    phone: str = "",
    department_id: int | None = None,
    organisation: str = "",
    time_zone: str = "UTC",
    vip: bool = False,
    notes: str = "",
) -> Requester:
    name = name.strip()
    if not name:
        raise InvalidInput("a requester needs a name", field="name")
    email = (email or "").strip().lower() or None
    if email is not None:
        if "@" not in email:
            raise InvalidInput(f"{email!r} is not an email address", field="email")
        if session.scalar(select(Requester.id).where(Requester.email == email)):
            raise Conflict(f"a requester with the email {email} exists already", field="email")
    if department_id is not None and session.get(Department, department_id) is None:
        raise InvalidInput(f"there is no department with id {department_id}", field="department_id")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{time_zone!r} is not an IANA time zone", field="time_zone") from None
    requester = Requester(
        name=name,
        email=email,
        phone=phone.strip(),
        department_id=department_id,
        organisation=organisation.strip(),
        time_zone=time_zone,
        vip=vip,
        notes=notes,
        created_at=now,
    )
    session.add(requester)
    session.flush()
    return requester


def get_requester(session: Session, requester_id: int) -> Requester:
    requester = session.get(Requester, requester_id)
    if requester is None:
        raise NotFound(f"there is no requester with id {requester_id}")
    return requester


def find_requesters(session: Session, *, query: str, limit: int = 10) -> list[Requester]:
    """By name, email or phone, as an agent types them on a call (digits match any spacing)."""
    text = query.strip()
    if not text:
        return []
    digits = "".join(ch for ch in text if is_digits(ch))
    phone = func.replace(func.replace(Requester.phone, " ", ""), "-", "")
    wanted: list[ColumnElement[bool]] = [
        Requester.name.ilike(f"%{text}%"),
        Requester.email.ilike(f"%{text}%"),
    ]
    if len(digits) >= 3:
        wanted.append(phone.contains(digits))
    found = session.scalars(select(Requester).where(or_(*wanted)).order_by(Requester.name))
    return list(found.unique())[:limit]


# --- categories -------------------------------------------------------------------------------


def create_category(session: Session, *, name: str, team_id: int | None = None) -> Category:
    name = name.strip()
    if not name:
        raise InvalidInput("a category needs a name", field="name")
    if session.scalar(select(Category.id).where(Category.name == name)):
        raise Conflict(f"the category {name!r} exists already", field="name")
    if team_id is not None and session.get(Team, team_id) is None:
        raise InvalidInput(f"there is no team with id {team_id}", field="team_id")
    category = Category(name=name, team_id=team_id)
    session.add(category)
    session.flush()
    return category


def list_categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.name)).unique())


# --- tickets ----------------------------------------------------------------------------------


def _check_text(value: str, *, field: str, limit: int, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"the {field} is empty", field=field)
    if len(value) > limit:
        raise InvalidInput(f"the {field} is longer than {limit} characters", field=field)
    return value


def open_ticket(
    session: Session,
    *,
    requester_id: int,
    title: str,
    channel: Channel,
    now: datetime,
    user: User | None = None,
    description: str = "",
    type: TicketType = TicketType.REQUEST,
    priority: Priority | None = None,
    impact: Level | None = None,
    urgency: Level | None = None,
    category_id: int | None = None,
    service_id: int | None = None,
    follows_id: int | None = None,
    tags: Iterable[str] = (),
) -> Ticket:
    """Open a ticket for a requester: it gets the category's team, its SLA rule and clocks.
    Without a priority, impact and urgency give it by the matrix (P3 when either is unknown).
    `follows_id` names the older ticket this one follows up; both chains record the link."""
    requester = session.get(Requester, requester_id)
    if requester is None:
        raise InvalidInput(f"there is no requester with id {requester_id}", field="requester_id")
    category = None
    if category_id is not None:
        category = session.get(Category, category_id)
        if category is None:
            raise InvalidInput(f"there is no category with id {category_id}", field="category_id")
    if service_id is not None and session.get(Service, service_id) is None:
        raise InvalidInput(f"there is no service with id {service_id}", field="service_id")
    if priority is None:
        priority = Priority.P3
        if impact is not None and urgency is not None:
            priority = matrix.priority_for(session, impact, urgency)
    follows = session.get(Ticket, follows_id) if follows_id is not None else None
    if follows_id is not None and follows is None:
        raise InvalidInput(f"there is no ticket #{follows_id} to follow up", field="follows_id")
    ticket = Ticket(
        title=_check_text(title, field="title", limit=MAX_TITLE),
        description=_check_text(description, field="description", limit=MAX_BODY, required=False),
        requester=requester,
        department_id=requester.department_id,
        service_id=service_id,
        category=category,
        type=type,
        priority=priority,
        impact=impact,
        urgency=urgency,
        team_id=category.team_id if category is not None else None,
        state=TicketState.NEW,
        channel=channel,
        created_by_id=user.id if user is not None else None,
        created_at=now,
        updated_at=now,
    )
    ticket.tag_rows = [TicketTag(tag=tag) for tag in clean_tags(tags)]
    session.add(ticket)
    session.flush()
    sla.start_clocks(session, ticket, now=now)
    session.flush()
    by = f" by {user.display_name}" if user is not None else ""
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.OPENED,
        text=f"Ticket opened from {channel.value}{by} for {requester.name}: {ticket.title}",
        at=now,
        actor_id=user.id if user is not None else None,
        data={"priority": priority.value, "sla": ticket.sla_reason, "tags": ticket.tags},
    )
    if follows is not None:
        _record_follow_up(session, ticket, follows, now=now)
    return ticket


def _record_follow_up(session: Session, ticket: Ticket, follows: Ticket, *, now: datetime) -> None:
    session.add(FollowUp(ticket_id=ticket.id, follows_id=follows.id))
    session.flush()
    for chain, text, other in (
        (ticket.chain, f"Follows up ticket #{follows.id}", follows.id),
        (follows.chain, f"Followed up by ticket #{ticket.id}", ticket.id),
    ):
        append(
            session,
            chain=chain,
            kind=EntryKind.LINKED,
            text=text,
            at=now,
            data={"ticket_id": other, "follow_up": True},
        )


def follow_ups(session: Session, ticket: Ticket) -> tuple[int | None, list[int]]:
    """The ticket this one follows up, if any, and those that follow it up."""
    follows = session.scalar(select(FollowUp.follows_id).where(FollowUp.ticket_id == ticket.id))
    later = session.scalars(
        select(FollowUp.ticket_id)
        .where(FollowUp.follows_id == ticket.id)
        .order_by(FollowUp.ticket_id)
    )
    return follows, list(later)


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored: lower case, words joined by hyphens, each once, sorted."""
    cleaned: set[str] = set()
    for tag in tags:
        tag = "-".join(tag.strip().lower().lstrip("#").split())
        if not tag:
            continue
        if len(tag) > MAX_TAG or not _TAG.fullmatch(tag):
            raise InvalidInput(
                f"{tag[:60]!r} is not a tag: up to {MAX_TAG} letters, digits, '-', '_' or '.'",
                field="tags",
            )
        cleaned.add(tag)
    if len(cleaned) > MAX_TAGS:
        raise InvalidInput(f"a ticket has at most {MAX_TAGS} tags", field="tags")
    return sorted(cleaned)


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"there is no ticket #{ticket_id}")
    return ticket


def require_agent(user: User) -> None:
    if not user.role.allows(Role.RESPONDER):
        raise PermissionDenied(f"{user.email} is a viewer and cannot change tickets")


def require_open(ticket: Ticket, what: str) -> None:
    if ticket.state is TicketState.CLOSED:
        raise Conflict(f"ticket #{ticket.id} is closed; {what} goes on a new ticket")


def _message(
    session: Session,
    ticket: Ticket,
    *,
    body: str,
    public: bool,
    now: datetime,
    user: User | None = None,
    requester: Requester | None = None,
    channel: Channel | None = None,
) -> Message:
    message = Message(
        ticket_id=ticket.id,
        public=public,
        body=_check_text(body, field="body", limit=MAX_BODY),
        channel=channel,
        author_user_id=user.id if user is not None else None,
        author_requester_id=requester.id if requester is not None else None,
        at=now,
    )
    session.add(message)
    ticket.updated_at = now
    session.flush()
    return message


def reply(
    session: Session,
    *,
    ticket_id: int,
    body: str,
    user: User,
    now: datetime,
    channel: Channel | None = Channel.WEB,
) -> Message:
    """A public reply from IT: the requester sees it, and it answers the response targets."""
    require_agent(user)
    ticket = get_ticket(session, ticket_id)
    require_open(ticket, "a reply")
    message = _message(session, ticket, body=body, public=True, now=now, user=user, channel=channel)
    met = sla.meet(ticket, (Target.FIRST_RESPONSE, Target.NEXT_RESPONSE), now=now)
    if ticket.state is TicketState.NEW:
        ticket.state = TicketState.OPEN
    if ticket.assignee_id is None:
        ticket.assignee_id = user.id
    answered = f" (answers the {' and '.join(t.label for t in met)} target)" if met else ""
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.MESSAGE,
        text=f"{user.display_name} replied to the requester{answered}",
        at=now,
        actor_id=user.id,
        data={"message_id": message.id, "public": True},
    )
    return message


def add_note(
    session: Session,
    *,
    ticket_id: int,
    body: str,
    user: User,
    now: datetime,
    channel: Channel | None = Channel.WEB,
) -> Message:
    """An internal note: never shown to the requester, and it answers no target."""
    require_agent(user)
    ticket = get_ticket(session, ticket_id)
    message = _message(
        session, ticket, body=body, public=False, now=now, user=user, channel=channel
    )
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.NOTE,
        text=f"{user.display_name} added an internal note",
        at=now,
        actor_id=user.id,
        data={"message_id": message.id, "public": False},
    )
    return message


def requester_reply(
    session: Session,
    *,
    ticket_id: int,
    requester_id: int,
    body: str,
    now: datetime,
    channel: Channel = Channel.WEB,
) -> Ticket:
    """The requester writes. Waiting on them ends; a resolved ticket reopens within the window;
    after it, or once closed, the message opens a follow-up ticket. Returns the ticket that got
    the message."""
    ticket = get_ticket(session, ticket_id)
    requester = get_requester(session, requester_id)
    if ticket.requester_id != requester.id:
        raise PermissionDenied("only the ticket's requester can reply to it")
    late = ticket.resolved_at is not None and now - ticket.resolved_at > REOPEN_WINDOW
    if ticket.state is TicketState.CLOSED or (ticket.state is TicketState.RESOLVED and late):
        follow_up = open_ticket(
            session,
            requester_id=requester.id,
            title=f"Follow-up to #{ticket.id}: {ticket.title}"[:MAX_TITLE],
            description=body,
            channel=channel,
            now=now,
            type=ticket.type,
            priority=ticket.priority,
            category_id=ticket.category_id,
            service_id=ticket.service_id,
            follows_id=ticket.id,
        )
        _message(
            session,
            follow_up,
            body=body,
            public=True,
            now=now,
            requester=requester,
            channel=channel,
        )
        return follow_up
    message = _message(
        session, ticket, body=body, public=True, now=now, requester=requester, channel=channel
    )
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.MESSAGE,
        text=f"{requester.name} wrote",
        at=now,
        data={"message_id": message.id, "public": True, "from": "requester"},
    )
    if ticket.state is TicketState.RESOLVED:
        _change_state(session, ticket, TicketState.OPEN, now=now, why="the requester replied")
    elif ticket.state is TicketState.WAITING_ON_REQUESTER:
        _change_state(session, ticket, TicketState.OPEN, now=now, why="the requester answered")
    sla.restart_next_response(session, ticket, now=now)
    return ticket


def assign(
    session: Session,
    *,
    ticket_id: int,
    user: User,
    now: datetime,
    assignee_id: int | None,
    team_id: int | None = None,
) -> Ticket:
    require_agent(user)
    ticket = get_ticket(session, ticket_id)
    require_open(ticket, "an assignment")
    assignee = session.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (assignee is None or not assignee.is_active):
        raise InvalidInput(f"there is no active user with id {assignee_id}", field="assignee_id")
    if team_id is not None:
        if session.get(Team, team_id) is None:
            raise InvalidInput(f"there is no team with id {team_id}", field="team_id")
        ticket.team_id = team_id
    ticket.assignee = assignee
    ticket.updated_at = now
    who = assignee.display_name if assignee is not None else "nobody"
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.ASSIGNED,
        text=f"{user.display_name} assigned the ticket to {who}",
        at=now,
        actor_id=user.id,
        data={"assignee_id": assignee_id, "team_id": ticket.team_id},
    )
    return ticket


def set_state(
    session: Session, *, ticket_id: int, state: TicketState, user: User, now: datetime
) -> Ticket:
    """Waiting states stop the clocks and open ones start them again; resolving meets the
    resolution target."""
    require_agent(user)
    ticket = get_ticket(session, ticket_id)
    if ticket.state is TicketState.CLOSED:
        raise Conflict(f"ticket #{ticket.id} is closed and stays closed")
    if state is TicketState.NEW:
        raise InvalidInput("a ticket cannot go back to new", field="state")
    if state is ticket.state:
        return ticket
    _change_state(session, ticket, state, now=now, user=user)
    return ticket


def _change_state(
    session: Session,
    ticket: Ticket,
    state: TicketState,
    *,
    now: datetime,
    user: User | None = None,
    why: str = "",
) -> None:
    before = ticket.state
    ticket.state = state
    ticket.updated_at = now
    if state.paused:
        sla.pause_all(ticket, now=now)
    elif state.finished:
        sla.meet(ticket, (Target.RESOLUTION,), now=now)
        sla.pause_all(ticket, now=now)
        ticket.resolved_at = ticket.resolved_at or now
    else:
        if before is TicketState.RESOLVED:
            ticket.resolved_at = None
            _reopen_resolution(ticket)
        sla.resume_all(session, ticket, now=now)
    by = f"{user.display_name}: " if user is not None else ""
    because = f" ({why})" if why else ""
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.STATE_CHANGED,
        text=f"{by}{before.label} → {state.label}{because}",
        at=now,
        actor_id=user.id if user is not None else None,
        data={"from": before.value, "to": state.value},
    )


def _reopen_resolution(ticket: Ticket) -> None:
    # A reopened ticket is not resolved after all: its resolution clock runs on from what it had
    # used, and is met again only by the next resolution.
    row = sla.clock_for(ticket, Target.RESOLUTION)
    if row is not None:
        row.met_at = None


def set_priority(
    session: Session, *, ticket_id: int, priority: Priority, user: User, now: datetime
) -> Ticket:
    """A new priority chooses the SLA rule again; each clock keeps the time it has used."""
    require_agent(user)
    ticket = get_ticket(session, ticket_id)
    require_open(ticket, "a priority change")
    if priority is ticket.priority:
        return ticket
    before = ticket.priority
    ticket.priority = priority
    ticket.updated_at = now
    sla.rematch(session, ticket, now=now)
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.STATE_CHANGED,
        text=f"{user.display_name}: priority {before.value.upper()} → {priority.value.upper()}; "
        f"SLA {ticket.sla_reason}",
        at=now,
        actor_id=user.id,
        data={"priority": priority.value},
    )
    return ticket


def messages(session: Session, *, ticket: Ticket, public_only: bool) -> list[Message]:
    """The conversation, oldest first. `public_only` for anything a requester can see."""
    query = select(Message).where(Message.ticket_id == ticket.id)
    if public_only:
        query = query.where(Message.public.is_(True))
    return list(session.scalars(query.order_by(Message.at, Message.id)).unique())
