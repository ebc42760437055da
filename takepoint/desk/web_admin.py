"""The desk's settings for admins: categories, business calendars and SLA rules.

A form that fails is shown again with what was typed and the problem next to its field; the
three forms share one page, so each keeps its own values and errors.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Admin
from takepoint.accounts.service import list_teams
from takepoint.catalog import service as catalog
from takepoint.desk import rules, rules_write
from takepoint.desk import service as desk
from takepoint.desk.apply import WEEKDAYS
from takepoint.desk.calendars import WEEKDAY_NAMES, Span, holidays_from_ics
from takepoint.desk.models import CalendarRow, Priority, SlaRule
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession
from takepoint.lib.errors import InvalidInput, TakepointError
from takepoint.lib.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])

PAGE = "/desk/settings"
MAX_ICS_BYTES = 1_000_000


def _back(message: str) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?flash={quote(message)}", status_code=303)


def _hours(row: CalendarRow) -> list[tuple[str, str]]:
    spans = {int(day): spans for day, spans in row.weekly.items()}
    return [
        (
            WEEKDAY_NAMES[day],
            ", ".join(str(Span(int(s), int(e))) for s, e in spans.get(day, [])) or "closed",
        )
        for day in range(7)
    ]


def _page(
    request: Request,
    session: Session,
    *,
    forms: dict[str, dict[str, Any]] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    calendars = list(session.scalars(select(CalendarRow).order_by(CalendarRow.name)))
    rule_rows = list(session.scalars(select(SlaRule).order_by(SlaRule.position, SlaRule.id)))
    categories = desk.list_categories(session)
    departments = catalog.list_departments(session)
    services = catalog.list_services(session)
    names = {
        "category": {c.id: c.name for c in categories},
        "department": {d.id: d.name for d in departments},
        "service": {s.id: s.name for s in services},
    }
    return render(
        request,
        "desk/admin_settings.html",
        {
            "categories": categories,
            "calendars": [(c, _hours(c)) for c in calendars],
            "rules": rule_rows,
            "names": names,
            "teams": list_teams(session),
            "departments": departments,
            "services": services,
            "priorities": list(Priority),
            "weekdays": list(zip(WEEKDAYS, WEEKDAY_NAMES, strict=True)),
            "forms": forms or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _optional_id(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _optional_minutes(value: str, field: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) <= 0:
        raise InvalidInput("a target is a positive number of minutes", field=field)
    return int(text)


@router.get(PAGE)
def settings_page(request: Request, principal: Admin, session: DbSession) -> Response:
    return _page(request, session)


@router.post(f"{PAGE}/categories")
def add_category(
    request: Request,
    principal: Admin,
    session: DbSession,
    name: Annotated[str, Form(max_length=100)] = "",
    team_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        category = desk.create_category(session, name=name, team_id=_optional_id(team_id))
    except TakepointError as exc:
        session.rollback()
        form = {"name": name, "team_id": _optional_id(team_id)}
        return _failed(request, session, "category", form, exc)
    return _back(f"Added the category {category.name}.")


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


@router.post(f"{PAGE}/calendars")
async def add_calendar(
    request: Request,
    principal: Admin,
    session: DbSession,
    name: Annotated[str, Form(max_length=100)] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "",
    monday: Annotated[str, Form(max_length=200)] = "",
    tuesday: Annotated[str, Form(max_length=200)] = "",
    wednesday: Annotated[str, Form(max_length=200)] = "",
    thursday: Annotated[str, Form(max_length=200)] = "",
    friday: Annotated[str, Form(max_length=200)] = "",
    saturday: Annotated[str, Form(max_length=200)] = "",
    sunday: Annotated[str, Form(max_length=200)] = "",
    holidays: Annotated[str, Form(max_length=20_000)] = "",
    ics: Annotated[UploadFile | None, File()] = None,
) -> Response:
    texts = (monday, tuesday, wednesday, thursday, friday, saturday, sunday)
    form: dict[str, Any] = {
        "name": name,
        "time_zone": time_zone,
        "holidays": holidays,
        **dict(zip(WEEKDAYS, texts, strict=True)),
    }
    week = {day: text for day, text in enumerate(texts) if text.strip()}
    errors: dict[str, str] = {}
    for day, text in week.items():
        try:  # one day at a time, so that the problem shows next to its day
            rules_write.checked_calendar(name=name, time_zone="UTC", weekly={day: text})
        except InvalidInput as exc:
            errors[WEEKDAYS[day]] = exc.message
    days: set[date] = set()
    try:
        days.update(_typed_holidays(holidays))
    except InvalidInput as exc:
        errors["holidays"] = exc.message
    try:
        days |= await _ics_holidays(ics)
    except InvalidInput as exc:
        errors["ics"] = exc.message
    if not errors:
        try:
            row = rules.create_calendar(
                session, name=name, time_zone=time_zone, weekly=week, holidays=days
            )
            return _back(f"Added the calendar {row.name} with {len(row.holidays)} closed days.")
        except TakepointError as exc:
            session.rollback()
            field = exc.field if exc.field in ("name", "time_zone", "holidays") else "monday"
            errors[field] = exc.message
    return _page(
        request,
        session,
        forms={"calendar": form},
        errors={"calendar": errors},
        status_code=422,
    )


@router.post(f"{PAGE}/rules")
def add_rule(
    request: Request,
    principal: Admin,
    session: DbSession,
    name: Annotated[str, Form(max_length=100)] = "",
    position: Annotated[str, Form(max_length=10)] = "",
    calendar_id: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    category_id: Annotated[str, Form()] = "",
    department_id: Annotated[str, Form()] = "",
    service_id: Annotated[str, Form()] = "",
    vip: Annotated[str, Form()] = "",
    first_response_minutes: Annotated[str, Form(max_length=10)] = "",
    next_response_minutes: Annotated[str, Form(max_length=10)] = "",
    resolution_minutes: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form: dict[str, Any] = {
        "name": name,
        "position": position,
        "calendar_id": _optional_id(calendar_id),
        "priority": priority,
        "category_id": _optional_id(category_id),
        "department_id": _optional_id(department_id),
        "service_id": _optional_id(service_id),
        "vip": vip,
        "first_response_minutes": first_response_minutes,
        "next_response_minutes": next_response_minutes,
        "resolution_minutes": resolution_minutes,
    }
    try:
        if not position.strip().isdigit():
            raise InvalidInput(
                "the position is a whole number: lower ones are tried first", field="position"
            )
        rule = rules.create_rule(
            session,
            name=name,
            position=int(position),
            calendar_id=form["calendar_id"],
            priority=Priority(priority) if priority in {p.value for p in Priority} else None,
            category_id=form["category_id"],
            department_id=form["department_id"],
            service_id=form["service_id"],
            vip={"yes": True, "no": False}.get(vip),
            first_response_minutes=_optional_minutes(
                first_response_minutes, "first_response_minutes"
            ),
            next_response_minutes=_optional_minutes(next_response_minutes, "next_response_minutes"),
            resolution_minutes=_optional_minutes(resolution_minutes, "resolution_minutes"),
        )
    except TakepointError as exc:
        session.rollback()
        return _failed(request, session, "rule", form, exc)
    return _back(f"Added the SLA rule {rule.name}.")


def _failed(
    request: Request, session: Session, which: str, form: dict[str, Any], exc: TakepointError
) -> Response:
    field = exc.field if exc.field in form else "name"
    return _page(
        request,
        session,
        forms={which: form},
        errors={which: {field: exc.message}},
        status_code=exc.status_code,
    )
