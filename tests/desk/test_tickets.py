"""Tickets keep an honest clock: business hours, pauses and priority changes, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, User
from takepoint.desk import rules
from takepoint.desk import service as desk
from takepoint.desk.models import Channel, Priority, Target, Ticket, TicketState
from takepoint.lib.clock import FakeClock
from takepoint.lib.db import Database
from takepoint.lib.errors import Conflict, InvalidInput
from takepoint.notify.models import Notification
from takepoint.timeline.chain import entries, verify_all
from takepoint.timeline.models import EntryKind
from tests.factories import db_context, make_engine, make_user, registry_jobs

BERLIN_WEEK = dict.fromkeys(range(5), "09:00-17:00")


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def _berlin_rules(session: Session, *, holidays: tuple[date, ...] = ()) -> None:
    calendar = rules.create_calendar(
        session,
        name="Berlin office",
        time_zone="Europe/Berlin",
        weekly=BERLIN_WEEK,
        holidays=holidays,
    )
    rules.create_rule(
        session,
        name="P2",
        position=1,
        priority=Priority.P2,
        calendar_id=calendar.id,
        first_response_minutes=60,
        resolution_minutes=8 * 60,
    )
    rules.create_rule(
        session,
        name="P3",
        position=2,
        priority=Priority.P3,
        calendar_id=calendar.id,
        first_response_minutes=4 * 60,
        resolution_minutes=16 * 60,
    )


def _ticket(
    session: Session, *, priority: Priority, at: datetime, agent: User | None = None
) -> Ticket:
    requester = desk.create_requester(session, name="Mrs Patel", phone="0161 496 0000", now=at)
    return desk.open_ticket(
        session,
        requester_id=requester.id,
        title="Label printer offline",
        channel=Channel.PHONE,
        priority=priority,
        now=at,
        user=agent,
    )


def _due(ticket: Ticket, target: Target) -> datetime | None:
    row = next(row for row in ticket.clocks if row.target is target)
    return row.due_at


@pytest.mark.parametrize(
    ("holidays", "due"),
    [
        ((), _utc(2026, 3, 9, 8, 30)),  # Monday 09:30 in Berlin (CET)
        ((date(2026, 3, 9),), _utc(2026, 3, 10, 8, 30)),  # Monday a holiday: Tuesday 09:30
    ],
)
def test_it_gives_a_friday_afternoon_p2_until_monday_morning(
    session: Session, holidays: tuple[date, ...], due: datetime
) -> None:
    _berlin_rules(session, holidays=holidays)
    # Friday 6 March 2026, 16:30 in Berlin.
    ticket = _ticket(session, priority=Priority.P2, at=_utc(2026, 3, 6, 15, 30))
    assert _due(ticket, Target.FIRST_RESPONSE) == due
    assert ticket.sla_reason == "rule 'P2': priority P2"


def test_it_excludes_two_waiting_days_when_the_priority_is_raised(
    session: Session, clock: FakeClock
) -> None:
    _berlin_rules(session)
    agent = make_user(session, clock)
    monday_0900 = _utc(2026, 3, 9, 8, 0)
    ticket = _ticket(session, priority=Priority.P3, at=monday_0900, agent=agent)
    # One business hour used, then two business days waiting on the requester.
    desk.set_state(
        session,
        ticket_id=ticket.id,
        state=TicketState.WAITING_ON_REQUESTER,
        user=agent,
        now=monday_0900 + timedelta(hours=1),
    )
    assert _due(ticket, Target.RESOLUTION) is None
    thursday_0900 = _utc(2026, 3, 12, 8, 0)
    desk.set_state(
        session, ticket_id=ticket.id, state=TicketState.OPEN, user=agent, now=thursday_0900
    )
    desk.set_priority(
        session, ticket_id=ticket.id, priority=Priority.P2, user=agent, now=thursday_0900
    )
    # 8 h target, 1 h used before the pause: 7 business hours from Thursday 09:00 is 16:00.
    assert _due(ticket, Target.RESOLUTION) == _utc(2026, 3, 12, 15, 0)
    resolution = next(r for r in ticket.clocks if r.target is Target.RESOLUTION)
    assert resolution.breached_at is None
    assert ticket.sla_reason == "rule 'P2': priority P2"


def test_it_never_breaches_at_once_when_waiting_ends(session: Session, clock: FakeClock) -> None:
    _berlin_rules(session)
    agent = make_user(session, clock)
    start = _utc(2026, 3, 9, 8, 0)
    ticket = _ticket(session, priority=Priority.P2, at=start, agent=agent)
    desk.set_state(
        session,
        ticket_id=ticket.id,
        state=TicketState.WAITING_ON_REQUESTER,
        user=agent,
        now=start + timedelta(minutes=30),
    )
    # A week later the requester answers: the clock runs on with its 30 minutes left.
    back = start + timedelta(days=7)
    desk.requester_reply(
        session,
        ticket_id=ticket.id,
        requester_id=ticket.requester_id,
        body="It works now, mostly",
        now=back,
    )
    assert ticket.state is TicketState.OPEN
    assert _due(ticket, Target.FIRST_RESPONSE) == back + timedelta(minutes=30)
    assert all(row.breached_at is None for row in ticket.clocks)


def test_it_counts_only_a_public_reply_as_a_response(session: Session, clock: FakeClock) -> None:
    _berlin_rules(session)
    agent = make_user(session, clock)
    start = _utc(2026, 3, 9, 8, 0)
    ticket = _ticket(session, priority=Priority.P2, at=start)
    desk.add_note(
        session,
        ticket_id=ticket.id,
        body="Probably the USB cable",
        user=agent,
        now=start + timedelta(minutes=5),
    )
    first = next(r for r in ticket.clocks if r.target is Target.FIRST_RESPONSE)
    assert first.met_at is None
    desk.reply(
        session,
        ticket_id=ticket.id,
        body="On my way",
        user=agent,
        now=start + timedelta(minutes=10),
    )
    assert first.met_at == start + timedelta(minutes=10)
    assert first.due_at is None
    assert ticket.assignee_id == agent.id
    public = desk.messages(session, ticket=ticket, public_only=True)
    assert [m.body for m in public] == ["On my way"]


def test_it_reopens_within_a_week_and_follows_up_after(session: Session, clock: FakeClock) -> None:
    agent = make_user(session, clock)
    start = clock.now()
    ticket = _ticket(session, priority=Priority.P3, at=start, agent=agent)
    desk.set_state(session, ticket_id=ticket.id, state=TicketState.RESOLVED, user=agent, now=start)
    again = desk.requester_reply(
        session,
        ticket_id=ticket.id,
        requester_id=ticket.requester_id,
        body="It stopped again",
        now=start + timedelta(days=6),
    )
    assert again.id == ticket.id and ticket.state is TicketState.OPEN
    desk.set_state(
        session,
        ticket_id=ticket.id,
        state=TicketState.RESOLVED,
        user=agent,
        now=start + timedelta(days=6),
    )
    later = desk.requester_reply(
        session,
        ticket_id=ticket.id,
        requester_id=ticket.requester_id,
        body="And again",
        now=start + timedelta(days=14),
    )
    assert later.id != ticket.id
    assert later.title == f"Follow-up to #{ticket.id}: Label printer offline"


def test_it_names_the_problem_and_writes_nothing(session: Session, clock: FakeClock) -> None:
    agent = make_user(session, clock)
    with pytest.raises(InvalidInput) as missing:
        desk.open_ticket(session, requester_id=999, title="x", channel=Channel.WEB, now=clock.now())
    assert missing.value.field == "requester_id"
    requester = desk.create_requester(session, name="Ward 7 desk", now=clock.now())
    with pytest.raises(InvalidInput) as category:
        desk.open_ticket(
            session,
            requester_id=requester.id,
            title="x",
            channel=Channel.WEB,
            category_id=42,
            now=clock.now(),
        )
    assert category.value.field == "category_id"
    assert session.scalar(select(Ticket.id)) is None
    with pytest.raises(InvalidInput, match="overlap"):
        rules.create_calendar(
            session, name="bad", time_zone="Europe/London", weekly={0: "09:00-12:00, 11:00-17:00"}
        )
    rules.create_rule(session, name="everything", position=1, resolution_minutes=60)
    with pytest.raises(InvalidInput, match="could never match"):
        rules.create_rule(
            session, name="P1", position=2, priority=Priority.P1, resolution_minutes=30
        )
    ticket = desk.open_ticket(
        session, requester_id=requester.id, title="x", channel=Channel.WEB, now=clock.now()
    )
    desk.set_state(
        session, ticket_id=ticket.id, state=TicketState.CLOSED, user=agent, now=clock.now()
    )
    with pytest.raises(Conflict, match="closed"):
        desk.reply(session, ticket_id=ticket.id, body="hello?", user=agent, now=clock.now())


def test_it_warns_then_breaches_exactly_once_on_two_engines(
    db: Database, session: Session, clock: FakeClock
) -> None:
    rules.create_rule(session, name="fast", position=1, first_response_minutes=60)
    agent = make_user(session, clock, role=Role.RESPONDER, name="Sam Okafor")
    ticket = _ticket(session, priority=Priority.P3, at=clock.now())
    desk.assign(session, ticket_id=ticket.id, assignee_id=agent.id, user=agent, now=clock.now())
    jobs = registry_jobs(db_context(db), "desk_sla")
    engines = [make_engine(db, jobs=jobs, worker_id=name) for name in ("a", "b")]
    for _ in range(70):
        clock.advance(timedelta(minutes=1))
        for engine in engines:
            engine.run_cycle()
    sla = [e.text for e in entries(session, ticket.chain) if e.kind is EntryKind.SLA]
    assert sla == [
        f"The first response target of ticket #{ticket.id} is about to run out; told Sam Okafor",
        f"The first response target of ticket #{ticket.id} is breached; told Sam Okafor",
    ]
    subjects = list(session.scalars(select(Notification.subject).order_by(Notification.id)))
    assert [s for s in subjects if s.startswith("[SLA]")] == [
        f"[SLA] #{ticket.id} Label printer offline: first response about to run out",
        f"[SLA] #{ticket.id} Label printer offline: first response breached",
    ]
    assert verify_all(session)[1] == []
