"""Each target of a rule counts on business hours or on calendar time, as the rule says, and
warns at the rule's own share; a change of rule moves a clock's counting, never what it used.

Hand-computed answers, Europe/Berlin in March 2026 (CET, UTC+1), hours Mon-Fri 09:00-17:00.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from takepoint.desk import rules
from takepoint.desk import service as desk
from takepoint.desk.models import (
    CalendarRow,
    Channel,
    Priority,
    SlaRule,
    Target,
    Ticket,
    TicketClock,
)
from takepoint.lib.clock import FakeClock
from tests.factories import make_user

WEEK = dict.fromkeys(range(5), "09:00-17:00")


def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _rule(session: Session, name: str, priority: Priority, **changes: object) -> SlaRule:
    calendar = session.query(CalendarRow).one_or_none() or rules.create_calendar(
        session, name="Berlin office", time_zone="Europe/Berlin", weekly=WEEK, holidays=()
    )
    rule = rules.create_rule(
        session,
        name=name,
        position=len(session.query(SlaRule).all()) + 1,
        priority=priority,
        calendar_id=calendar.id,
        first_response_minutes=60,
        resolution_minutes=10 * 60,
    )
    for field, value in changes.items():
        setattr(rule, field, value)
    session.flush()
    return rule


def _ticket(session: Session, priority: Priority, at: datetime) -> Ticket:
    requester = desk.create_requester(session, name="Mrs Patel", phone="0161 496 0000", now=at)
    return desk.open_ticket(
        session,
        requester_id=requester.id,
        title="Label printer offline",
        channel=Channel.PHONE,
        priority=priority,
        now=at,
    )


def _clock(ticket: Ticket, target: Target) -> TicketClock:
    return next(row for row in ticket.clocks if row.target is target)


def test_a_target_in_calendar_time_counts_the_weekend(session: Session) -> None:
    _rule(session, "P2", Priority.P2, resolution_business=False)
    # Friday 6 March, 16:30 in Berlin.
    ticket = _ticket(session, Priority.P2, _utc(6, 15, 30))
    # First response in business hours: Monday 09:30 Berlin.
    assert _clock(ticket, Target.FIRST_RESPONSE).due_at == _utc(9, 8, 30)
    # Resolution, ten hours of calendar time: Saturday 02:30 Berlin.
    resolution = _clock(ticket, Target.RESOLUTION)
    assert resolution.due_at == _utc(7, 1, 30)
    assert resolution.calendar is None


def test_it_warns_at_the_rules_share(session: Session) -> None:
    _rule(session, "P2", Priority.P2, warn_percent=50)
    _rule(session, "P3", Priority.P3)
    # Monday 9 March, 09:00 in Berlin; one hour to first response.
    half = _ticket(session, Priority.P2, _utc(9, 8))
    assert _clock(half, Target.FIRST_RESPONSE).warn_at == _utc(9, 8, 30)
    default = _ticket(session, Priority.P3, _utc(9, 8))
    assert _clock(default, Target.FIRST_RESPONSE).warn_at == _utc(9, 8, 45)


def test_a_new_rule_moves_the_counting_and_keeps_what_was_used(
    session: Session, clock: FakeClock
) -> None:
    _rule(session, "P2", Priority.P2, resolution_business=False, warn_percent=50)
    _rule(session, "P3", Priority.P3)
    agent = make_user(session, clock)
    # Monday 09:00 Berlin, P3: ten business hours to resolve, due Tuesday 11:00.
    ticket = _ticket(session, Priority.P3, _utc(9, 8))
    assert _clock(ticket, Target.RESOLUTION).due_at == _utc(10, 10)
    # At 13:00, four hours used, raised to P2: the six hours left run on calendar time, so
    # 19:00 the same evening (business hours would have said Tuesday 11:00).
    desk.set_priority(
        session, ticket_id=ticket.id, priority=Priority.P2, user=agent, now=_utc(9, 12)
    )
    resolution = _clock(ticket, Target.RESOLUTION)
    assert resolution.calendar is None
    assert resolution.due_at == _utc(9, 18)
    # Half of ten hours was used at 14:00.
    assert resolution.warn_at == _utc(9, 13)
    assert resolution.breached_at is None
