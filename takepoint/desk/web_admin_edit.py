"""Editing and deleting the desk's categories, calendars and SLA rules, one page each.

A delete that something still needs (a rule naming a category, a clock counting on a
calendar) is refused on the same page, naming what needs it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from takepoint.accounts.auth import Admin
from takepoint.desk import rules, rules_write
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
from takepoint.lib.deps import DbSession, PathId
from takepoint.lib.errors import InvalidInput, TakepointError
from takepoint.lib.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])

TITLES = {"category": "category", "calendar": "business calendar", "rule": "SLA rule"}


def _edit_page(
    request: Request,
    session: Session,
    *,
    which: str,
    item: Any,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "desk/admin_edit.html",
        {
            **choices(session),
            "tab": "rules",
            "back_to": PAGE,
            "which": which,
            "what": TITLES[which],
            "item": item,
            "action": f"{PAGE}/{_plural(which)}/{item.id}",
            "forms": {which: form},
            "errors": {which: errors or {}},
        },
        status_code=status_code,
    )


def _plural(which: str) -> str:
    return "categories" if which == "category" else f"{which}s"


def _refused(
    request: Request,
    session: Session,
    which: str,
    item: Any,
    form: dict[str, Any] | None,
    exc: TakepointError,
    field: str | None = None,
) -> Response:
    # Loaded before the change was tried: what is not there is a 404, not a form problem.
    session.rollback()
    shown = form if form is not None else _stored_form(which, item)
    field = field or (exc.field if exc.field in shown else "name")
    return _edit_page(
        request,
        session,
        which=which,
        item=item,
        form=shown,
        errors={field: exc.message},
        status_code=exc.status_code,
    )


def _stored_form(which: str, item: Any) -> dict[str, Any]:
    if which == "category":
        return {"name": item.name, "team_id": item.team_id}
    if which == "calendar":
        return CalendarForm.of(item)
    return RuleForm.of(item)


@router.get(f"{PAGE}/categories/{{category_id}}")
def category_page(
    request: Request, category_id: PathId, principal: Admin, session: DbSession
) -> Response:
    category = rules_write.get_category(session, category_id)
    return _edit_page(
        request, session, which="category", item=category, form=_stored_form("category", category)
    )


@router.post(f"{PAGE}/categories/{{category_id}}")
def save_category(
    request: Request,
    category_id: PathId,
    principal: Admin,
    session: DbSession,
    name: Annotated[str, Form(max_length=100)] = "",
    team_id: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    category = rules_write.get_category(session, category_id)
    form: dict[str, Any] = {"name": name, "team_id": shown_id(team_id)}
    try:
        category = rules_write.edit_category(
            session, category_id=category_id, name=name, team_id=optional_id(team_id, "team_id")
        )
    except TakepointError as exc:
        return _refused(request, session, "category", category, form, exc)
    return back(f"Saved the category {category.name}.")


@router.post(f"{PAGE}/categories/{{category_id}}/delete")
def delete_category(
    request: Request, category_id: PathId, principal: Admin, session: DbSession
) -> Response:
    category = rules_write.get_category(session, category_id)
    try:
        name = rules_write.delete_category(session, category_id=category_id)
    except TakepointError as exc:
        return _refused(request, session, "category", category, None, exc, "delete")
    return back(f"Deleted the category {name}; its tickets now have no category.")


@router.get(f"{PAGE}/calendars/{{calendar_id}}")
def calendar_page(
    request: Request, calendar_id: PathId, principal: Admin, session: DbSession
) -> Response:
    row = rules.get_calendar(session, calendar_id)
    return _edit_page(request, session, which="calendar", item=row, form=CalendarForm.of(row))


@router.post(f"{PAGE}/calendars/{{calendar_id}}")
async def save_calendar(
    request: Request,
    calendar_id: PathId,
    principal: Admin,
    session: DbSession,
    form: Annotated[CalendarForm, Depends()],
) -> Response:
    row = rules.get_calendar(session, calendar_id)
    week, days, errors = await form.read()
    if not errors:
        try:
            row = rules_write.edit_calendar(
                session,
                calendar_id=calendar_id,
                name=form.name,
                time_zone=form.time_zone,
                weekly=week,
                holidays=days,
            )
            return back(f"Saved the calendar {row.name}.")
        except TakepointError as exc:
            field = calendar_error_field(exc) if isinstance(exc, InvalidInput) else "name"
            return _refused(request, session, "calendar", row, form.values(), exc, field)
    return _edit_page(
        request,
        session,
        which="calendar",
        item=row,
        form=form.values(),
        errors=errors,
        status_code=422,
    )


@router.post(f"{PAGE}/calendars/{{calendar_id}}/delete")
def delete_calendar(
    request: Request, calendar_id: PathId, principal: Admin, session: DbSession
) -> Response:
    row = rules.get_calendar(session, calendar_id)
    try:
        name = rules_write.delete_calendar(session, calendar_id=calendar_id)
    except TakepointError as exc:
        return _refused(request, session, "calendar", row, None, exc, "delete")
    return back(f"Deleted the calendar {name}.")


@router.get(f"{PAGE}/rules/{{rule_id}}")
def rule_page(request: Request, rule_id: PathId, principal: Admin, session: DbSession) -> Response:
    rule = rules.get_rule(session, rule_id)
    return _edit_page(request, session, which="rule", item=rule, form=RuleForm.of(rule))


@router.post(f"{PAGE}/rules/{{rule_id}}")
def save_rule(
    request: Request,
    rule_id: PathId,
    principal: Admin,
    session: DbSession,
    form: Annotated[RuleForm, Depends()],
) -> Response:
    rule = rules.get_rule(session, rule_id)
    try:
        rule = rules_write.edit_rule(session, rule_id=rule_id, name=form.name, spec=form.spec())
    except TakepointError as exc:
        return _refused(request, session, "rule", rule, form.values(), exc)
    return back(f"Saved the SLA rule {rule.name}.")


@router.post(f"{PAGE}/rules/{{rule_id}}/delete")
def delete_rule(
    request: Request, rule_id: PathId, principal: Admin, session: DbSession
) -> Response:
    name = rules_write.delete_rule(session, rule_id=rule_id)
    return back(f"Deleted the SLA rule {name}.")
