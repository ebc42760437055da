"""Runbook pages: read (everyone), write and review (responders), history of every version."""

from __future__ import annotations

from itertools import zip_longest
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from takepoint.accounts.auth import Admin, Responder, Viewer
from takepoint.accounts.models import Role
from takepoint.catalog import runbooks
from takepoint.catalog import service as catalog
from takepoint.catalog.markdown import render_inline, render_markdown
from takepoint.catalog.models import Runbook, Service, StepKind
from takepoint.catalog.pages import PAGE_DEPENDENCIES, back
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.errors import Conflict, InvalidInput, TakepointError
from takepoint.lib.numbers import is_digits
from takepoint.lib.templating import render

router = APIRouter(include_in_schema=False, dependencies=PAGE_DEPENDENCIES)

BLANK_ROWS = 3


def _row(kind: str = "plain", text: str = "", confirm: int | None = None) -> dict[str, Any]:
    return {"kind": kind, "text": text, "confirm": confirm}


def _form_context(
    session: Session,
    service: Service,
    runbook: Runbook | None,
    form: dict[str, Any],
    error: str | None,
) -> dict[str, Any]:
    rows = list(form["rows"])
    # Always a few empty rows to add steps without JavaScript.
    while len(rows) < len([r for r in rows if r["text"]]) + BLANK_ROWS:
        rows.append(_row())
    return {
        "service": service,
        "runbook": runbook,
        "form": {**form, "rows": rows},
        "error": error,
        "kinds": list(StepKind),
        "departments": catalog.list_departments(session),
    }


def _parse_steps(
    session: Session, kinds: list[str], texts: list[str], confirms: list[str]
) -> tuple[list[dict[str, Any]], list[runbooks.StepInput]]:
    rows: list[dict[str, Any]] = []
    steps: list[runbooks.StepInput] = []
    for kind, text, confirm in zip_longest(kinds, texts, confirms, fillvalue=""):
        if not text.strip():
            continue
        confirm_id = int(confirm) if is_digits(confirm.strip()) else None
        rows.append(_row(kind, text, confirm_id))
        try:
            step_kind = StepKind(kind)
        except ValueError:
            raise InvalidInput(f"{kind!r} is not a kind of step", field="step_kind") from None
        department = None
        # A department picked for a step that is not disruptive is ignored, not an error.
        if step_kind is StepKind.DISRUPTIVE and confirm_id is not None:
            department = catalog.get_department(session, confirm_id)
        steps.append(runbooks.StepInput(step_kind, text, department))
    return rows, steps


def _runbook(session: Session, slug: str, runbook_slug: str) -> tuple[Service, Runbook]:
    service = catalog.get_service(session, slug)
    return service, runbooks.get_runbook(session, service=service, slug=runbook_slug)


class _MoreRows(Exception):
    """The person asked for more empty step rows; nothing is saved."""


StepKinds = Annotated[list[str], Form()]
StepTexts = Annotated[list[str], Form()]
StepConfirms = Annotated[list[str], Form()]


@router.get("/services/{slug}/runbooks/new")
def new_runbook_page(
    request: Request, slug: str, principal: Responder, session: DbSession
) -> Response:
    service = catalog.get_service(session, slug)
    form = {"title": "", "body": "", "summary": "", "rows": [], "base_version": 0}
    return render(
        request, "catalog/runbook_form.html", _form_context(session, service, None, form, None)
    )


@router.post("/services/{slug}/runbooks")
def create_runbook(
    request: Request,
    slug: str,
    principal: Responder,
    session: DbSession,
    now: Now,
    title: Annotated[str, Form(max_length=200)],
    body: Annotated[str, Form(max_length=100_000)] = "",
    step_kind: StepKinds = [],  # noqa: B006 (FastAPI copies defaults)
    step_text: StepTexts = [],  # noqa: B006
    step_confirm: StepConfirms = [],  # noqa: B006
    action: Annotated[str, Form(max_length=10)] = "save",
) -> Response:
    service = catalog.get_service(session, slug)
    rows: list[dict[str, Any]] = []
    try:
        rows, steps = _parse_steps(session, step_kind, step_text, step_confirm)
        if action == "more":
            raise _MoreRows()
        runbook = runbooks.create_runbook(
            session,
            service=service,
            title=title,
            body=body,
            steps=steps,
            author=principal.user,
            now=now,
        )
    except (TakepointError, _MoreRows) as exc:
        session.rollback()
        service = catalog.get_service(session, slug)
        form = {"title": title, "body": body, "summary": "", "rows": rows, "base_version": 0}
        if isinstance(exc, _MoreRows):
            form["rows"] = rows + [_row() for _ in range(BLANK_ROWS)]
        error = exc.message if isinstance(exc, TakepointError) else None
        return render(
            request,
            "catalog/runbook_form.html",
            _form_context(session, service, None, form, error),
            status_code=exc.status_code if isinstance(exc, TakepointError) else 200,
        )
    return back(f"/services/{slug}/runbooks/{runbook.slug}", "Runbook saved.")


@router.get("/services/{slug}/runbooks/{runbook_slug}")
def runbook_page(
    request: Request,
    slug: str,
    runbook_slug: str,
    principal: Viewer,
    session: DbSession,
    now: Now,
) -> Response:
    service, runbook = _runbook(session, slug, runbook_slug)
    version = runbooks.current_version(session, runbook)
    return render(
        request,
        "catalog/runbook.html",
        {
            "service": service,
            "runbook": runbook,
            "version": version,
            "body_html": render_markdown(version.body),
            "steps": [(step, render_inline(step.text)) for step in version.steps],
            "stale": runbooks.is_stale(runbook, now),
            "review_days": runbooks.REVIEW_EVERY.days,
            "is_current": True,
            "can_write": principal.user.role.allows(Role.RESPONDER),
            "can_delete": principal.user.role is Role.ADMIN,
        },
    )


