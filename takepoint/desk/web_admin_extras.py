"""The priority matrix and canned replies on the desk's settings pages, for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from takepoint.accounts.auth import Admin
from takepoint.accounts.service import list_teams
from takepoint.desk import canned, matrix
from takepoint.desk.models import CannedReply, Level, Priority
from takepoint.desk.web import optional_id
from takepoint.desk.web_admin_forms import PAGE, back, shown_id
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, PathId
from takepoint.lib.errors import TakepointError
from takepoint.lib.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])

MATRIX = f"{PAGE}/matrix"
CANNED = f"{PAGE}/canned"


# --- the priority matrix -----------------------------------------------------------------------


def _cell_field(impact: Level, urgency: Level) -> str:
    return f"{impact.value}_{urgency.value}"


def _matrix_page(
    request: Request,
    session: Session,
    *,
    chosen: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    current = matrix.matrix(session)
    cells = {
        _cell_field(*cell): {
            "impact": cell[0],
            "urgency": cell[1],
            "priority": (chosen or {}).get(_cell_field(*cell), priority.value),
            "default": matrix.DEFAULT[cell].value,
        }
        for cell, priority in current.items()
    }
    return render(
        request,
        "desk/admin_matrix.html",
        {
            "tab": "matrix",
            "levels": matrix.LEVELS,
            "cells": cells,
            "priorities": list(Priority),
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get(MATRIX)
def matrix_page(request: Request, principal: Admin, session: DbSession) -> Response:
    return _matrix_page(request, session)


@router.post(MATRIX)
async def save_matrix(request: Request, principal: Admin, session: DbSession) -> Response:
    form = await request.form()
    chosen = {
        _cell_field(i, u): str(form.get(_cell_field(i, u), ""))[:10]
        for i in matrix.LEVELS
        for u in matrix.LEVELS
    }
    known = {p.value for p in Priority}
    errors = {
        field: "choose a priority from P1 to P4"
        for field, value in chosen.items()
        if value not in known
    }
    if errors:
        return _matrix_page(request, session, chosen=chosen, errors=errors, status_code=422)
    cells = {
        (i, u): Priority(chosen[_cell_field(i, u)]) for i in matrix.LEVELS for u in matrix.LEVELS
    }
    changed = matrix.set_matrix(session, cells)
    if not changed:
        return back("The priority matrix is unchanged.", MATRIX)
    count = f"{len(changed)} cell{'s' * (len(changed) != 1)}"
    return back(f"Saved the priority matrix: {count} changed; new tickets use it.", MATRIX)


# --- canned replies ----------------------------------------------------------------------------


def _grouped(session: Session) -> list[tuple[str, list[CannedReply]]]:
    """Replies for all teams first, then each team's, by team name."""
    groups: dict[str, list[CannedReply]] = {}
    for reply in canned.listing(session):
        groups.setdefault(reply.team.name if reply.team else "", []).append(reply)
    return [(name or "All teams", groups[name]) for name in sorted(groups)]


def _canned_context(
    session: Session, form: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "tab": "canned",
        "teams": list_teams(session),
        "placeholders": canned.PLACEHOLDERS,
        "forms": {"canned": form},
        "errors": {"canned": errors},
    }


def _canned_page(
    request: Request,
    session: Session,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = _canned_context(session, form or {}, errors or {})
    context["groups"] = _grouped(session)
    return render(request, "desk/admin_canned.html", context, status_code=status_code)


def _canned_edit_page(
    request: Request,
    session: Session,
    reply: CannedReply,
    *,
    form: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context = _canned_context(session, form, errors or {})
    context.update(
        which="canned",
        what="canned reply",
        item=reply,
        action=f"{CANNED}/{reply.id}",
        back_to=CANNED,
    )
    return render(request, "desk/admin_edit.html", context, status_code=status_code)


def _error_field(exc: TakepointError) -> str:
    return exc.field if exc.field in ("name", "team_id", "body") else "name"


Name = Annotated[str, Form(max_length=canned.MAX_NAME)]
Body = Annotated[str, Form(max_length=canned.MAX_BODY)]
TeamChoice = Annotated[str, Form(max_length=10)]


@router.get(CANNED)
def canned_page(request: Request, principal: Admin, session: DbSession) -> Response:
    return _canned_page(request, session)


@router.post(CANNED)
def add_canned(
    request: Request,
    principal: Admin,
    session: DbSession,
    name: Name = "",
    team_id: TeamChoice = "",
    body: Body = "",
) -> Response:
    form: dict[str, Any] = {"name": name, "team_id": shown_id(team_id), "body": body}
    try:
        reply = canned.create(
            session, name=name, body=body, team_id=optional_id(team_id, "team_id")
        )
    except TakepointError as exc:
        session.rollback()
        errors = {_error_field(exc): exc.message}
        return _canned_page(request, session, form=form, errors=errors, status_code=exc.status_code)
    return back(f"Added the canned reply {reply.name}.", CANNED)


@router.get(f"{CANNED}/{{reply_id}}")
def canned_reply_page(
    request: Request, reply_id: PathId, principal: Admin, session: DbSession
) -> Response:
    reply = canned.get(session, reply_id)
    form = {"name": reply.name, "team_id": reply.team_id, "body": reply.body}
    return _canned_edit_page(request, session, reply, form=form)


@router.post(f"{CANNED}/{{reply_id}}")
def save_canned(
    request: Request,
    reply_id: PathId,
    principal: Admin,
    session: DbSession,
    name: Name = "",
    team_id: TeamChoice = "",
    body: Body = "",
) -> Response:
    canned.get(session, reply_id)  # a reply that is not there is a 404, not a form problem
    form: dict[str, Any] = {"name": name, "team_id": shown_id(team_id), "body": body}
    try:
        reply = canned.update(
            session,
            reply_id=reply_id,
            name=name,
            body=body,
            team_id=optional_id(team_id, "team_id"),
        )
    except TakepointError as exc:
        session.rollback()
        errors = {_error_field(exc): exc.message}
        return _canned_edit_page(
            request,
            session,
            canned.get(session, reply_id),
            form=form,
            errors=errors,
            status_code=exc.status_code,
        )
    return back(f"Saved the canned reply {reply.name}.", CANNED)


@router.post(f"{CANNED}/{{reply_id}}/delete")
def delete_canned(
    request: Request, reply_id: PathId, principal: Admin, session: DbSession
) -> Response:
    name = canned.get(session, reply_id).name
    canned.delete(session, reply_id=reply_id)
    return back(f"Deleted the canned reply {name}.", CANNED)
