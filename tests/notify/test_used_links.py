"""The marks of used action links: one per link however it is spelled, kept while it can be read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.engine.models import TaskKind
from takepoint.engine.tasks import HANDLERS
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.link_models import UsedActionLink
from takepoint.notify.links import (
    KEEP_USED,
    AccountStamp,
    LinkAction,
    LinkUsed,
    find_use,
    forget_used,
    make_token,
    read_token,
    record_use,
)

KEY = "test-secret-key-test-secret-key"
STAMP = AccountStamp(role="role-digest", password="password-digest")


def _token(clock: FakeClock) -> str:
    return make_token(
        secret_key=KEY,
        incident_id=3,
        user_id=5,
        action=LinkAction.RESOLVE,
        stamp=STAMP,
        now=clock.now(),
    )


def _marks(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(UsedActionLink)) or 0


def test_it_marks_a_link_once(db: Database, clock: FakeClock) -> None:
    claim = read_token(secret_key=KEY, token=_token(clock), now=clock.now())
    with db.session() as s:
        record_use(s, claim=claim, now=clock.now())
    with db.session() as s, pytest.raises(LinkUsed) as caught:
        record_use(s, claim=claim, now=clock.now())
    assert caught.value.status_code == 409
    with db.session(read_only=True) as s:
        use = find_use(s, claim=claim)
        assert use is not None and use.used_at == clock.now()


def test_it_forgets_a_mark_only_once_its_link_cannot_be_read(
    db: Database, session: Session, clock: FakeClock
) -> None:
    token = _token(clock)
    with db.session() as s:
        record_use(
            s, claim=read_token(secret_key=KEY, token=token, now=clock.now()), now=clock.now()
        )

    # The last moment the link can still be read, on a web server whose clock runs behind.
    last_read = clock.now() + timedelta(hours=24)
    read_token(secret_key=KEY, token=token, now=last_read)
    with db.session() as s:
        assert forget_used(s, now=last_read) == 0
        assert forget_used(s, now=clock.now() + KEEP_USED) == 0
    assert _marks(session) == 1
    with db.session() as s:
        assert forget_used(s, now=clock.now() + KEEP_USED + timedelta(seconds=1)) == 1
    assert _marks(session) == 0


def test_the_engine_housekeeping_forgets_old_marks(
    db: Database, session: Session, clock: FakeClock
) -> None:
    with db.session() as s:
        record_use(
            s,
            claim=read_token(secret_key=KEY, token=_token(clock), now=clock.now()),
            now=clock.now(),
        )
    with db.session() as s:
        HANDLERS[TaskKind.HOUSEKEEPING](s, {}, clock.now() + KEEP_USED + timedelta(minutes=1))
    assert _marks(session) == 0
