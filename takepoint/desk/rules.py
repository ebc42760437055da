"""Business calendars and SLA rules, as admins define them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.catalog.models import Department, Service
from takepoint.desk.calendars import BusinessCalendar, parse_spans
from takepoint.desk.models import CalendarRow, Category, Priority, SlaRule
from takepoint.desk.sla import stored_weekly
from takepoint.lib.errors import Conflict, InvalidInput


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
    name = name.strip()
    if not name:
        raise InvalidInput("a calendar needs a name", field="name")
    if session.scalar(select(CalendarRow.id).where(CalendarRow.name == name)):
        raise Conflict(f"the calendar {name!r} exists already", field="name")
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
    name = name.strip()
    if not name:
        raise InvalidInput("a rule needs a name", field="name")
    if session.scalar(select(SlaRule.id).where(SlaRule.name == name)):
        raise Conflict(f"the SLA rule {name!r} exists already", field="name")
    for field, model, value in (
        ("calendar_id", CalendarRow, calendar_id),
        ("category_id", Category, category_id),
        ("department_id", Department, department_id),
        ("service_id", Service, service_id),
    ):
        if value is not None and session.get(model, value) is None:
            raise InvalidInput(
                f"there is no {field.removesuffix('_id')} with id {value}", field=field
            )
    minutes = (first_response_minutes, next_response_minutes, resolution_minutes)
    if all(value is None for value in minutes):
        raise InvalidInput("a rule needs at least one target", field="first_response_minutes")
    if any(value is not None and value <= 0 for value in minutes):
        raise InvalidInput("a target is a positive number of minutes", field="resolution_minutes")
    catch_all = session.scalar(
        select(SlaRule).where(
            SlaRule.position <= position,
            SlaRule.priority.is_(None),
            SlaRule.category_id.is_(None),
            SlaRule.department_id.is_(None),
            SlaRule.service_id.is_(None),
            SlaRule.vip.is_(None),
        )
    )
    if catch_all is not None:
        raise InvalidInput(
            f"this rule could never match: {catch_all.name!r} (position {catch_all.position}) "
            "comes first and matches every ticket",
            field="position",
        )
    rule = SlaRule(
        name=name,
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
    session.add(rule)
    session.flush()
    return rule