@router.get("/services/{slug}/runbooks/{runbook_slug}/edit")
def edit_runbook_page(
    request: Request, slug: str, runbook_slug: str, principal: Responder, session: DbSession
) -> Response:
    service, runbook = _runbook(session, slug, runbook_slug)
    version = runbooks.current_version(session, runbook)
    form = {
        "title": version.title,
        "body": version.body,
        "summary": "",
        "rows": [_row(s.kind.value, s.text, s.confirm_department_id) for s in version.steps],
        "base_version": version.number,
    }
    return render(
        request, "catalog/runbook_form.html", _form_context(session, service, runbook, form, None)
    )


@router.post("/services/{slug}/runbooks/{runbook_slug}/edit")
def edit_runbook(
    request: Request,
    slug: str,
    runbook_slug: str,
    principal: Responder,
    session: DbSession,
    now: Now,
    title: Annotated[str, Form(max_length=200)],
    base_version: Annotated[int, Form(ge=0)],
    body: Annotated[str, Form(max_length=100_000)] = "",
    summary: Annotated[str, Form(max_length=300)] = "",
    step_kind: StepKinds = [],  # noqa: B006 (FastAPI copies defaults)
    step_text: StepTexts = [],  # noqa: B006
    step_confirm: StepConfirms = [],  # noqa: B006
    action: Annotated[str, Form(max_length=10)] = "save",
) -> Response:
    service, runbook = _runbook(session, slug, runbook_slug)
    rows: list[dict[str, Any]] = []
    try:
        rows, steps = _parse_steps(session, step_kind, step_text, step_confirm)
        if action == "more":
            raise _MoreRows()
        if runbook.current_version != base_version:
            # Two people editing at once: the second must not silently undo the first.
            raise Conflict(
                f"someone saved version {runbook.current_version} while you were editing; "
                "your text is kept below: compare it with the history, then save again",
                field="base_version",
            )
        version = runbooks.edit_runbook(
            session,
            runbook=runbook,
            title=title,
            body=body,
            steps=steps,
            author=principal.user,
            summary=summary,
            now=now,
        )
    except (TakepointError, _MoreRows) as exc:
        session.rollback()
        service, runbook = _runbook(session, slug, runbook_slug)
        form = {
            "title": title,
            "body": body,
            "summary": summary,
            "rows": rows,
            "base_version": runbook.current_version,
        }
        if isinstance(exc, _MoreRows):
            form["rows"] = rows + [_row() for _ in range(BLANK_ROWS)]
            form["base_version"] = base_version
        error = exc.message if isinstance(exc, TakepointError) else None
        return render(
            request,
            "catalog/runbook_form.html",
            _form_context(session, service, runbook, form, error),
            status_code=exc.status_code if isinstance(exc, TakepointError) else 200,
        )
    message = f"Saved as version {version.number}." if version else "No changes to save."
    return back(f"/services/{slug}/runbooks/{runbook_slug}", message)


@router.post("/services/{slug}/runbooks/{runbook_slug}/review")
def review_runbook(
    slug: str, runbook_slug: str, principal: Responder, session: DbSession, now: Now
) -> Response:
    _, runbook = _runbook(session, slug, runbook_slug)
    runbooks.mark_reviewed(session, runbook=runbook, user=principal.user, now=now)
    return back(f"/services/{slug}/runbooks/{runbook_slug}", "Marked as reviewed.")


@router.post("/services/{slug}/runbooks/{runbook_slug}/delete")
def delete_runbook(slug: str, runbook_slug: str, principal: Admin, session: DbSession) -> Response:
    _, runbook = _runbook(session, slug, runbook_slug)
    runbooks.delete_runbook(session, runbook=runbook)
    return back(f"/services/{slug}", f"Deleted runbook {runbook.title}.")


@router.get("/services/{slug}/runbooks/{runbook_slug}/history")
def runbook_history(
    request: Request, slug: str, runbook_slug: str, principal: Viewer, session: DbSession
) -> Response:
    service, runbook = _runbook(session, slug, runbook_slug)
    return render(
        request,
        "catalog/runbook_history.html",
        {
            "service": service,
            "runbook": runbook,
            "versions": runbooks.list_versions(session, runbook),
        },
    )


@router.get("/services/{slug}/runbooks/{runbook_slug}/versions/{number}")
def runbook_version(
    request: Request,
    slug: str,
    runbook_slug: str,
    number: int,
    principal: Viewer,
    session: DbSession,
    now: Now,
) -> Response:
    service, runbook = _runbook(session, slug, runbook_slug)
    version = runbooks.get_version(session, runbook, number)
    return render(
        request,
        "catalog/runbook.html",
        {
            "service": service,
            "runbook": runbook,
            "version": version,
            "body_html": render_markdown(version.body),
            "steps": [(step, render_inline(step.text)) for step in version.steps],
            "stale": runbooks.is_stale(runbook, now),
            "review_days": runbooks.REVIEW_EVERY.days,
            "is_current": version.number == runbook.current_version,
            "can_write": False,
            "can_delete": False,
        },
    )
