from __future__ import annotations

import threading
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.engine import shift_notices
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.models import Notification
from takepoint.oncall.models import NoticeKind, NoticeState, Schedule, ShiftNotice
from takepoint.wiring import build_registry
from tests.factories import login
from tests.oncall.conftest import Team, z


def recorded(session: Session) -> list[tuple[str, NoticeKind, object]]:
    session.expire_all()
    rows = session.scalars(select(ShiftNotice).order_by(ShiftNotice.id))
    return [(n.user.display_name, n.kind, n.occurs_at) for n in rows]


def test_it_runs_as_an_engine_job() -> None:
    assert "shift_notices" in [job.name for job in build_registry().jobs]


def test_it_records_a_notice_before_a_shift_starts_and_when_it_ends(
    db: Database, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    clock.set(z(2026, 3, 9, 8, 40))  # Priya starts at 09:00
    with db.session() as s:
        assert shift_notices.run_once(s, clock.now()) == 0
    clock.set(z(2026, 3, 9, 8, 45))
    with db.session() as s:
        assert shift_notices.run_once(s, clock.now()) == 1
    assert recorded(session) == [("Priya Raman", NoticeKind.STARTING, z(2026, 3, 9, 9))]
    clock.set(z(2026, 3, 9, 9))
    with db.session() as s:
        assert shift_notices.run_once(s, clock.now()) == 1
    notices = recorded(session)
    assert notices[-1] == ("Sam Okafor", NoticeKind.ENDED, z(2026, 3, 9, 9))
    row = session.scalars(select(ShiftNotice).where(ShiftNotice.kind == NoticeKind.STARTING)).one()
    assert row.state is NoticeState.SENT
    outbox = session.scalars(
        select(Notification).where(Notification.group_key == f"shift:{row.id}")
    )
    assert [n.subject for n in outbox] == [
        "Your on-call for Hospital IT on call starts Mon 09 Mar 09:00 GMT"
    ]
    assert row.shift_end is None  # a week away, beyond what the engine looked at


def test_it_records_each_notice_once_however_often_it_runs(
    db: Database, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    clock.set(z(2026, 3, 9, 8, 50))
    counts = []
    for _ in range(5):
        with db.session() as s:
            counts.append(shift_notices.run_once(s, clock.now()))
        clock.advance(timedelta(minutes=5))
    assert counts == [1, 0, 1, 0, 0]  # Priya starting, then Sam ended at 09:00
    assert len(recorded(session)) == 2


def test_it_never_duplicates_notices_when_two_engines_race(
    db: Database, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    clock.set(z(2026, 3, 9, 9, 5))
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[Exception] = []

    def engine() -> None:
        try:
            start.wait()
            with db.session() as s:
                counts.append(shift_notices.run_once(s, clock.now()))
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=engine) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(counts) == [0, 2]
    assert sorted(kind for _, kind, _ in recorded(session)) == [
        NoticeKind.ENDED,
        NoticeKind.STARTING,
    ]


def test_it_skips_notices_an_engine_missed_long_ago(
    db: Database, session: Session, clock: FakeClock, team: Team, weekly: Schedule
) -> None:
    clock.set(z(2026, 3, 9, 11))  # two hours after the 09:00 handoff
    with db.session() as s:
        assert shift_notices.run_once(s, clock.now()) == 0


def test_it_shows_recent_notices_to_their_person(
    client: TestClient,
    db: Database,
    session: Session,
    clock: FakeClock,
    team: Team,
    weekly: Schedule,
) -> None:
    clock.set(z(2026, 3, 9, 8, 50))
    with db.session() as s:
        shift_notices.run_once(s, clock.now())
    login(client, team.priya)
    page = client.get("/oncall/me")
    assert "Shift notices" in page.text
    assert "Hospital IT on call: on call" in page.text
    assert "from Mon 09 Mar 2026 09:00 GMT" in page.text
