"""Request-scoped dependencies shared by every domain's routes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from takepoint.lib.csrf import SAFE_METHODS
from takepoint.lib.db import Database
from takepoint.settings import Settings


def _db_session(request: Request) -> Iterator[Session]:
    # One unit of work per request, committed before the response leaves (scope="function"),
    # so a 2xx always means the data is on disk.
    database: Database = request.app.state.db
    session = database.new_session(read_only=request.method in SAFE_METHODS)
    session.info.update(request.app.state.session_info)
    try:
        yield session
        session.commit()
        if lanes := lanes_to_wake(session):
            request.app.state.trigger_engine(lanes)
    except BaseException:
        # Detach first: a rollback expires every loaded object, and the error page still
        # needs the signed-in user's name and time zone.
        session.expunge_all()
        session.rollback()
        raise
    finally:
        session.close()


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock.now()
    return now


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(_db_session, scope="function")]
Now = Annotated[datetime, Depends(_now)]
AppSettings = Annotated[Settings, Depends(_settings)]


# The engine's lanes, as work asks for them: new alerts and incidents are the paging lane's,
# messages due now are the delivery lane's.
PAGING = "paging"
DELIVERY = "delivery"


def wake_engine(session: Session, lane: str) -> None:
    """Ask an engine lane to run as soon as this unit of work commits, not at its next tick."""
    session.info.setdefault("wake_lanes", set()).add(lane)


def lanes_to_wake(session: Session) -> frozenset[str]:
    return frozenset(session.info.get("wake_lanes", ()))
