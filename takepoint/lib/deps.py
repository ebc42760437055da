"""Request-scoped dependencies shared by every domain's routes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from takepoint.lib.context import bind
from takepoint.lib.csrf import SAFE_METHODS
from takepoint.lib.db import MAX_ID, Database
from takepoint.lib.registry import Lane
from takepoint.lib.settings import Settings


def _db_session(request: Request) -> Iterator[Session]:
    # One unit of work per request, committed before the response leaves (scope="function"),
    # so a 2xx always means the data is on disk.
    database: Database = request.app.state.db
    session = database.new_session(read_only=request.method in SAFE_METHODS)
    bind(session, request.app.state.context)
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


_WAKE_LANES = "takepoint.wake_lanes"


def wake_engine(session: Session, lane: Lane) -> None:
    """Ask an engine lane to run as soon as this unit of work commits, not at its next tick.
    New alerts and incidents are the paging lane's; messages due now are the delivery lane's."""
    lanes: set[Lane] = session.info.setdefault(_WAKE_LANES, set())
    lanes.add(lane)


def lanes_to_wake(session: Session) -> frozenset[Lane]:
    return frozenset(session.info.get(_WAKE_LANES, ()))


# A row's id in a URL: a number past what the column holds is a 422 naming the parameter.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

# A row named by its slug, host name or id, in a URL, a query or a body. All of these are ASCII,
# so a key that is not names no row and is refused here: lookups tell an id from a slug with
# is_digits(str), which also holds for digits int() cannot read, such as "¹".
KEY_PATTERN = r"^[A-Za-z0-9._-]+$"
PathKey = Annotated[str, Path(max_length=255, pattern=KEY_PATTERN, description="slug or id")]
QueryKey = Annotated[
    str | None, Query(max_length=255, pattern=KEY_PATTERN, description="slug or id")
]
