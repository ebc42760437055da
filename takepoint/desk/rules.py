"""Business calendars and SLA rules, as admins define them.

A rule is checked as part of the policy it joins: one that could never match (a rule matching
every ticket comes first), or one matching every ticket that would hide rules after it, is
refused, so the order admins see is the order that counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.catalog.models import Department, Service
from takepoint.desk.calendars import BusinessCalendar, Span, parse_spans
from takepoint.desk.models import CalendarRow, Category, Priority, SlaRule
from takepoint.desk.sla import stored_weekly
from takepoint.lib.errors import Conflict, InvalidInput, NotFound

# Both fit PostgreSQL's INTEGER with room to spare, and no real policy comes near them.
MAX_POSITION = 1_000_000
MAX_TARGET_MINUTES = 366 * 24 * 60
DEFAULT_WARN_PERCENT = 75
TARGETS = ("first_response", "next_response", "resolution")


@dataclass(frozen=True)
class RuleSpec:
    """Everything about a rule but its name: its place, conditions, calendar and targets."""

    position: int
    calendar_id: int | None = None
    priority: Priority | None = None
    category_id: int | None = None
    department_id: int | None = None
    service_id: int | None = None
    vip: bool | None = None
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None
    # Per target: on the rule's calendar (business time), or False for every hour.
    first_response_business: bool = True
    next_response_business: bool = True
    resolution_business: bool = True
    warn_percent: int = DEFAULT_WARN_PERCENT

    @property
    def catch_all(self) -> bool:
        conditions = (self.priority, self.category_id, self.department_id, self.service_id)
        return all(value is None for value in conditions) and self.vip is None

    @classmethod
    def of(cls, rule: SlaRule) -> RuleSpec:
        return cls(**{f.name: getattr(rule, f.name) for f in fields(cls)})

    def write_to(self, rule: SlaRule) -> SlaRule:
        for f in fields(self):
            setattr(rule, f.name, getattr(self, f.name))
        return rule


def get_calendar(session: Session, calendar_id: int) -> CalendarRow:
    row = session.get(CalendarRow, calendar_id)
    if row is None:
        raise NotFound(f"there is no calendar with id {calendar_id}")
    return row


def get_rule(session: Session, rule_id: int) -> SlaRule:
    rule = session.get(SlaRule, rule_id)
    if rule is None:
        raise NotFound(f"there is no SLA rule with id {rule_id}")
    return rule


def list_calendars(session: Session) -> list[CalendarRow]:
    return list(session.scalars(select(CalendarRow).order_by(CalendarRow.name)).unique())


def list_rules(session: Session) -> list[SlaRule]:
    ordered = select(SlaRule).order_by(SlaRule.position, SlaRule.id)
    return list(session.scalars(ordered).unique())


def week_texts(row: CalendarRow) -> dict[int, str]:
    """A stored week as people write it, per open weekday (0 = Monday): "09:00-12:00, ..."."""
    return {
        int(day): ", ".join(str(Span(int(start), int(end))) for start, end in spans)
        for day, spans in sorted(row.weekly.items(), key=lambda kv: int(kv[0]))
        if spans
    }


def check_calendar_name(session: Session, name: str, *, other_than: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("a calendar needs a name", field="name")
    if len(name) > 100:
        raise InvalidInput("a calendar's name is at most 100 characters", field="name")
    found = session.scalar(select(CalendarRow.id).where(CalendarRow.name == name))
    if found is not None and found != other_than:
        raise Conflict(f"the calendar {name!r} exists already", field="name")
    return name


def create_calendar(
    session: Session,
    *,
    name: str,
    time_zone: str,
    weekly: Mapping[int, str],
    holidays: Iterable[date] = (),
) -> CalendarRow:
    """A calendar from one text per weekday (0 = Monday): "09:00-12:00, 13:00-17:00"; a day left
    out is closed. Overlapping spans, an unknown zone or a week without hours are refused."""
    name = check_calendar_name(session, name)
    checked = BusinessCalendar(
        name=name,
        time_zone=time_zone,
        weekly={day: parse_spans(text) for day, text in weekly.items()},
        holidays=frozenset(holidays),
    )
    row = CalendarRow(
        name=name,
        time_zone=checked.time_zone,
        weekly=stored_weekly(checked),
        holidays=sorted(day.isoformat() for day in checked.holidays),
    )
    session.add(row)
    session.flush()
    return row


def create_rule(
    session: Session,
    *,
    name: str,
    position: int,
    calendar_id: int | None = None,
    priority: Priority | None = None,
    category_id: int | None = None,
    department_id: int | None = None,
    service_id: int | None = None,
    vip: bool | None = None,
    first_response_minutes: int | None = None,
    next_response_minutes: int | None = None,
    resolution_minutes: int | None = None,
) -> SlaRule:
    """A rule; the first, by position, whose conditions all hold sets a ticket's targets."""
    spec = RuleSpec(
        position=position,
        calendar_id=calendar_id,
        priority=priority,
        category_id=category_id,
        department_id=department_id,
        service_id=service_id,
        vip=vip,
        first_response_minutes=first_response_minutes,
        next_response_minutes=next_response_minutes,
        resolution_minutes=resolution_minutes,
    )
    return add_rule(session, name=name, spec=spec)


