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
        if session.info.get("trigger_engine"):
            request.app.state.trigger_engine()
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


def wake_engine(session: Session) -> None:
    """Ask the engine to run as soon as this unit of work commits, not at its next tick."""
    session.info["trigger_engine"] = True
