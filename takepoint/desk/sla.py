"""A ticket's SLA: which rule applies and why, and its clocks kept in the rows the engine polls.

The arithmetic is `desk.clock` over a `desk.calendars.BusinessCalendar`; this module turns the
stored rows into those values and back. A clock's `due_at` and `warn_at` are written whenever
the clock changes, and emptied while it is paused, met or fired, so the engine's claim finds a
deadline only when one is really running.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.desk import clock as clocks
from takepoint.desk.calendars import ALWAYS, BusinessCalendar, Span
from takepoint.desk.models import CalendarRow, SlaRule, Target, Ticket, TicketClock
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

# When a warning goes to the assignee: at this share of a target used, unless the ticket's
# rule says otherwise (its `warn_percent`).
WARN_SHARE = 0.75


def calendar_of(row: CalendarRow | None) -> BusinessCalendar:
    """The working form of a stored calendar; None is calendar time (every hour counts)."""
    if row is None:
        return ALWAYS
    weekly = {
        int(day): tuple(Span(int(start), int(end)) for start, end in spans)
        for day, spans in row.weekly.items()
    }
    return BusinessCalendar(
        name=row.name,
        time_zone=row.time_zone,
        weekly=weekly,
        holidays=frozenset(date.fromisoformat(day) for day in row.holidays),
    )


def stored_weekly(calendar: BusinessCalendar) -> dict[str, list[list[int]]]:
    return {
        str(day): [[span.start, span.end] for span in spans]
        for day, spans in calendar.weekly.items()
        if spans
    }


def matching_rule(session: Session, ticket: Ticket) -> tuple[SlaRule | None, str]:
    """The first rule, by position, whose conditions all hold, and why it applies."""
    rules = session.scalars(select(SlaRule).order_by(SlaRule.position, SlaRule.id))
    for rule in rules:
        reasons = _reasons(rule, ticket)
        if reasons is not None:
            why = ", ".join(reasons) if reasons else "it matches every ticket"
            return rule, f"rule {rule.name!r}: {why}"
    return None, "no SLA rule matches, so no targets apply"


def _reasons(rule: SlaRule, ticket: Ticket) -> list[str] | None:
    """Why the rule holds for the ticket (one reason per condition), or None when it does not."""
    vip = ticket.requester.vip
    checks: list[tuple[object, object, str]] = [
        (rule.priority, ticket.priority, f"priority {ticket.priority.value.upper()}"),
        (rule.category_id, ticket.category_id, f"category {_name(ticket.category)}"),
        (rule.department_id, ticket.department_id, f"from {_name(ticket.department)}"),
        (rule.service_id, ticket.service_id, f"about {_name(ticket.service)}"),
        (rule.vip, vip, "a VIP" if vip else "not a VIP"),
    ]
    reasons: list[str] = []
    for wanted, actual, reason in checks:
        if wanted is None:
            continue
        if wanted != actual:
            return None
        reasons.append(reason)
    return reasons


def _name(thing: object) -> str:
    return str(getattr(thing, "name", "none"))


def _targets(rule: SlaRule | None) -> dict[Target, int]:
    if rule is None:
        return {}
    minutes = {
        Target.FIRST_RESPONSE: rule.first_response_minutes,
        Target.NEXT_RESPONSE: rule.next_response_minutes,
        Target.RESOLUTION: rule.resolution_minutes,
    }
    return {target: value * 60 for target, value in minutes.items() if value is not None}


def _calendar_for(rule: SlaRule | None, target: Target) -> CalendarRow | None:
    """The calendar a target counts on: the rule's, unless the rule times that target in
    calendar time (every hour counts)."""
    if rule is None:
        return None
    business = {
        Target.FIRST_RESPONSE: rule.first_response_business,
        Target.NEXT_RESPONSE: rule.next_response_business,
        Target.RESOLUTION: rule.resolution_business,
    }[target]
    return rule.calendar if business else None


def _share(ticket: Ticket) -> float:
    rule = ticket.sla_rule
    return rule.warn_percent / 100 if rule is not None else WARN_SHARE


def working(row: TicketClock) -> clocks.TargetClock:
    return clocks.TargetClock(
        calendar=calendar_of(row.calendar),
        target_seconds=row.target_seconds,
        used_seconds=row.used_seconds,
        running_since=row.running_since,
    )


def _store(row: TicketClock, clock: clocks.TargetClock, *, share: float) -> None:
    row.target_seconds = int(clock.target_seconds)
    row.used_seconds = clock.used_seconds
    row.running_since = clock.running_since
    live = row.met_at is None and clock.running_since is not None
    row.due_at = clocks.due_at(clock) if live else None
    row.warn_at = clocks.warn_at(clock, share=share) if live and not row.breached_at else None
    if row.warn_at is not None and row.due_at is not None and row.warn_at >= row.due_at:
        row.warn_at = None


def start_clocks(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """Choose the ticket's rule and start its first-response and resolution clocks (the
    next-response clock starts with each requester message after the first response)."""
    rule, reason = matching_rule(session, ticket)
    ticket.sla_rule, ticket.sla_reason = rule, reason
    for target, seconds in _targets(rule).items():
        if target is Target.NEXT_RESPONSE:
            continue
        _new_clock(ticket, rule, target, seconds, now)


def _new_clock(
    ticket: Ticket, rule: SlaRule | None, target: Target, seconds: int, now: datetime
) -> TicketClock:
    row = TicketClock(
        target=target,
        calendar=_calendar_for(rule, target),
        target_seconds=seconds,
        used_seconds=0.0,
    )
    ticket.clocks.append(row)
    start = clocks.start(calendar_of(row.calendar), target_seconds=seconds, at=now)
    _store(row, start, share=_share(ticket))
    return row


def clock_for(ticket: Ticket, target: Target) -> TicketClock | None:
    return next((row for row in ticket.clocks if row.target is target), None)


def meet(ticket: Ticket, targets: tuple[Target, ...], *, now: datetime) -> list[Target]:
    """Stop these clocks as met (a public reply, a resolution); returns those that were due."""
    met: list[Target] = []
    for row in ticket.clocks:
        if row.target in targets and row.met_at is None:
            clock = working(row)
            if not clock.paused:
                clock = clocks.pause(clock, at=now)
            row.met_at = now
            _store(row, clock, share=_share(ticket))
            met.append(row.target)
    return met


def pause_all(ticket: Ticket, *, now: datetime) -> None:
    for row in ticket.clocks:
        if row.met_at is None and row.running_since is not None:
            _store(row, clocks.pause(working(row), at=now), share=_share(ticket))


def resume_all(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """Start the paused clocks again. One whose budget ran out before the pause is breached
    already; the timeline says so now rather than the engine at once without a word."""
    for row in ticket.clocks:
        if row.met_at is None and row.running_since is None:
            clock = clocks.resume(working(row), at=now)
            _store(row, clock, share=_share(ticket))
            if clocks.breached(clock, now=now) and row.breached_at is None:
                _record_breach(session, ticket, row, now, why="it was used up before the pause")


def restart_next_response(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """A requester wrote: the next-response target runs again from now."""
    seconds = _targets(ticket.sla_rule).get(Target.NEXT_RESPONSE)
    if seconds is None:
        return
    row = clock_for(ticket, Target.NEXT_RESPONSE)
    if row is None:
        _new_clock(ticket, ticket.sla_rule, Target.NEXT_RESPONSE, seconds, now)
        return
    row.met_at = row.breached_at = None
    row.target_seconds, row.used_seconds = seconds, 0.0
    row.calendar = _calendar_for(ticket.sla_rule, Target.NEXT_RESPONSE)
    start = clocks.start(calendar_of(row.calendar), target_seconds=seconds, at=now)
    _store(row, start, share=_share(ticket))


def rematch(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """After a change of priority, category, service or requester: choose the rule again and
    give each clock its new target from the business time it has already used (a pause is never
    lost, a clock never restarts). A clock keeps the time it has used, and counts on from now on
    the new rule's calendar for its target. A change that puts a clock past its target says so."""
    rule, reason = matching_rule(session, ticket)
    ticket.sla_rule, ticket.sla_reason = rule, reason
    targets = _targets(rule)
    for row in ticket.clocks:
        seconds = targets.get(row.target)
        if seconds is None or row.met_at is not None:
            continue
        old = working(row)
        new = clocks.retarget(old, target_seconds=seconds, now=now)
        calendar = _calendar_for(rule, row.target)
        if (calendar.id if calendar is not None else None) != row.calendar_id:
            new = _moved_to(new, calendar, now=now)
            row.calendar = calendar
        _store(row, new, share=_share(ticket))
        if clocks.breached_by_change(old, new, now=now) and row.breached_at is None:
            _record_breach(session, ticket, row, now, why="the new target is already used up")
    for target, seconds in targets.items():
        if target is not Target.NEXT_RESPONSE and clock_for(ticket, target) is None:
            _new_clock(ticket, rule, target, seconds, now)


