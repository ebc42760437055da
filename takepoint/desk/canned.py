"""Canned replies: a team's (or everyone's) ready answers, with placeholders filled per ticket.

A placeholder is a name in braces, `{requester_first_name}`; the names are those of
`PLACEHOLDERS`, and a reply naming any other is refused when it is saved, so an agent never
sends a brace to a requester.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Team, User
from takepoint.desk.models import CannedReply, Ticket
from takepoint.lib.errors import Conflict, InvalidInput, NotFound

MAX_NAME = 100
MAX_BODY = 20_000
PLACEHOLDERS = {
    "requester_name": "the requester's full name",
    "requester_first_name": "the requester's first name",
    "ticket_number": "the ticket's number, #1234",
    "ticket_title": "the ticket's title",
    "agent_name": "the replying agent's name",
    "team_name": "the ticket's team",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def check_text(*, name: str, body: str) -> tuple[str, str]:
    """The trimmed name and text; raises InvalidInput naming the field, an unknown placeholder
    with the list of known ones."""
    name, body = name.strip(), body.strip()
    if not name:
        raise InvalidInput("a canned reply needs a name", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"the name is longer than {MAX_NAME} characters", field="name")
    if not body:
        raise InvalidInput("a canned reply needs a text", field="body")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the text is longer than {MAX_BODY} characters", field="body")
    unknown = sorted({m for m in _PLACEHOLDER.findall(body) if m not in PLACEHOLDERS})
    if unknown:
        known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
        raise InvalidInput(
            f"unknown placeholder {', '.join(f'{{{u}}}' for u in unknown)}; known: {known}",
            field="body",
        )
    return name, body


def _check(session: Session, *, name: str, body: str, team_id: int | None) -> tuple[str, str]:
    name, body = check_text(name=name, body=body)
    if team_id is not None and session.get(Team, team_id) is None:
        raise InvalidInput(f"there is no team with id {team_id}", field="team_id")
    return name, body


def _clash(session: Session, *, name: str, team_id: int | None, other_than: int | None) -> None:
    query = select(CannedReply.id).where(
        CannedReply.name == name,
        CannedReply.team_id.is_(None) if team_id is None else CannedReply.team_id == team_id,
    )
    if other_than is not None:
        query = query.where(CannedReply.id != other_than)
    if session.scalar(query) is not None:
        where = "for all teams" if team_id is None else "for that team"
        raise Conflict(f"a canned reply called {name!r} exists already {where}", field="name")


def create(session: Session, *, name: str, body: str, team_id: int | None = None) -> CannedReply:
    name, body = _check(session, name=name, body=body, team_id=team_id)
    _clash(session, name=name, team_id=team_id, other_than=None)
    reply = CannedReply(name=name, body=body, team_id=team_id)
    session.add(reply)
    session.flush()
    return reply


def get(session: Session, reply_id: int) -> CannedReply:
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        raise NotFound(f"there is no canned reply with id {reply_id}")
    return reply


def update(
    session: Session, *, reply_id: int, name: str, body: str, team_id: int | None
) -> CannedReply:
    reply = get(session, reply_id)
    name, body = _check(session, name=name, body=body, team_id=team_id)
    _clash(session, name=name, team_id=team_id, other_than=reply.id)
    reply.name, reply.body, reply.team_id = name, body, team_id
    session.flush()
    return reply


def delete(session: Session, *, reply_id: int) -> None:
    session.delete(get(session, reply_id))
    session.flush()


def listing(session: Session, *, team_ids: Collection[int] | None = None) -> list[CannedReply]:
    """All canned replies, or those for these teams and everyone's, by name."""
    query = select(CannedReply)
    if team_ids is not None:
        query = query.where(or_(CannedReply.team_id.is_(None), CannedReply.team_id.in_(team_ids)))
    return list(session.scalars(query.order_by(CannedReply.name, CannedReply.id)).unique())


def render(body: str, *, ticket: Ticket, agent: User) -> str:
    """The reply's text for this ticket, placeholders filled in."""
    name = ticket.requester.name
    values = {
        "requester_name": name,
        "requester_first_name": name.split()[0] if name.split() else name,
        "ticket_number": f"#{ticket.id}",
        "ticket_title": ticket.title,
        "agent_name": agent.display_name,
        "team_name": ticket.team.name if ticket.team is not None else "IT",
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)
