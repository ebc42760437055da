"""Changing the desk's categories, calendars and SLA rules once they exist.

Creating goes through `desk.service.create_category` and `desk.rules` (which check names,
spans and references); these are the updates configuration files and admins make afterwards.
A clock already running keeps the calendar and target it started with until its ticket's rule
is chosen again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from takepoint.desk.calendars import BusinessCalendar, parse_spans
from takepoint.desk.models import CalendarRow, Category, Priority, SlaRule
from takepoint.desk.sla import stored_weekly


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


def update_rule(
    rule: SlaRule,
    *,
    position: int,
    calendar_id: int | None,
    priority: Priority | None,
    category_id: int | None,
    department_id: int | None,
    service_id: int | None,
    vip: bool | None,
    first_response_minutes: int | None,
    next_response_minutes: int | None,
    resolution_minutes: int | None,
) -> SlaRule:
    """Set every field of a rule. The caller has checked the whole policy (targets, references,
    no rule after a catch-all): one rule on its own cannot tell."""
    rule.position = position
    rule.calendar_id = calendar_id
    rule.priority = priority
    rule.category_id = category_id
    rule.department_id = department_id
    rule.service_id = service_id
    rule.vip = vip
    rule.first_response_minutes = first_response_minutes
    rule.next_response_minutes = next_response_minutes
    rule.resolution_minutes = resolution_minutes
    return rule