def _moved_to(
    clock: clocks.TargetClock, calendar: CalendarRow | None, *, now: datetime
) -> clocks.TargetClock:
    """The same clock counting on another calendar from now: what it used stays used."""
    counted = calendar_of(calendar)
    if clock.paused:
        return replace(clock, calendar=counted)
    return clocks.resume(replace(clocks.pause(clock, at=now), calendar=counted), at=now)


def _record_breach(
    session: Session, ticket: Ticket, row: TicketClock, now: datetime, *, why: str
) -> None:
    row.breached_at = now
    row.warn_at = None
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.SLA,
        text=f"The {row.target.label} target is breached: {why}",
        at=now,
        data={"target": row.target.value, "breached": True},
    )


@dataclass(frozen=True)
class ClockView:
    """A clock as a page shows it."""

    target: Target
    state: str
    due_at: datetime | None
    left_seconds: float
    met_at: datetime | None
    breached_at: datetime | None
    business: bool


def view(row: TicketClock, *, now: datetime) -> ClockView:
    clock = working(row)
    if row.met_at is not None:
        state = "met" if row.breached_at is None else "met late"
    elif clock.paused:
        state = "paused"
    elif row.breached_at is not None or clocks.breached(clock, now=now):
        state = "breached"
    else:
        state = "running"
    return ClockView(
        target=row.target,
        state=state,
        due_at=row.due_at,
        left_seconds=clocks.left(clock, now=now),
        met_at=row.met_at,
        breached_at=row.breached_at,
        business=row.calendar is not None,
    )


def explain(ticket: Ticket, *, now: datetime) -> list[str]:
    """What `takepoint sla explain` prints: the rule, the calendar, each clock."""
    lines = [f"Ticket #{ticket.id}: {ticket.sla_reason or 'no SLA rule chosen yet'}"]
    for row in ticket.clocks:
        calendar = row.calendar.name if row.calendar is not None else "calendar time (24x7)"
        shown = view(row, now=now)
        due = f"due {row.due_at:%Y-%m-%d %H:%M} UTC" if row.due_at else "no deadline running"
        lines.append(
            f"  {row.target.label}: target {row.target_seconds // 60} min on {calendar}; "
            f"{shown.state}; used {row.used_seconds / 60:.1f} min; {due}"
        )
    return lines
