"""Every SLA warning and breach fires exactly once while 10,000 clocks run out over ten minutes
of a fast-forwarded clock: under two engines at once, and under a real `takepoint engine`
killed with SIGKILL again and again.

`test_sla_sigkill.py` squeezes the deadlines into 20 seconds of the real clock; here they keep
a real desk's spacing (the warning at three minutes of a four-minute target, the breach a
minute later) and the clock moves in steps, with jumps like those an engine that was down
sees when it comes back.
"""

from __future__ import annotations

import bisect
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role
from takepoint.accounts.service import create_team
from takepoint.desk.models import (
    Channel,
    Priority,
    Requester,
    Target,
    Ticket,
    TicketClock,
    TicketState,
    TicketType,
)
from takepoint.desk.sla import WARN_SHARE
from takepoint.engine.loop import Engine
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.notify.models import Notification
from takepoint.timeline.chain import verify_all
from takepoint.timeline.models import EntryKind, TimelineEntry, TimelineHead
from tests.factories import db_context, make_engine, make_user, registry_jobs
from tests.notify.receivers import SmtpReceiver

TICKETS = 10_000
SPREAD = timedelta(minutes=10)
TARGET = timedelta(minutes=4)
# Each breach follows its warning by the quarter of the target that is left.
AFTER_WARNING = TARGET * (1 - WARN_SHARE)
WARNING = {"target": Target.FIRST_RESPONSE.value, "breached": False}
BREACH = {"target": Target.FIRST_RESPONSE.value, "breached": True}
# The engine as a process, run under faketime.
_ENGINE = (sys.executable, "-m", "takepoint", "engine")


@dataclass(frozen=True)
class Desk:
    """The seeded clocks' deadlines, and who each ticket's warning and breach go to."""

    warn_at: dict[int, datetime]  # by ticket id
    due_at: dict[int, datetime]
    clock_ids: dict[int, int]
    assigned: frozenset[int]  # to the agent, in the team
    team_only: frozenset[int]  # in the team, nobody assigned: the lead hears
    agent_id: int
    lead_id: int

    @property
    def last_due(self) -> datetime:
        return max(self.due_at.values())


def _seed(db: Database, session: Session, clock: FakeClock, *, tickets: int) -> Desk:
    """Open tickets with a running first-response clock each, their warnings falling due
    evenly over SPREAD from a minute after now, written in bulk as the benchmark does."""
    lead = make_user(session, clock, role=Role.RESPONDER, name="Lee Lead")
    agent = make_user(session, clock, role=Role.RESPONDER, name="Sam Agent")
    team = create_team(session, name="Service desk", lead=lead, now=clock.now())
    now = clock.now()
    first = now + timedelta(minutes=1)
    with db.session() as s:
        requester = Requester(name="Ward 7 desk", created_at=now)
        s.add(requester)
        s.flush()
        s.execute(
            insert(Ticket),
            [
                {
                    "title": f"Label printer {n} offline",
                    "description": "",
                    "requester_id": requester.id,
                    "type": TicketType.REQUEST,
                    "priority": Priority.P3,
                    "state": TicketState.OPEN,
                    "channel": Channel.PHONE,
                    "team_id": team.id if n % 10 in (0, 1) else None,
                    "assignee_id": agent.id if n % 10 == 0 else None,
                    "created_at": now,
                    "updated_at": now,
                    "sla_reason": "rule 'P3': priority P3",
                }
                for n in range(tickets)
            ],
        )
        ids = list(s.scalars(select(Ticket.id).order_by(Ticket.id)))
        warn_at = {tid: first + SPREAD * n / tickets for n, tid in enumerate(ids)}
        s.execute(
            insert(TicketClock),
            [
                {
                    "ticket_id": tid,
                    "target": Target.FIRST_RESPONSE,
                    "target_seconds": int(TARGET.total_seconds()),
                    "used_seconds": 0.0,
                    "running_since": at - TARGET * WARN_SHARE,
                    "warn_at": at,
                    "due_at": at + AFTER_WARNING,
                }
                for tid, at in warn_at.items()
            ],
        )
        # The chains exist already, as they would once each ticket was opened.
        s.execute(
            insert(TimelineHead),
            [{"chain": f"ticket:{tid}", "seq": 0, "entry_hash": "0" * 64} for tid in ids],
        )
        clock_ids = {
            tid: cid for tid, cid in s.execute(select(TicketClock.ticket_id, TicketClock.id))
        }
    return Desk(
        warn_at=warn_at,
        due_at={tid: at + AFTER_WARNING for tid, at in warn_at.items()},
        clock_ids=clock_ids,
        assigned=frozenset(tid for n, tid in enumerate(ids) if n % 10 == 0),
        team_only=frozenset(tid for n, tid in enumerate(ids) if n % 10 == 1),
        agent_id=agent.id,
        lead_id=lead.id,
    )


