"""Requesters beyond creating them: staff users who ask IT for help, and merging two records
that turn out to be one person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, User
from takepoint.desk.models import PortalLink, Requester, Ticket, chain_of
from takepoint.desk.service import create_requester, get_requester
from takepoint.lib.db import Base
from takepoint.lib.errors import InvalidInput, NotFound, PermissionDenied
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind


def find_staff(session: Session, *, query: str, limit: int = 5) -> list[User]:
    """Active staff users by name or email, for an agent who takes a colleague's call."""
    text = query.strip()
    if not text:
        return []
    found = session.scalars(
        select(User)
        .where(
            User.is_active.is_(True),
            or_(User.display_name.ilike(f"%{text}%"), User.email.ilike(f"%{text}%")),
        )
        .order_by(User.display_name)
        .limit(limit)
    )
    return list(found)


def requester_for_user(session: Session, *, user_id: int, now: datetime) -> Requester:
    """The requester record of a staff user: theirs, or one with their email (then linked to
    them), or a new one made from their account."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise InvalidInput(f"there is no active user with id {user_id}", field="user_id")
    found = session.scalar(select(Requester).where(Requester.user_id == user.id))
    if found is not None:
        return found
    email = user.email.lower()
    found = session.scalar(select(Requester).where(func.lower(Requester.email) == email))
    if found is not None:
        found.user_id = user.id
        session.flush()
        return found
    requester = create_requester(session, name=user.display_name, email=email, now=now)
    requester.user_id = user.id
    session.flush()
    return requester


def tickets_of(session: Session, *, requester_id: int, limit: int = 200) -> list[Ticket]:
    query = select(Ticket).where(Ticket.requester_id == requester_id)
    return list(session.scalars(query.order_by(Ticket.id.desc()).limit(limit)).unique())


def _references() -> list[tuple[Table, str]]:
    """Every column, in every domain's tables, that names a requester."""
    found: list[tuple[Table, str]] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == Requester.__tablename__ for fk in column.foreign_keys):
                found.append((table, column.name))
    return found


def merge_requesters(
    session: Session, *, keep_id: int, merge_id: int, user: User, now: datetime
) -> Requester:
    """Fold `merge_id` into `keep_id`: its tickets, messages and files move over, the details
    the kept record lacks are taken from it, every moved ticket's chain says so, and the merged
    record is gone. Its unused sign-in links go with it."""
    if not user.role.allows(Role.RESPONDER):
        raise PermissionDenied(f"{user.email} is a viewer and cannot merge requesters")
    if keep_id == merge_id:
        raise InvalidInput("a requester cannot be merged into itself", field="merge_id")
    keep = get_requester(session, keep_id)
    try:
        merged = get_requester(session, merge_id)
    except NotFound:
        raise InvalidInput(f"there is no requester with id {merge_id}", field="merge_id") from None
    moved = list(session.scalars(select(Ticket.id).where(Ticket.requester_id == merged.id)))
    session.execute(delete(PortalLink).where(PortalLink.requester_id == merged.id))
    for table, column in _references():
        if table.name == PortalLink.__tablename__:
            continue
        session.execute(
            update(table)
            .where(table.c[column] == merged.id)
            .values({column: keep.id})
            .execution_options(synchronize_session=False)
        )
    email, user_id = merged.email, merged.user_id
    details = {
        "phone": merged.phone,
        "department_id": merged.department_id,
        "organisation": merged.organisation,
    }
    notes = merged.notes.strip()
    vip = merged.vip
    name = merged.name
    session.delete(merged)
    session.flush()
    keep.email = keep.email or email
    keep.user_id = keep.user_id or user_id
    for field, value in details.items():
        if not getattr(keep, field) and value:
            setattr(keep, field, value)
    if notes and notes not in keep.notes:
        keep.notes = f"{keep.notes}\n{notes}".strip()
    keep.vip = keep.vip or vip
    session.flush()
    session.expire_all()
    for ticket_id in moved:
        append(
            session,
            chain=chain_of(ticket_id),
            kind=EntryKind.MERGED,
            text=f"{user.display_name} merged the requester {name} into {keep.name}",
            at=now,
            actor_id=user.id,
            data={"kept_requester_id": keep.id, "merged_requester_id": merge_id},
        )
    return get_requester(session, keep.id)
