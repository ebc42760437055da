"""Deleting a row that others still refer to: a 409 that names them, never a foreign-key 500.

The database knows every reference (each table's foreign keys), so this asks it rather than
each domain listing the others: a service cannot be deleted while incidents were opened on it,
whichever domain's table says so. A reference the database would cascade or set to null does
not block, unless its table says it does: an escalation target that names a schedule would
vanish with the schedule and leave a policy level with nobody to page. Such a table sets
`info={"blocks_removal": describe}`, where `describe(session, column, row_id)` names what
refers to the row ("escalation policy Nights").
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Column, func, inspect, select
from sqlalchemy.orm import Session

from takepoint.lib.db import Base
from takepoint.lib.errors import Conflict

Describe = Callable[[Session, Column[int], int], list[str]]


def referrers(session: Session, row: Base) -> list[str]:
    """What still refers to `row` and would stop its deletion, for a person to read."""
    table = row.__table__
    identity = inspect(row).identity
    if identity is None or len(identity) != 1:
        return []
    row_id = identity[0]
    found: list[str] = []
    for other in Base.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is not table:
                continue
            describe: Describe | None = other.info.get("blocks_removal")
            column = key.parent
            if describe is not None:
                found.extend(describe(session, column, row_id))
                continue
            if key.ondelete in ("CASCADE", "SET NULL"):
                continue
            count = session.scalar(select(func.count()).where(column == row_id)) or 0
            if count:
                found.append(f"{other.name.replace('_', ' ')} ({count})")
    return found


def remove(session: Session, row: Base, *, what: str, field: str | None = None) -> None:
    """Delete `row`, or raise Conflict (409) naming what still refers to it."""
    blocking = referrers(session, row)
    if blocking:
        raise Conflict(
            f"{what} cannot be deleted while {', '.join(sorted(set(blocking)))} refer to it",
            field=field,
        )
    session.delete(row)
    session.flush()
