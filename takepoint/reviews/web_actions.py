"""Action item pages: the list (open, mine, all, by service), adding and closing items."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Responder, Viewer
from takepoint.accounts.models import Role
from takepoint.accounts.service import get_user
from takepoint.catalog import service as catalog
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.errors import InvalidInput
from takepoint.lib.templating import render
from takepoint.reviews import actions
from takepoint.reviews import service as reviews
from takepoint.reviews.models import ActionState

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])


def _date(value: str, field: str = "due_on") -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("give the date as YYYY-MM-DD", field=field) from None


def _back(path: str, message: str) -> RedirectResponse:
    # Only a path of this site: never an address someone put in the form.
    if not path.startswith("/") or path.startswith("//"):
        path = "/actions"
    anchor = ""
    if "#" in path:
        path, anchor = path.split("#", 1)
        anchor = f"#{anchor}"
    joiner = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{joiner}flash={quote(message)}{anchor}", status_code=303)


@router.get("/actions")
def action_list(
    request: Request,
    principal: Viewer,
    session: DbSession,
    now: Now,
    view: str = "open",
    service: str = "",
) -> Response:
    chosen = catalog.get_service(session, service) if service else None
    items = actions.list_actions(
        session,
        actions.ActionFilter(
            open_only=view != "all",
            owner_id=principal.user.id if view == "mine" else None,
            service_id=chosen.id if chosen else None,
        ),
    )
    return render(
        request,
        "reviews/actions.html",
        {
            "items": items,
            "view": view,
            "service": chosen,
            "overdue": {i.id for i in items if actions.is_overdue(i, now)},
            "can_write": principal.user.role.allows(Role.RESPONDER),
        },
    )


@router.post("/reviews/{review_id}/actions")
def add_action(
    review_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    title: Annotated[str, Form(max_length=300)],
    owner_id: Annotated[int, Form()],
    due_on: Annotated[str, Form(max_length=10)],
    service_id: Annotated[int | None, Form()] = None,
) -> Response:
    review = reviews.get_review(session, review_id)
    item = actions.create_action(
        session,
        incident=review.incident,
        review=review,
        title=title,
        owner=get_user(session, owner_id),
        due_on=_date(due_on),
        service=catalog.get_service(session, service_id) if service_id else None,
        user=principal.user,
        now=now,
    )
    return _back(
        f"/reviews/{review.id}#actions", f"Action item added; {item.owner.display_name} is told."
    )


@router.post("/actions/{action_id}")
def update_action(
    action_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    state: Annotated[ActionState | None, Form()] = None,
    due_on: Annotated[str, Form(max_length=10)] = "",
    back: Annotated[str, Form(max_length=300)] = "/actions",
) -> Response:
    when = _date(due_on) if due_on else None
    item = actions.update_action(
        session, action_id=action_id, user=principal.user, now=now, state=state, due_on=when
    )
    return _back(back, f"Action item {item.title!r} is {item.state.value}.")
