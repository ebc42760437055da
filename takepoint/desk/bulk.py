"""Changing many tickets at once from a queue: all of them or none.

Every ticket is checked before any is changed, so a closed or unknown ticket in the selection
refuses the whole change, naming it, and nothing is half done. Each ticket's chain records its
own change, as if it had been made on its page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.desk.models import Ticket, TicketState
from takepoint.desk.service import assign, require_agent, set_state
from takepoint.lib.errors import Conflict, InvalidInput

MAX_TICKETS = 200


def _selected(session: Session, ticket_ids: Sequence[int]) -> list[Ticket]:
    wanted = sorted(set(ticket_ids))
    if not wanted:
        raise InvalidInput("choose at least one ticket", field="ticket_ids")
    if len(wanted) > MAX_TICKETS:
        raise InvalidInput(f"at most {MAX_TICKETS} tickets at once", field="ticket_ids")
    found = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(wanted))).unique()}
    missing = [f"#{i}" for i in wanted if i not in found]
    if missing:
        raise InvalidInput(f"there is no ticket {', '.join(missing)}", field="ticket_ids")
    closed = [f"#{t.id}" for t in found.values() if t.state is TicketState.CLOSED]
    if closed:
        raise Conflict(f"{', '.join(closed)} closed and stay closed; nothing was changed")
    return [found[i] for i in wanted]


def bulk_assign(
    session: Session,
    *,
    ticket_ids: Sequence[int],
    assignee_id: int | None,
    user: User,
    now: datetime,
) -> list[Ticket]:
    require_agent(user)
    tickets = _selected(session, ticket_ids)
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_active:
            raise InvalidInput(
                f"there is no active user with id {assignee_id}", field="assignee_id"
            )
    return [
        assign(session, ticket_id=t.id, user=user, now=now, assignee_id=assignee_id)
        for t in tickets
    ]


def bulk_state(
    session: Session,
    *,
    ticket_ids: Sequence[int],
    state: TicketState,
    user: User,
    now: datetime,
) -> list[Ticket]:
    require_agent(user)
    if state is TicketState.NEW:
        raise InvalidInput("a ticket cannot go back to new", field="state")
    tickets = _selected(session, ticket_ids)
    return [set_state(session, ticket_id=t.id, state=state, user=user, now=now) for t in tickets]