def _steps(rng: random.Random, start: datetime, end: datetime) -> list[datetime]:
    """Moments from start past end: mostly a few seconds apart, sometimes a jump of minutes
    (thousands of deadlines at once, more than one claim's batch)."""
    moments = []
    at = start
    while at <= end:
        jump = rng.random() < 0.08
        at += timedelta(seconds=rng.uniform(60, 150) if jump else rng.uniform(0.5, 20))
        moments.append(at)
    return moments


def _left_due(session: Session, now: datetime) -> int:
    """Warnings and breaches whose moment has come and that no engine has taken."""
    warnings = select(func.count()).where(TicketClock.warn_at <= now)
    breaches = select(func.count()).where(
        TicketClock.breached_at.is_(None), TicketClock.due_at <= now
    )
    return (session.scalar(warnings) or 0) + (session.scalar(breaches) or 0)


def _check_fired_once(
    session: Session,
    desk: Desk,
    moments: Sequence[datetime],
    *,
    slack: timedelta = timedelta(0),
) -> None:
    """One warning and then one breach per clock, each in the ticket's chain at the first moment
    the engines ran at or after its deadline (to within `slack`, for an engine whose clock
    faketime sets), and each told to the right people once."""

    def first_run(deadline: datetime) -> datetime:
        return moments[bisect.bisect_left(moments, deadline)]

    def on_time(at: datetime, deadline: datetime) -> bool:
        if not slack:
            return at == first_run(deadline)
        return deadline - slack <= at <= first_run(deadline + slack) + slack

    fired: dict[int, list[tuple[datetime, dict[str, object]]]] = {}
    for chain, at, data in session.execute(
        select(TimelineEntry.chain, TimelineEntry.at, TimelineEntry.data)
        .where(TimelineEntry.kind == EntryKind.SLA)
        .order_by(TimelineEntry.chain, TimelineEntry.seq)
    ):
        fired.setdefault(int(chain.removeprefix("ticket:")), []).append((at, data))

    def is_right(tid: int) -> bool:
        got = fired.get(tid, [])
        return (
            [data for _, data in got] == [WARNING, BREACH]
            and on_time(got[0][0], desk.warn_at[tid])
            and on_time(got[1][0], desk.due_at[tid])
        )

    wrong = [(tid, fired.get(tid)) for tid in desk.warn_at if not is_right(tid)]
    assert len(fired) == len(desk.warn_at)
    assert (len(wrong), wrong[:3]) == (0, [])

    clocks = session.execute(
        select(TicketClock.ticket_id, TicketClock.warn_at, TicketClock.breached_at)
    )
    late = [
        (tid, warn, breached)
        for tid, warn, breached in clocks
        if warn is not None or breached is None or not on_time(breached, desk.due_at[tid])
    ]
    assert (len(late), late[:3]) == (0, [])

    # A notification's key ends with the moment it was sent: without it, each key is one
    # person told of one warning or breach of one clock, and none may repeat.
    keys = session.scalars(
        select(Notification.group_key).distinct().where(Notification.group_key.like("sla-%"))
    )
    told = Counter(key.rsplit(":", 1)[0] for key in keys)
    expected = Counter(
        [f"sla-warn:{desk.clock_ids[t]}:{desk.agent_id}" for t in desk.assigned]
        + [
            f"sla-breach:{desk.clock_ids[t]}:{p}"
            for t in desk.assigned
            for p in (desk.agent_id, desk.lead_id)
        ]
        + [
            f"sla-{kind}:{desk.clock_ids[t]}:{desk.lead_id}"
            for t in desk.team_only
            for kind in ("warn", "breach")
        ]
    )
    assert told == expected

    chains, breaks = verify_all(session)
    assert (chains, breaks) == (len(desk.warn_at), [])


