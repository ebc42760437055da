"""An agent's queues: mine, my team's, unassigned, waiting, breaching soon, with search.

Each view names the states it shows as a list rather than "not closed": nearly every ticket of
a long-lived desk is closed, and a list lets PostgreSQL and SQLite read only the tickets still
in play from an index that leads with the state (or with the assignee or team, then the state).
Each page picks its ticket ids first; only those hundred tickets are then read whole.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select, union
from sqlalchemy.orm import Session, aliased, joinedload, lazyload, selectinload

from takepoint.accounts.models import User
from takepoint.desk.models import Requester, Target, Ticket, TicketClock, TicketState, TicketTag
from takepoint.desk.service import clean_tags
from takepoint.lib.db import MAX_ID
from takepoint.lib.errors import InvalidInput
from takepoint.lib.numbers import is_digits


class QueueView(enum.StrEnum):
    MINE = "mine"
    TEAM = "team"
    UNASSIGNED = "unassigned"
    WAITING = "waiting"
    BREACHING = "breaching"
    ALL = "all"


_WAITING = (TicketState.WAITING_ON_REQUESTER, TicketState.WAITING_ON_THIRD_PARTY)
# Tickets somebody still has to work on.
_IN_PLAY = (TicketState.NEW, TicketState.OPEN, *_WAITING)
_SHOWN = {
    QueueView.MINE: _IN_PLAY,
    QueueView.TEAM: _IN_PLAY,
    QueueView.UNASSIGNED: _IN_PLAY,
    QueueView.WAITING: _WAITING,
    QueueView.BREACHING: (*_IN_PLAY, TicketState.RESOLVED),
    QueueView.ALL: (*_IN_PLAY, TicketState.RESOLVED),
}

# What a queue shows of each ticket: the requester and assignee in the same statement, the
# clocks and tags in one more each; anything else loads when read. Joining every relation of a
# ticket (eleven tables) cost PostgreSQL ~18 ms of planning for ~2 ms of work.
_LOADED = (
    lazyload("*"),
    joinedload(Ticket.requester).lazyload(Requester.department),
    joinedload(Ticket.assignee),
    selectinload(Ticket.clocks),
    selectinload(Ticket.tag_rows),
)


def queue(
    session: Session,
    *,
    view: QueueView,
    user: User | None,
    now: datetime,
    search: str = "",
    tag: str = "",
    limit: int = 100,
) -> list[Ticket]:
    """An agent's queue (`user` is whose, for mine and team), newest first; breaching soon is
    sorted by the nearest running deadline instead. `search` matches the title or the
    requester's name anywhere, or the ticket's number. Each ticket comes with its requester,
    assignee, clocks and tags."""
    wanted = [Ticket.state.in_(_SHOWN[view]), *_whose(view, user)]
    wanted += _tagged(tag) + _matching(search, states=_SHOWN[view])
    if view is QueueView.BREACHING:
        return _breaching(session, wanted, limit=limit, filtered=bool(search.strip() or tag))
    return _run(session, _newest(wanted, limit=limit))


def _run(session: Session, query: Select[Ticket]) -> list[Ticket]:
    return list(session.scalars(query.options(*_LOADED)).unique())


# How many of the nearest running clocks the quick way reads, per ticket on the page.
_FIRST_CLOCKS = 4 * len(Target)


def _breaching(
    session: Session, wanted: list[ColumnElement[bool]], *, limit: int, filtered: bool
) -> list[Ticket]:
    """Breaching soon. Unless a search or tag narrows it, the quick way first: the nearest
    `_FIRST_CLOCKS * limit` running clocks straight from the deadline index, then their tickets'
    states checked. Any ticket left out has no clock among them, so its nearest deadline comes
    after every one kept: when the quick way finds `limit` tickets they are exactly the first.
    (PostgreSQL cannot know that running clocks belong to tickets in play, and given the
    states at once it reads every running clock.) Fewer, and the exact query decides."""
    if not filtered:
        first = _FIRST_CLOCKS * limit
        quick = _run(session, _nearest_deadlines(wanted, limit=limit, first=first))
        if len(quick) == limit:
            return quick
    return _run(session, _nearest_deadlines(wanted, limit=limit))


def _newest(wanted: list[ColumnElement[bool]], *, limit: int) -> Select[Ticket]:
    page = select(Ticket.id).where(*wanted).order_by(Ticket.id.desc()).limit(limit).subquery()
    return select(Ticket).join(page, page.c.id == Ticket.id).order_by(Ticket.id.desc())


def _nearest_deadlines(
    wanted: list[ColumnElement[bool]], *, limit: int, first: int | None = None
) -> Select[Ticket]:
    """The `limit` tickets meeting `wanted` whose nearest running deadline comes first.

    It reads running clocks in deadline order (from the index on due_at) instead of computing
    each ticket's nearest deadline in a subquery per ticket, so its cost follows the clocks
    running, not the tickets ever opened. A ticket has at most one clock per target, so among
    the first `len(Target) * limit` running clocks of tickets meeting `wanted`, in deadline
    order, each of the first `limit` tickets has its nearest deadline: every clock read before
    the last of those tickets first appears belongs to one of them, at most `len(Target)`
    apiece. Keeping each ticket's earliest clock of that prefix gives exactly those tickets,
    in order (ties by ticket id, as the clocks are read).

    With `first`, only the nearest `first` running clocks of any ticket are read (the index
    alone), and the filters apply to their tickets afterwards."""
    clocks = select(TicketClock.ticket_id, TicketClock.due_at).where(
        TicketClock.due_at.is_not(None)
    )
    if first is not None:
        nearest_clocks = (
            clocks.order_by(TicketClock.due_at, TicketClock.ticket_id).limit(first).subquery()
        )
        running = (
            select(nearest_clocks.c.ticket_id, nearest_clocks.c.due_at)
            .join(Ticket, Ticket.id == nearest_clocks.c.ticket_id)
            .where(*wanted)
            .subquery()
        )
    else:
        running = (
            clocks.join(Ticket, Ticket.id == TicketClock.ticket_id)
            .where(*wanted)
            .order_by(TicketClock.due_at, TicketClock.ticket_id)
            .limit(len(Target) * limit)
            .subquery()
        )
    due_at = func.min(running.c.due_at).label("due_at")
    nearest = (
        select(running.c.ticket_id, due_at)
        .group_by(running.c.ticket_id)
        .order_by(due_at, running.c.ticket_id)
        .limit(limit)
        .subquery()
    )
    return (
        select(Ticket)
        .join(nearest, nearest.c.ticket_id == Ticket.id)
        .order_by(nearest.c.due_at, Ticket.id)
    )


def _whose(view: QueueView, user: User | None) -> list[ColumnElement[bool]]:
    if view is QueueView.UNASSIGNED:
        return [Ticket.assignee_id.is_(None)]
    if view not in (QueueView.MINE, QueueView.TEAM):
        return []
    if user is None:
        raise InvalidInput(f"the {view.value} queue is somebody's: say whose", field="view")
    if view is QueueView.MINE:
        return [Ticket.assignee_id == user.id]
    return [Ticket.team_id.in_([membership.team_id for membership in user.memberships])]


def _tagged(tag: str) -> list[ColumnElement[bool]]:
    # Spelled as tags are stored; a filter that could never be a tag is refused, naming it.
    return [Ticket.tag_rows.any(TicketTag.tag == cleaned) for cleaned in clean_tags([tag])]


def _matching(search: str, *, states: tuple[TicketState, ...]) -> list[ColumnElement[bool]]:
    """The tickets whose title or requester's name holds the text, or whose number it is.

    One query per way of matching, joined by UNION rather than OR: each then has an index to
    read (the title's trigrams, the requesters' names then the tickets by requester and state,
    the id), where an OR across them leaves PostgreSQL reading tickets one by one."""
    text = search.strip().lstrip("#").strip()
    if not text:
        return []
    found = aliased(Ticket)
    in_play = found.state.in_(states)
    named = select(Requester.id).where(Requester.name.icontains(text, autoescape=True))
    ways = [
        select(found.id).where(in_play, found.title.icontains(text, autoescape=True)),
        select(found.id).where(in_play, found.requester_id.in_(named)),
    ]
    number = ticket_number(text)
    if number is not None:
        ways.append(select(found.id).where(in_play, found.id == number))
    return [Ticket.id.in_(union(*ways))]


def ticket_number(text: str) -> int | None:
    """The ticket a search names by number; None for anything no ticket could have (words,
    digits of other scripts, numbers past the largest id)."""
    if not (text.isascii() and is_digits(text)) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if number <= MAX_ID else None
