"""The desk's settings for admins: categories, business calendars and SLA rules, listed, and
the forms that add them (desk/web_admin_edit.py changes and deletes them; the priority matrix
and canned replies are in desk/web_admin_extras.py).

A form that fails is shown again with what was typed and the problem next to its field; the
three forms share one page, so each keeps its own values and errors.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from takepoint.accounts.auth import Admin
from takepoint.desk import rules
from takepoint.desk import service as desk
from takepoint.desk.calendars import WEEKDAY_NAMES
from takepoint.desk.models import CalendarRow
from takepoint.desk.web import optional_id
from takepoint.desk.web_admin_forms import (
    PAGE,
    CalendarForm,
    RuleForm,
    back,
    calendar_error_field,
    choices,
    shown_id,
)
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession
from takepoint.lib.errors import InvalidInput, TakepointError
from takepoint.lib.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])


def _hours(row: CalendarRow) -> list[tuple[str, str]]:
    texts = rules.week_texts(row)
    return [(WEEKDAY_NAMES[day], texts.get(day, "closed")) for day in range(7)]


def _page(
    request: Request,
    session: Session,
    *,
    forms: dict[str, dict[str, Any]] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    offered = choices(session)
    names = {
        "category": {c.id: c.name for c in offered["categories"]},
        "department": {d.id: d.name for d in offered["departments"]},
        "service": {s.id: s.name for s in offered["services"]},
    }
    return render(
        request,
        "desk/admin_settings.html",
        {
            **offered,
            "tab": "rules",
            "calendars": [(c, _hours(c)) for c in offered["calendar_rows"]],
            "rules": rules.list_rules(session),
            "names": names,
            "forms": forms or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _failed(
    request: Request, session: Session, which: str, form: dict[str, Any], exc: TakepointError
) -> Response:
    session.rollback()
    field = exc.field if exc.field in form else "name"
    return _page(
        request,
        session,
        forms={which: form},
        errors={which: {field: exc.message}},
        status_code=exc.status_code,
    )


@router.get(PAGE)
def settings_page(request: Request, principal: Admin, session: DbSession) -> Response:
    return _page(request, session)


@router.post(f"{PAGE}/categories")
def add_category(
    request: Request,
    principal: Admin,
    session: DbSession,
    name: Annotated[str, Form(max_length=100)] = "",
    team_id: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    form: dict[str, Any] = {"name": name, "team_id": shown_id(team_id)}
    try:
        category = desk.create_category(session, name=name, team_id=optional_id(team_id, "team_id"))
    except TakepointError as exc:
        return _failed(request, session, "category", form, exc)
    return back(f"Added the category {category.name}.")


@router.post(f"{PAGE}/calendars")
async def add_calendar(
    request: Request,
    principal: Admin,
    session: DbSession,
    form: Annotated[CalendarForm, Depends()],
) -> Response:
    week, days, errors = await form.read()
    if not errors:
        try:
            row = rules.create_calendar(
                session, name=form.name, time_zone=form.time_zone, weekly=week, holidays=days
            )
            return back(f"Added the calendar {row.name} with {len(row.holidays)} closed days.")
        except InvalidInput as exc:
            session.rollback()
            errors[calendar_error_field(exc)] = exc.message
        except TakepointError as exc:
            session.rollback()
            errors["name"] = exc.message
    return _page(
        request,
        session,
        forms={"calendar": form.values()},
        errors={"calendar": errors},
        status_code=422,
    )


@router.post(f"{PAGE}/rules")
def add_rule(
    request: Request,
    principal: Admin,
    session: DbSession,
    form: Annotated[RuleForm, Depends()],
) -> Response:
    try:
        rule = rules.add_rule(session, name=form.name, spec=form.spec())
    except TakepointError as exc:
        return _failed(request, session, "rule", form.values(), exc)
    return back(f"Added the SLA rule {rule.name}.")