def _drain(engines: Sequence[Engine]) -> None:
    """All engines at once, each running cycles until it finds nothing left to take."""

    def run(engine: Engine) -> None:
        while engine.run_cycle()["desk_sla"]:
            pass

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_it_fires_each_warning_and_breach_once_on_two_engines(
    db: Database, session: Session, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    _on_two_engines(db, session, clock, caplog, tickets=1_000)


# The full 10,000 on SQLite, the default; PostgreSQL's row locks meet the same claims above.
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_it_fires_each_warning_and_breach_once_on_two_engines_over_ten_minutes(
    db: Database, session: Session, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    _on_two_engines(db, session, clock, caplog, tickets=TICKETS)


def _on_two_engines(
    db: Database,
    session: Session,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    *,
    tickets: int,
) -> None:
    desk = _seed(db, session, clock, tickets=tickets)
    # A second engine with a database of its own, as another process has: on SQLite the two
    # meet at the file's write lock, on PostgreSQL at row locks.
    other = Database(db.url)
    jobs = registry_jobs(db_context(db), "desk_sla")
    engines = [
        make_engine(db, jobs=jobs, worker_id="engine-a"),
        make_engine(other, db_context(db), jobs=jobs, worker_id="engine-b"),
    ]
    moments = _steps(random.Random(tickets), clock.now(), desk.last_due + timedelta(minutes=1))
    try:
        for moment in moments:
            clock.set(moment)
            _drain(engines)
            assert _left_due(session, moment) == 0, moment
    finally:
        other.dispose()
    assert [r.getMessage() for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")] == []
    _check_fired_once(session, desk, moments)


# --- a real engine on a fast-forwarded clock, killed with SIGKILL ------------------------------


def _faketime() -> str:
    found = shutil.which("faketime")
    if found is None:
        pytest.fail(
            "Debian's faketime is missing; this test moves a real engine's clock with it "
            "(apt-get install faketime: scripts/test installs what the suite needs)"
        )
    return found


class FastForwardedEngine:
    """`takepoint engine` under faketime, its clock standing at the modification time of
    `clock_file` (whole seconds) until the test moves it, as GoAlert's smoke tests move theirs.
    The monotonic clock stays real, so the loop's tick and waits run as usual."""

    def __init__(self, *, clock_file: Path, env: dict[str, str], log: Path) -> None:
        self._log = log.open("ab")
        self.wrapper = subprocess.Popen(
            [_faketime(), "-m", "--exclude-monotonic", "-f", "%", *_ENGINE],
            env={
                **os.environ,
                **env,
                "FAKETIME_FOLLOW_FILE": str(clock_file),
                "FAKETIME_NO_CACHE": "1",
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        # faketime waits for the engine as its child: the engine is the process to kill.
        self.pid = self._child()

    def _child(self) -> int:
        children = Path(f"/proc/{self.wrapper.pid}/task/{self.wrapper.pid}/children")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if found := children.read_text().split():
                return int(found[0])
            assert self.wrapper.poll() is None, "faketime ended before starting the engine"
            time.sleep(0.005)
        raise AssertionError("faketime did not start the engine within 10 s")

    def kill(self) -> None:
        """SIGKILL to the engine: no cleanup, no flush, as when the power cord is pulled."""
        os.kill(self.pid, signal.SIGKILL)
        self.wrapper.wait(15)
        self._log.close()

    def stop(self) -> int:
        os.kill(self.pid, signal.SIGINT)
        try:
            return self.wrapper.wait(30)
        finally:
            self._log.close()


def _move_clock(clock_file: Path, moment: datetime) -> None:
    os.utime(clock_file, (moment.timestamp(), moment.timestamp()))


# faketime's clock stands a few microseconds short of the file's second, so a deadline on the
# second itself falls due at the next step: the test counts what is due up to just before it.
FAKETIME_SHORT = timedelta(milliseconds=1)


def _fired(session: Session) -> int:
    return session.scalar(select(func.count()).where(TimelineEntry.kind == EntryKind.SLA)) or 0


# SQLite, the embedded default, where the engine's lanes take turns at one write lock: the
# kills of `test_sla_sigkill.py` run on both databases on the real clock.
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_it_fires_each_warning_and_breach_once_through_sigkills_on_a_fast_forwarded_clock(
    db: Database, session: Session, clock: FakeClock, tmp_path: Path, smtp_server: SmtpReceiver
) -> None:
    # Not a speed target (that is benchmarks/desk_sla.py): only a bound, so a hang fails.
    deadline = time.monotonic() + 300
    desk = _seed(db, session, clock, tickets=TICKETS)
    rng = random.Random(20261203)
    # Whole seconds: faketime takes the file's time to the second. Most steps are short; a
    # few jump by a minute and a half (thousands of deadlines at once, several batches), and
    # in those the engine is killed while it works through them.
    moments: list[datetime] = []
    kill_steps: set[int] = set()
    at = clock.now()
    while at <= desk.last_due + timedelta(seconds=30):
        jump = len(moments) % 8 == 5
        at += timedelta(seconds=90 if jump else rng.randint(5, 20))
        if jump and at > min(desk.warn_at.values()):
            kill_steps.add(len(moments))
        moments.append(at)
    clock_file = tmp_path / "clock"
    clock_file.touch()
    _move_clock(clock_file, clock.now())
    env = {
        "TAKEPOINT_DATABASE_URL": db.url,
        "TAKEPOINT_DATA_DIR": str(tmp_path / "data"),
        "TAKEPOINT_ENGINE_TICK_SECONDS": "0.1",
        # The warnings and breaches go out as mail, as they would on a real desk.
        "TAKEPOINT_SMTP_HOST": smtp_server.host,
        "TAKEPOINT_SMTP_PORT": str(smtp_server.port),
        "TZ": "UTC",
    }
    logs: list[Path] = []

    def start() -> FastForwardedEngine:
        logs.append(tmp_path / f"engine{len(logs)}.log")
        return FastForwardedEngine(clock_file=clock_file, env=env, log=logs[-1])

    engine = start()
    killed_busy = 0
    try:
        for step, moment in enumerate(moments):
            _move_clock(clock_file, moment)
            if step in kill_steps:
                # Once the engine has committed a batch of this step, kill it a moment later,
                # in the middle of the next.
                before = _fired(session)
                while _fired(session) == before:
                    assert time.monotonic() < deadline, engine.wrapper.pid
                    time.sleep(0.005)
                time.sleep(rng.uniform(0.0, 0.15))
                busy = _left_due(session, moment - FAKETIME_SHORT) > 0
                engine.kill()
                killed_busy += busy
                engine = start()
            while _left_due(session, moment - FAKETIME_SHORT):
                assert time.monotonic() < deadline, (moment, logs[-1].read_text())
                time.sleep(0.02)
    finally:
        code = engine.stop()
    assert code == 0, logs[-1].read_text()
    # The kills came while deadlines of the step were still waiting, not between steps.
    assert (killed_busy, len(kill_steps)) == (len(kill_steps), 4), "kills"
    assert [log.name for log in logs if "Traceback" in log.read_text()] == []
    _check_fired_once(session, desk, moments, slack=timedelta(seconds=1))
