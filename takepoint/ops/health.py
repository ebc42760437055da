from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from takepoint.engine.models import EngineHeartbeat


@dataclass(frozen=True)
class EngineHealth:
    healthy: bool
    last_cycle_at: datetime | None
    age_seconds: float | None
    workers: int
    message: str


def check_database(session: Session) -> str | None:
    """None when the database answers, else what went wrong."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"database unreachable: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
    return None


def check_engine(session: Session, *, now: datetime, stale_after: timedelta) -> EngineHealth:
    rows = list(
        session.scalars(select(EngineHeartbeat).order_by(EngineHeartbeat.last_cycle_at.desc()))
    )
    if not rows:
        return EngineHealth(False, None, None, 0, "no engine has ever run against this database")
    newest = rows[0].last_cycle_at
    # A heartbeat written while this request was under way is younger than the request's now.
    age = max((now - newest).total_seconds(), 0.0)
    live = sum(1 for r in rows if now - r.last_cycle_at <= stale_after)
    if age > stale_after.total_seconds():
        return EngineHealth(
            False, newest, age, live, f"the engine last cycled {int(age)}s ago; is it running?"
        )
    return EngineHealth(True, newest, age, live, "ok")
