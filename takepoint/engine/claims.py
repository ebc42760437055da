"""Claiming due rows with one conditional UPDATE, so two engines never take the same row.

The UPDATE re-checks the claim condition on the row it writes; on PostgreSQL a concurrent
claimer that loses the race re-evaluates the WHERE after the winner commits and skips the row.
`FOR UPDATE SKIP LOCKED` only saves the loser from waiting. On SQLite the write lock taken at
BEGIN IMMEDIATE makes claims strictly one after another.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session


def claim_due(
    session: Session,
    *,
    table: Any,
    due_column: InstrumentedAttribute[Any],
    ready: ColumnElement[bool],
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    extra_values: dict[str, Any] | None = None,
) -> list[int]:
    """Lease up to `limit` rows that are `ready` and due, and return their ids."""
    id_column = table.id
    claimable = and_(
        ready, due_column <= now, or_(table.lease_until.is_(None), table.lease_until < now)
    )
    candidates = select(id_column).where(claimable).order_by(due_column).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # The candidates are read first: as a subquery inside the UPDATE, PostgreSQL may run it
    # once per row and so ignore the LIMIT.
    picked = list(session.scalars(candidates))
    if not picked:
        return []
    values = {"claimed_by": worker, "lease_until": now + lease, **(extra_values or {})}
    result = session.execute(
        update(table)
        .where(id_column.in_(picked), claimable)
        .values(**values)
        .returning(id_column)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


def earliest(session: Session, *deadlines: Select[Any]) -> datetime | None:
    """The earliest of several `min(...)` deadlines, read in one statement."""
    row = session.execute(select(*(query.scalar_subquery() for query in deadlines))).one()
    return min((value for value in row if value is not None), default=None)