def add_rule(session: Session, *, name: str, spec: RuleSpec) -> SlaRule:
    """A rule from its spec, checked against the rules there are."""
    name = check_rule(session, name=name, spec=spec)
    rule = spec.write_to(SlaRule(name=name))
    session.add(rule)
    session.flush()
    return rule


def check_rule(
    session: Session, *, name: str, spec: RuleSpec, other_than: int | None = None
) -> str:
    """The rule's trimmed name; raises InvalidInput (or Conflict) naming the field to blame."""
    name = name.strip()
    if not name:
        raise InvalidInput("a rule needs a name", field="name")
    found = session.scalar(select(SlaRule.id).where(SlaRule.name == name))
    if found is not None and found != other_than:
        raise Conflict(f"the SLA rule {name!r} exists already", field="name")
    if not 0 <= spec.position <= MAX_POSITION:
        raise InvalidInput(f"the position is a number from 0 to {MAX_POSITION}", field="position")
    _check_references(session, spec)
    _check_targets(spec)
    _check_order(session, spec, other_than)
    return name


def _check_references(session: Session, spec: RuleSpec) -> None:
    for field, model, value in (
        ("calendar_id", CalendarRow, spec.calendar_id),
        ("category_id", Category, spec.category_id),
        ("department_id", Department, spec.department_id),
        ("service_id", Service, spec.service_id),
    ):
        if value is not None and session.get(model, value) is None:
            raise InvalidInput(
                f"there is no {field.removesuffix('_id')} with id {value}", field=field
            )


def _check_targets(spec: RuleSpec) -> None:
    minutes = {t: getattr(spec, f"{t}_minutes") for t in TARGETS}
    if all(value is None for value in minutes.values()):
        raise InvalidInput("a rule needs at least one target", field="first_response_minutes")
    for target, value in minutes.items():
        if value is not None and not 0 < value <= MAX_TARGET_MINUTES:
            raise InvalidInput(
                f"a target is a positive number of minutes, at most {MAX_TARGET_MINUTES} (a year)",
                field=f"{target}_minutes",
            )
    if not 1 <= spec.warn_percent <= 99:
        raise InvalidInput("the warning is a percent from 1 to 99", field="warn_percent")


def _check_order(session: Session, spec: RuleSpec, other_than: int | None) -> None:
    others = [r for r in list_rules(session) if r.id != other_than]
    first = next(
        (r for r in others if r.position <= spec.position and RuleSpec.of(r).catch_all), None
    )
    if first is not None:
        raise InvalidInput(
            f"this rule could never match: {first.name!r} (position {first.position}) "
            "comes first and matches every ticket",
            field="position",
        )
    hidden = next((r for r in others if r.position >= spec.position), None)
    if spec.catch_all and hidden is not None:
        raise InvalidInput(
            f"this rule matches every ticket, so {hidden.name!r} (position {hidden.position}) "
            "could never match after it: give it a position after the other rules",
            field="position",
        )
