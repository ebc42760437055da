"""Claiming due rows with one conditional UPDATE, so two engines never take the same row.

The UPDATE re-checks the claim condition on the row it writes; on PostgreSQL a concurrent
claimer that loses the race re-evaluates the WHERE after the winner commits and skips the row.
`FOR UPDATE SKIP LOCKED` only saves the loser from waiting. On SQLite the write lock taken at
BEGIN IMMEDIATE makes claims strictly one after another.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session


class Claim:
    """Leasing due rows of one table. The statements are built once, at import: the delivery
    lane claims at every wake-up, and building a statement costs more than running it."""

    def __init__(
        self,
        *,
        table: Any,
        due_column: InstrumentedAttribute[Any],
        ready: ColumnElement[bool],
        limit: int,
        extra_values: dict[str, Any] | None = None,
    ) -> None:
        now: BindParameter[Any] = bindparam("claim_now")
        claimable = and_(
            ready, due_column <= now, or_(table.lease_until.is_(None), table.lease_until < now)
        )
        self._candidates = select(table.id).where(claimable).order_by(due_column).limit(limit)
        self._locked_candidates = self._candidates.with_for_update(skip_locked=True)
        values = {
            "claimed_by": bindparam("claim_worker"),
            "lease_until": bindparam("claim_until"),
            **(extra_values or {}),
        }
        self._take = (
            update(table)
            .where(table.id.in_(bindparam("claim_ids", expanding=True)), claimable)
            .values(values)
            .returning(table.id)
            .execution_options(synchronize_session=False)
        )
        # SQLite runs the subquery once, LIMIT and all: one statement instead of two.
        self._take_next = (
            update(table)
            .where(table.id.in_(self._candidates.scalar_subquery()))
            .values(values)
            .returning(table.id)
            .execution_options(synchronize_session=False)
        )

    def __call__(
        self, session: Session, *, worker: str, now: datetime, lease: timedelta
    ) -> list[int]:
        """Lease up to `limit` rows that are ready and due, and return their ids."""
        values = {"claim_now": now, "claim_worker": worker, "claim_until": now + lease}
        if session.get_bind().dialect.name != "postgresql":
            return sorted(session.scalars(self._take_next, values))
        # On PostgreSQL the candidates are read first: as a subquery inside the UPDATE, it may
        # run once per row and so ignore the LIMIT.
        picked = list(session.scalars(self._locked_candidates, {"claim_now": now}))
        if not picked:
            return []
        return sorted(session.scalars(self._take, {**values, "claim_ids": picked}))


def deadlines(*queries: Select[Any]) -> Select[Any]:
    """Several `min(...)` deadlines as one statement, built once at import (building a
    statement costs more than running it, and the look-ahead runs every cycle)."""
    return select(*(query.scalar_subquery() for query in queries))


def earliest(session: Session, statement: Select[Any]) -> datetime | None:
    """The earliest of the deadlines that `deadlines()` combined."""
    row = session.execute(statement).one()
    return min((value for value in row if value is not None), default=None)
