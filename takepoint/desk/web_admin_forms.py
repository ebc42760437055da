"""The forms of the desk's settings pages, shared by the pages that add and those that edit.

Each form arrives as text, exactly as typed, so that a page refused with a problem can show it
again; `spec()` and `read()` turn it into checked values, raising InvalidInput with the field to
blame.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import File, Form, UploadFile
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse

from takepoint.accounts.service import list_teams
from takepoint.catalog import service as catalog
from takepoint.desk import rules, rules_write
from takepoint.desk import service as desk
from takepoint.desk.apply import WEEKDAYS
from takepoint.desk.calendars import WEEKDAY_NAMES, holidays_from_ics
from takepoint.desk.models import CalendarRow, Priority, SlaRule
from takepoint.desk.rules import TARGETS, RuleSpec
from takepoint.desk.web import optional_id
from takepoint.lib.errors import InvalidInput
from takepoint.lib.numbers import is_digits

PAGE = "/desk/settings"
MAX_ICS_BYTES = 1_000_000
BUSINESS, CALENDAR_TIME = "business", "calendar"
Text = Annotated[str, Form(max_length=100)]
Short = Annotated[str, Form(max_length=10)]
Hours = Annotated[str, Form(max_length=200)]


def back(message: str, path: str = PAGE) -> RedirectResponse:
    return RedirectResponse(f"{path}?flash={quote(message)}", status_code=303)


def shown_id(value: str) -> int | None:
    """An id field as typed, for showing the form again: its select finds its choice, and
    anything that is no id shows as none. What is saved goes through `optional_id`."""
    text = value.strip()
    return int(text) if is_digits(text) and len(text) <= 10 else None


def choices(session: Session) -> dict[str, Any]:
    """What the forms offer to pick from."""
    return {
        "teams": list_teams(session),
        "categories": desk.list_categories(session),
        "calendar_rows": rules.list_calendars(session),
        "departments": catalog.list_departments(session),
        "services": catalog.list_services(session),
        "priorities": list(Priority),
        "weekdays": list(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)),
        "targets": [(t, t.replace("_", " ").capitalize()) for t in TARGETS],
    }


def _whole(text: str, field: str, message: str) -> int:
    if not is_digits(text.strip()) or len(text.strip()) > 9:
        raise InvalidInput(message, field=field)
    return int(text)


def _minutes(text: str, field: str) -> int | None:
    if not text.strip():
        return None
    value = _whole(text, field, "a target is a positive number of minutes")
    if value <= 0:
        raise InvalidInput("a target is a positive number of minutes", field=field)
    return value


@dataclass
class RuleForm:
    name: Text = ""
    position: Short = ""
    calendar_id: Short = ""
    priority: Short = ""
    category_id: Short = ""
    department_id: Short = ""
    service_id: Short = ""
    vip: Short = ""
    first_response_minutes: Short = ""
    next_response_minutes: Short = ""
    resolution_minutes: Short = ""
    first_response_business: Short = BUSINESS
    next_response_business: Short = BUSINESS
    resolution_business: Short = BUSINESS
    warn_percent: Short = str(rules.DEFAULT_WARN_PERCENT)

    def values(self) -> dict[str, Any]:
        """What was typed, with ids as numbers so that the selects find their choice."""
        values: dict[str, Any] = asdict(self)
        for key in ("calendar_id", "category_id", "department_id", "service_id"):
            values[key] = shown_id(values[key])
        return values

    def spec(self) -> RuleSpec:
        position = _whole(
            self.position, "position", "the position is a whole number: lower ones are tried first"
        )
        warn = _whole(self.warn_percent, "warn_percent", "the warning is a percent from 1 to 99")
        return RuleSpec(
            position=position,
            calendar_id=optional_id(self.calendar_id, "calendar_id"),
            priority=Priority(self.priority)
            if self.priority in {p.value for p in Priority}
            else None,
            category_id=optional_id(self.category_id, "category_id"),
            department_id=optional_id(self.department_id, "department_id"),
            service_id=optional_id(self.service_id, "service_id"),
            vip={"yes": True, "no": False}.get(self.vip),
            first_response_minutes=_minutes(self.first_response_minutes, "first_response_minutes"),
            next_response_minutes=_minutes(self.next_response_minutes, "next_response_minutes"),
            resolution_minutes=_minutes(self.resolution_minutes, "resolution_minutes"),
            first_response_business=self.first_response_business != CALENDAR_TIME,
            next_response_business=self.next_response_business != CALENDAR_TIME,
            resolution_business=self.resolution_business != CALENDAR_TIME,
            warn_percent=warn,
        )

    @classmethod
    def of(cls, rule: SlaRule) -> dict[str, Any]:
        """A stored rule as its form shows it."""
        spec = RuleSpec.of(rule)
        minutes = {f"{t}_minutes": getattr(spec, f"{t}_minutes") for t in TARGETS}
        business = {f"{t}_business": getattr(spec, f"{t}_business") for t in TARGETS}
        return {
            "name": rule.name,
            "position": str(spec.position),
            "calendar_id": spec.calendar_id,
            "priority": spec.priority.value if spec.priority else "",
            "category_id": spec.category_id,
            "department_id": spec.department_id,
            "service_id": spec.service_id,
            "vip": "" if spec.vip is None else ("yes" if spec.vip else "no"),
            **{k: "" if v is None else str(v) for k, v in minutes.items()},
            **{k: BUSINESS if v else CALENDAR_TIME for k, v in business.items()},
            "warn_percent": str(spec.warn_percent),
        }


@dataclass
class CalendarForm:
    name: Text = ""
    time_zone: Annotated[str, Form(max_length=64)] = ""
    monday: Hours = ""
    tuesday: Hours = ""
    wednesday: Hours = ""
    thursday: Hours = ""
    friday: Hours = ""
    saturday: Hours = ""
    sunday: Hours = ""
    holidays: Annotated[str, Form(max_length=20_000)] = ""
    ics: Annotated[UploadFile | None, File()] = None

    def values(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if key != "ics"}

    def week(self) -> dict[int, str]:
        texts = [getattr(self, day) for day in WEEKDAYS]
        return {day: text for day, text in enumerate(texts) if text.strip()}

    async def read(self) -> tuple[dict[int, str], set[date], dict[str, str]]:
        """The week, the closed days, and the problems by field (each day on its own, so that
        the problem shows next to its day)."""
        week, errors = self.week(), {}
        for day, text in week.items():
            try:
                rules_write.checked_calendar(name=self.name, time_zone="UTC", weekly={day: text})
            except InvalidInput as exc:
                errors[WEEKDAYS[day]] = exc.message
        days: set[date] = set()
        try:
            days.update(_typed_holidays(self.holidays))
        except InvalidInput as exc:
            errors["holidays"] = exc.message
        try:
            days |= await _ics_holidays(self.ics)
        except InvalidInput as exc:
            errors["ics"] = exc.message
        return week, days, errors

    @classmethod
    def of(cls, row: CalendarRow) -> dict[str, Any]:
        texts = rules.week_texts(row)
        return {
            "name": row.name,
            "time_zone": row.time_zone,
            **{day: texts.get(n, "") for n, day in enumerate(WEEKDAYS)},
            "holidays": "\n".join(sorted(row.holidays)),
        }


def calendar_error_field(exc: InvalidInput) -> str:
    # A week without any hours is the week's problem: shown under Monday, where it starts.
    return exc.field if exc.field in ("name", "time_zone", "holidays") else "monday"


def _typed_holidays(text: str) -> list[date]:
    days = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            days.append(date.fromisoformat(line.strip()))
        except ValueError:
            message = f"{line.strip()!r} is not a date like 2026-12-24 (one per line)"
            raise InvalidInput(message, field="holidays") from None
    return days


async def _ics_holidays(upload: UploadFile | None) -> frozenset[date]:
    if upload is None or not upload.filename:
        return frozenset()
    data = await upload.read(MAX_ICS_BYTES + 1)
    if len(data) > MAX_ICS_BYTES:
        raise InvalidInput("that file is larger than 1 MB", field="ics")
    try:
        return holidays_from_ics(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInput(
            "that file is not text; export the calendar as ICS", field="ics"
        ) from None
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="ics") from None
