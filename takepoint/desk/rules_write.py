"""Changing the desk's categories, calendars and SLA rules once they exist.

Creating goes through `desk.service.create_category` and `desk.rules` (which check names,
spans and references). `update_*` are the plain setters configuration files use once the whole
file is checked; `edit_*` and `delete_*` are what admins do one thing at a time, each checked
on its own. A clock already running keeps the calendar and target it started with until its
ticket's rule is chosen again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Team
from takepoint.desk.calendars import BusinessCalendar, parse_spans
from takepoint.desk.models import CalendarRow, Category, SlaRule, Ticket, TicketClock, TicketState
from takepoint.desk.rules import RuleSpec, check_calendar_name, check_rule, get_calendar, get_rule
from takepoint.desk.sla import stored_weekly
from takepoint.lib.errors import Conflict, InvalidInput, NotFound


def checked_calendar(
    *, name: str, time_zone: str, weekly: Mapping[int, str], holidays: Iterable[date] = ()
) -> BusinessCalendar:
    """The working form of a calendar written as one text per weekday (0 = Monday); raises
    InvalidInput for overlapping spans, an unknown zone or a week without hours."""
    return BusinessCalendar(
        name=name,
        time_zone=time_zone,
        weekly={day: parse_spans(text) for day, text in weekly.items()},
        holidays=frozenset(holidays),
    )


def update_category(category: Category, *, team_id: int | None) -> Category:
    category.team_id = team_id
    return category


def update_calendar(
    row: CalendarRow,
    *,
    time_zone: str,
    weekly: Mapping[int, str],
    holidays: Iterable[date],
) -> CalendarRow:
    """Rewrite a calendar's hours and closed days, with the checks `create_calendar` makes."""
    checked = checked_calendar(name=row.name, time_zone=time_zone, weekly=weekly, holidays=holidays)
    row.time_zone = checked.time_zone
    row.weekly = stored_weekly(checked)
    row.holidays = sorted(day.isoformat() for day in checked.holidays)
    return row


def update_rule(rule: SlaRule, spec: RuleSpec) -> SlaRule:
    """Set every field of a rule. The caller has checked the whole policy (targets, references,
    no rule after a catch-all): one rule on its own cannot tell."""
    return spec.write_to(rule)


# --- one change at a time, from the settings pages and the API ---------------------------------


def get_category(session: Session, category_id: int) -> Category:
    category = session.get(Category, category_id)
    if category is None:
        raise NotFound(f"there is no category with id {category_id}")
    return category


def edit_category(
    session: Session, *, category_id: int, name: str, team_id: int | None
) -> Category:
    category = get_category(session, category_id)
    name = name.strip()
    if not name:
        raise InvalidInput("a category needs a name", field="name")
    if len(name) > 100:
        raise InvalidInput("a category's name is at most 100 characters", field="name")
    found = session.scalar(select(Category.id).where(Category.name == name))
    if found is not None and found != category.id:
        raise Conflict(f"the category {name!r} exists already", field="name")
    if team_id is not None and session.get(Team, team_id) is None:
        raise InvalidInput(f"there is no team with id {team_id}", field="team_id")
    category.name = name
    update_category(category, team_id=team_id)
    session.flush()
    return category


def delete_category(session: Session, *, category_id: int) -> str:
    """Refused while a rule names it (the database would delete the rule with it); tickets in
    it keep their history and lose the category. Returns the name it had."""
    category = get_category(session, category_id)
    _refuse_if_rules_use(session, SlaRule.category_id == category.id, f"category {category.name!r}")
    session.delete(category)
    session.flush()
    return category.name


def edit_calendar(
    session: Session,
    *,
    calendar_id: int,
    name: str,
    time_zone: str,
    weekly: Mapping[int, str],
    holidays: Iterable[date],
) -> CalendarRow:
    row = get_calendar(session, calendar_id)
    row.name = check_calendar_name(session, name, other_than=row.id)
    update_calendar(row, time_zone=time_zone, weekly=weekly, holidays=holidays)
    session.flush()
    return row


def delete_calendar(session: Session, *, calendar_id: int) -> str:
    """Refused while a rule counts on it, or while a ticket's clock still runs on it: that
    clock would silently start counting every hour. Returns the name it had."""
    row = get_calendar(session, calendar_id)
    _refuse_if_rules_use(session, SlaRule.calendar_id == row.id, f"calendar {row.name!r}")
    running = list(
        session.scalars(
            select(TicketClock.ticket_id)
            .join(Ticket, Ticket.id == TicketClock.ticket_id)
            .where(
                TicketClock.calendar_id == row.id,
                TicketClock.met_at.is_(None),
                Ticket.state.not_in([TicketState.RESOLVED, TicketState.CLOSED]),
            )
            .distinct()
            .order_by(TicketClock.ticket_id)
        )
    )
    if running:
        raise Conflict(
            f"the SLA clocks of {_listed([f'#{n}' for n in running], 'ticket')} still count "
            f"on the calendar {row.name!r}; delete it once they are resolved"
        )
    session.delete(row)
    session.flush()
    return row.name


def edit_rule(session: Session, *, rule_id: int, name: str, spec: RuleSpec) -> SlaRule:
    """Change a rule, checked against the others. Tickets keep their running clocks; the new
    targets apply to tickets whose rule is chosen from now on."""
    rule = get_rule(session, rule_id)
    rule.name = check_rule(session, name=name, spec=spec, other_than=rule.id)
    update_rule(rule, spec)
    session.flush()
    return rule


def delete_rule(session: Session, *, rule_id: int) -> str:
    """Tickets it chose keep their clocks and targets; the next change that chooses their rule
    again picks among the rules left. Returns the name it had."""
    rule = get_rule(session, rule_id)
    session.delete(rule)
    session.flush()
    return rule.name


def _refuse_if_rules_use(session: Session, condition: ColumnElement[bool], what: str) -> None:
    names = list(session.scalars(select(SlaRule.name).where(condition).order_by(SlaRule.name)))
    if names:
        quoted = [repr(n) for n in names]
        raise Conflict(
            f"the {_listed(quoted, 'SLA rule')} {'uses' if len(names) == 1 else 'use'} the "
            f"{what}: change or delete {'it' if len(names) == 1 else 'them'} first"
        )


def _listed(items: Sequence[str], noun: str, shown: int = 5) -> str:
    more = f" and {len(items) - shown} more" if len(items) > shown else ""
    plural = noun if len(items) == 1 else f"{noun}s"
    return f"{plural} {', '.join(items[:shown])}{more}"
