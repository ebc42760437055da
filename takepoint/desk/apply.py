"""The desk's sections of configuration files: categories, calendars and SLA rules (the
priority matrix and canned replies are in desk/apply_extras.py).

```yaml
desk_categories:
  - name: Printing
    team: hospital-it                 # slug of the team that takes its tickets
desk_calendars:
  - name: Office hours
    time_zone: Europe/Berlin
    monday: "09:00-12:00, 13:00-17:00"  # a weekday left out is closed
    holidays: [2026-12-24]
    holidays_country: DE                # and/or holidays_ics: | BEGIN:VCALENDAR ...
    holidays_region: BE
    holidays_years: [2026, 2027]
desk_sla_rules:
  - name: P1
    position: 10
    calendar: null                      # calendar time: every hour counts
    priority: p1
    first_response_minutes: 15
    resolution_minutes: 240
  - name: Office P2
    position: 20
    calendar: Office hours
    priority: p2
    first_response_minutes: 60
    first_response_business: false      # this target counts every hour all the same
    resolution_minutes: 480
    warn_percent: 60                    # warn the assignee at 60% of a target (default 75)
desk_priority_matrix:                   # cells left out keep the default
  - {impact: high, urgency: low, priority: p2}
desk_canned_replies:
  - name: Password reset
    team: hospital-it                   # left out: for all teams
    body: "Hello {requester_first_name}, your password for {ticket_title} is reset."
```

A calendar's week is one thing: once any weekday is written, the days left out are closed
(written with no weekday at all, an existing calendar keeps its hours). Its closed days are the
union of `holidays`, `holidays_ics` and the country's public holidays; written with none of
those, they are left as they are. Export writes the dates themselves, so a file that named a
country exports as the list of its days and applies back with no changes.

Rules are checked as the policy they will form: the rules of the file plus those of the
database it leaves alone. A rule after one that matches every ticket could never match, and is
refused, as `desk.rules.create_rule` refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Team
from takepoint.desk import rules, rules_write
from takepoint.desk import service as desk
from takepoint.desk.calendars import holidays_for, holidays_from_ics, parse_spans
from takepoint.desk.models import CalendarRow, Category, SlaRule
from takepoint.lib.apply import ARROW, Action, Change, Context, Entry, FileModel, Section, describe
from takepoint.lib.errors import InvalidInput

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOLIDAY_FIELDS = ("holidays", "holidays_ics", "holidays_country", "holidays_region")


def _quoted_hours(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 09:00 as the base-60 number 540: refuse rather than guess.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"write hours in quotes, such as '09:00-17:00' (YAML read {value})")
    return value


# --- categories --------------------------------------------------------------------------------


class CategoryItem(FileModel):
    name: str = Field(min_length=1, max_length=100, description="Matches the category.")
    team: str | None = Field(default=None, description="Slug of the team that takes its tickets.")


def categories_by_name(session: Session) -> dict[str, Category]:
    return {c.name: c for c in desk.list_categories(session)}


def _teams(session: Session) -> dict[str, Team]:
    return {t.slug: t for t in session.scalars(select(Team))}


def _rules_using(ctx: Context, column: Any, gone: dict[int, str], kind: str, key: str) -> None:
    # Only when the file has no rules section: with one, the rules section checks its policy.
    if not gone or "desk_sla_rules" in ctx.present:
        return
    for rule in ctx.session.scalars(select(SlaRule).where(column.in_(gone))):
        message = f"SLA rule '{rule.name}' uses {kind} '{gone[getattr(rule, column.key)]}'"
        ctx.report_at(ctx.section_lines.get(key, 1), f"{message}, which --prune would delete")


class CategoriesSection(Section[CategoryItem]):
    key = "desk_categories"
    kind = "desk category"
    model = CategoryItem
    description = "Service desk categories (kinds of request) and the team that takes each."
    identity_field = "name"

    def existing(self, session: Session) -> set[str]:
        return set(session.scalars(select(Category.name)))

    def check(self, ctx: Context, entries: list[Entry[CategoryItem]]) -> None:
        for entry in entries:
            team = entry.item.team
            if team is not None and not ctx.knows("teams", team):
                ctx.report(entry, ("team",), f"unknown team '{team}'")
        gone = {
            c.id: n
            for n, c in categories_by_name(ctx.session).items()
            if not ctx.knows(self.key, n)
        }
        _rules_using(ctx, SlaRule.category_id, gone, "category", self.key)

    def plan(self, ctx: Context, entries: list[Entry[CategoryItem]]) -> list[Change]:
        current = categories_by_name(ctx.session)
        changes = []
        for entry in entries:
            item = entry.item
            category = current.get(item.name)
            if category is None:
                details = (f"team: {item.team}",) if item.team else ()
                changes.append(Change(Action.CREATE, self.kind, item.name, details))
                continue
            team = category.team.slug if category.team else None
            if entry.given("team") and team != item.team:
                details = (describe("team", team, item.team),)
                changes.append(Change(Action.UPDATE, self.kind, item.name, details))
        return changes

    def write(
        self, ctx: Context, entries: list[Entry[CategoryItem]], changes: list[Change]
    ) -> None:
        wanted = {c.name for c in changes}
        current, teams = categories_by_name(ctx.session), _teams(ctx.session)
        for entry in entries:
            item = entry.item
            if item.name not in wanted:
                continue
            team_id = teams[item.team].id if item.team else None
            category = current.get(item.name)
            if category is None:
                desk.create_category(ctx.session, name=item.name, team_id=team_id)
            else:
                rules_write.update_category(category, team_id=team_id)

    def delete(self, ctx: Context, names: list[str]) -> None:
        current = categories_by_name(ctx.session)
        for name in names:
            ctx.session.delete(current[name])

    def export(self, session: Session) -> list[dict[str, Any]]:
        rows = []
        for name, category in sorted(categories_by_name(session).items()):
            row: dict[str, Any] = {"name": name}
            if category.team is not None:
                row["team"] = category.team.slug
            rows.append(row)
        return rows


# --- calendars ---------------------------------------------------------------------------------


class CalendarItem(FileModel):
    name: str = Field(min_length=1, max_length=100, description="Matches the calendar.")
    time_zone: str = Field(description="IANA zone the hours are read in: Europe/Berlin.")
    monday: str | None = Field(
        default=None, description="Hours, quoted: '09:00-12:00, 13:00-17:00'."
    )
    tuesday: str | None = None
    wednesday: str | None = None
    thursday: str | None = None
    friday: str | None = None
    saturday: str | None = None
    sunday: str | None = None
    holidays: list[date] = Field(default_factory=list, description="Closed days: 2026-12-24.")
    holidays_ics: str | None = Field(
        default=None, description="An iCalendar (ICS) text whose events are closed days."
    )
    holidays_country: str | None = Field(
        default=None, description="ISO country code: its public holidays are closed days (DE)."
    )
    holidays_region: str | None = Field(
        default=None, description="Subdivision of holidays_country (BE for Berlin)."
    )
    holidays_years: list[int] = Field(
        default_factory=list, description="The years of the country's public holidays."
    )

    _hours = field_validator(*WEEKDAYS, mode="before")(_quoted_hours)

    def week_given(self) -> bool:
        return any(day in self.model_fields_set for day in WEEKDAYS)

    def week(self) -> dict[int, str]:
        return {i: text for i, day in enumerate(WEEKDAYS) if (text := getattr(self, day))}


def calendars_by_name(session: Session) -> dict[str, CalendarRow]:
    return {c.name: c for c in session.scalars(select(CalendarRow).order_by(CalendarRow.name))}


def _file_holidays(item: CalendarItem) -> frozenset[date]:
    """The closed days a calendar entry names; raises InvalidInput with the field to blame."""
    days = set(item.holidays)
    if item.holidays_ics is not None:
        try:
            days |= holidays_from_ics(item.holidays_ics)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="holidays_ics") from None
    if item.holidays_country:
        region = item.holidays_region or None
        try:
            days |= holidays_for(item.holidays_country.upper(), region, item.holidays_years)
        except InvalidInput as exc:
            raise InvalidInput(exc.message, field="holidays_country") from None
    return frozenset(days)


@dataclass(frozen=True)
class _WantedCalendar:
    time_zone: str
    week: dict[int, str]
    holidays: frozenset[date]


def _wanted_calendar(
    ctx: Context, entry: Entry[CalendarItem], row: CalendarRow | None
) -> _WantedCalendar:
    item = entry.item
    week = item.week() if item.week_given() or row is None else rules.week_texts(row)
    if any(entry.given(name) for name in HOLIDAY_FIELDS) or row is None:
        # Public holiday tables take a moment to build: once per file, for check and plan.
        cache: dict[str, frozenset[date]] = ctx.cache.setdefault("desk_holidays", {})
        if item.name not in cache:
            cache[item.name] = _file_holidays(item)
        holidays = cache[item.name]
    else:
        holidays = frozenset(date.fromisoformat(d) for d in row.holidays)
    return _WantedCalendar(item.time_zone, week, holidays)


def _holiday_detail(old: frozenset[date], new: frozenset[date]) -> str:
    added = [f"+ {d}" for d in sorted(new - old)]
    removed = [f"- {d}" for d in sorted(old - new)]
    shown = [*added, *removed]
    more = f" and {len(shown) - 6} more" if len(shown) > 6 else ""
    return f"holidays: {len(old)} {ARROW} {len(new)} days ({', '.join(shown[:6])}{more})"


class CalendarsSection(Section[CalendarItem]):
    key = "desk_calendars"
    kind = "desk calendar"
    model = CalendarItem
    description = "Business calendars: weekly opening hours in one zone, and closed days."
    identity_field = "name"

    def existing(self, session: Session) -> set[str]:
        return set(session.scalars(select(CalendarRow.name)))

    def check(self, ctx: Context, entries: list[Entry[CalendarItem]]) -> None:
        current = calendars_by_name(ctx.session)
        for entry in entries:
            item = entry.item
            day_problems = False
            for i, day in enumerate(WEEKDAYS):
                text = getattr(item, day)
                if not text or not text.strip():
                    continue
                try:  # one day at a time, so that a problem names its day's line
                    rules_write.checked_calendar(name=item.name, time_zone="UTC", weekly={i: text})
                except InvalidInput as exc:
                    ctx.report(entry, (day,), exc.message)
                    day_problems = True
            if item.holidays_country is None:
                for name in ("holidays_region", "holidays_years"):
                    if entry.given(name):
                        ctx.report(entry, (name,), f"{name} needs holidays_country")
            elif not item.holidays_years:
                path = (
                    ("holidays_years",) if entry.given("holidays_years") else ("holidays_country",)
                )
                ctx.report(entry, path, "list the years of public holidays: holidays_years")
                continue
            try:
                wanted = _wanted_calendar(ctx, entry, current.get(item.name))
            except InvalidInput as exc:
                ctx.report(entry, (exc.field or "name",), exc.message)
                continue
            try:
                rules_write.checked_calendar(
                    name=item.name, time_zone=wanted.time_zone, weekly=wanted.week
                )
            except InvalidInput as exc:
                if exc.field == "time_zone":
                    ctx.report(entry, ("time_zone",), exc.message)
                elif not day_problems:
                    ctx.report(entry, ("name",), exc.message)
        gone = {c.id: n for n, c in current.items() if not ctx.knows(self.key, n)}
        _rules_using(ctx, SlaRule.calendar_id, gone, "calendar", self.key)

    def plan(self, ctx: Context, entries: list[Entry[CalendarItem]]) -> list[Change]:
        current = calendars_by_name(ctx.session)
        changes = []
        for entry in entries:
            item = entry.item
            row = current.get(item.name)
            wanted = _wanted_calendar(ctx, entry, row)
            if row is None:
                days = ", ".join(WEEKDAYS[d][:3] for d in sorted(wanted.week))
                summary = (f"{item.time_zone}, open {days}, {len(wanted.holidays)} holidays",)
                changes.append(Change(Action.CREATE, self.kind, item.name, summary))
                continue
            details = []
            if row.time_zone != wanted.time_zone:
                details.append(describe("time_zone", row.time_zone, wanted.time_zone))
            before = rules.week_texts(row)
            for i, day in enumerate(WEEKDAYS):
                old, new = before.get(i), wanted.week.get(i)
                if _normal_hours(old) != _normal_hours(new):
                    details.append(describe(day, old or "closed", new or "closed"))
            stored = frozenset(date.fromisoformat(d) for d in row.holidays)
            if stored != wanted.holidays:
                details.append(_holiday_detail(stored, wanted.holidays))
            if details:
                changes.append(Change(Action.UPDATE, self.kind, item.name, tuple(details)))
        return changes

    def write(
        self, ctx: Context, entries: list[Entry[CalendarItem]], changes: list[Change]
    ) -> None:
        wanted_names = {c.name for c in changes}
        current = calendars_by_name(ctx.session)
        for entry in entries:
            item = entry.item
            if item.name not in wanted_names:
                continue
            row = current.get(item.name)
            wanted = _wanted_calendar(ctx, entry, row)
            if row is None:
                rules.create_calendar(
                    ctx.session,
                    name=item.name,
                    time_zone=wanted.time_zone,
                    weekly=wanted.week,
                    holidays=wanted.holidays,
                )
            else:
                rules_write.update_calendar(
                    row, time_zone=wanted.time_zone, weekly=wanted.week, holidays=wanted.holidays
                )

    def delete(self, ctx: Context, names: list[str]) -> None:
        current = calendars_by_name(ctx.session)
        for name in names:
            ctx.session.delete(current[name])

    def export(self, session: Session) -> list[dict[str, Any]]:
        rows = []
        for name, row in calendars_by_name(session).items():
            entry: dict[str, Any] = {"name": name, "time_zone": row.time_zone}
            entry.update({WEEKDAYS[day]: text for day, text in rules.week_texts(row).items()})
            entry["holidays"] = [date.fromisoformat(d) for d in sorted(row.holidays)]
            rows.append(entry)
        return rows


def _normal_hours(text: str | None) -> str:
    if not text:
        return ""
    try:
        return ", ".join(str(span) for span in sorted(parse_spans(text)))
    except InvalidInput:
        return text


DESK_CATEGORIES = CategoriesSection()
DESK_CALENDARS = CalendarsSection()
