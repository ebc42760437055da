"""Claiming due rows with one conditional UPDATE, so two engines never take the same row.

Every engine job that takes work takes it through a `Claim`; it lives in lib so that a
domain's own job can claim its rows without importing the engine. The UPDATE re-checks the claim
condition on each row it writes: on PostgreSQL a concurrent claimer that loses the race
re-evaluates the WHERE after the winner commits and skips the row, and `FOR UPDATE SKIP LOCKED`
on the candidates only saves it from waiting. On SQLite the write lock taken at BEGIN IMMEDIATE
makes claims strictly one after another, so the batch is read and taken in one statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    or_,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.base import ExecutableOption

from takepoint.lib.db import Base, is_postgresql

RowT = TypeVar("RowT", bound=Base)

# The moment of the claim, for a claim's values to use ("reminded_at": NOW).
NOW: BindParameter[datetime] = bindparam("claim_now")


@dataclass(frozen=True)
class Lease:
    """A claim that expires: an engine killed mid-task loses its rows when `length` has passed,
    and another engine takes them."""

    worker: str
    length: timedelta


class Claim(Generic[RowT]):
    """Taking up to `limit` rows of one table that are `ready` and, with a `due` column, due.

    Taking a row writes `values` to it in the claiming UPDATE: most claims clear or move the
    deadline they were due by, which is what keeps a second claimer off the row. A leased claim
    (for tables with `claimed_by` and `lease_until`) writes the lease instead, and also takes
    rows whose lease ran out.

    The statements are built once, at import, with `bindparam()` for the values: jobs claim at
    every wake-up, mostly to find nothing, and building a statement costs more than running it.
    """

    def __init__(
        self,
        model: type[RowT],
        *,
        ready: ColumnElement[bool],
        values: Mapping[str, Any],
        limit: int,
        due: InstrumentedAttribute[Any] | None = None,
        leased: bool = False,
        options: Sequence[ExecutableOption] = (),
    ) -> None:
        table: Any = model
        self.leased = leased
        conditions = [ready]
        if due is not None:
            conditions.append(due <= NOW)
        if leased:
            conditions.append(or_(table.lease_until.is_(None), table.lease_until < NOW))
            values = {
                "claimed_by": bindparam("claim_worker"),
                "lease_until": bindparam("claim_until"),
                **values,
            }
        claimable = and_(*conditions)
        candidates = (
            select(table.id)
            .where(claimable)
            .order_by(due if due is not None else table.id)
            .limit(limit)
        )
        self._locked_candidates = candidates.with_for_update(skip_locked=True)
        picked: BindParameter[list[int]] = bindparam("claim_ids", expanding=True)
        self._take = (
            update(table).where(table.id.in_(picked), claimable).values(values).returning(table.id)
        )
        # SQLite runs the subquery once, LIMIT and all: one statement instead of two.
        self._take_next = (
            update(table)
            .where(table.id.in_(candidates.scalar_subquery()))
            .values(values)
            .returning(table.id)
        )
        # The rows as the claim left them, in one query, replacing whatever the session held.
        self._load: Select[RowT] = (
            select(model)
            .options(*options)
            .where(table.id.in_(picked))
            .order_by(table.id)
            .execution_options(populate_existing=True)
        )

    def ids(
        self,
        session: Session,
        *,
        now: datetime,
        lease: Lease | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[int]:
        """Take the rows; their ids, in ascending order. `params` are the values of the
        `bindparam()`s in the claim's `values`."""
        values = {**(params or {}), "claim_now": now}
        if self.leased:
            if lease is None:
                raise ValueError("a leased claim needs a lease")
            values.update(claim_worker=lease.worker, claim_until=now + lease.length)
        elif lease is not None:
            raise ValueError("this claim takes no lease")
        # Run on the session's connection: the session's ORM path for an UPDATE costs more
        # than SQLite takes to answer it, and the claim has no objects for it to keep in step.
        # What the session has pending is written first, as `session.execute` would.
        session.flush()
        connection = session.connection()
        if not is_postgresql(session):
            return sorted(connection.execute(self._take_next, values).scalars())
        # On PostgreSQL the candidates are read first: as a subquery inside the UPDATE, it may
        # run once per row and so ignore the LIMIT.
        picked = list(connection.execute(self._locked_candidates, values).scalars())
        if not picked:
            return []
        return sorted(connection.execute(self._take, {**values, "claim_ids": picked}).scalars())

    def rows(
        self,
        session: Session,
        *,
        now: datetime,
        lease: Lease | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> list[RowT]:
        """Take the rows and load them, as the claim left them, in one more query (id order)."""
        ids = self.ids(session, now=now, lease=lease, params=params)
        if not ids:
            return []
        return list(session.scalars(self._load, {"claim_ids": ids}))


def deadlines(*queries: Select[Any]) -> Select[Any]:
    """Several `min(...)` deadlines as one statement, built once at import (building a
    statement costs more than running it, and the look-ahead runs every cycle)."""
    return select(*(query.scalar_subquery() for query in queries))


def earliest(session: Session, statement: Select[Any]) -> datetime | None:
    """The earliest of the deadlines that `deadlines()` combined."""
    row = session.execute(statement).one()
    return min((value for value in row if value is not None), default=None)
