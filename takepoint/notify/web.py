from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Principal, Viewer
from takepoint.accounts.models import User
from takepoint.accounts.service import list_users
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.errors import Conflict, InvalidInput, TakepointError
from takepoint.lib.numbers import is_digits
from takepoint.lib.templating import render
from takepoint.notify import contacts, service
from takepoint.notify.access import (
    check_notification,
    method_for,
    outbox_filter,
    owner_for,
    rule_for,
    sees_outbox,
)
from takepoint.notify.links import redact_links
from takepoint.notify.models import ContactKind, Notification, NotificationState, Urgency

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])

PAGE = "/me/notifications"


def _back(owner: User, principal: Principal, message: str) -> RedirectResponse:
    query = f"?flash={quote(message)}"
    if owner.id != principal.user.id:
        query += f"&user_id={owner.id}"
    return RedirectResponse(PAGE + query, status_code=303)


def _latest_tests(session: Session, owner: User) -> dict[int, Notification]:
    latest: dict[int, Notification] = {}
    rows = session.scalars(
        select(Notification)
        .where(Notification.user_id == owner.id, Notification.is_test.is_(True))
        .order_by(Notification.id)
    )
    for row in rows:
        if row.contact_method_id is not None:
            latest[row.contact_method_id] = row
    return latest


def _editor(
    request: Request,
    session: Session,
    principal: Principal,
    owner: User,
    *,
    error: TakepointError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    methods = contacts.list_contact_methods(session, user=owner)
    return render(
        request,
        "notify/contacts.html",
        {
            "owner": owner,
            "is_self": owner.id == principal.user.id,
            "methods": methods,
            "rules": contacts.list_rules(session, user=owner),
            "steps": {u: contacts.steps_for(session, user=owner, urgency=u) for u in Urgency},
            "urgencies": list(Urgency),
            "tests": _latest_tests(session, owner),
            "sees_outbox": sees_outbox(principal),
            "error": error,
            "form": form or {},
        },
        status_code=error.status_code if error else 200,
    )


def _refused(
    request: Request,
    session: Session,
    principal: Principal,
    owner: User,
    error: TakepointError,
    form: dict[str, str],
) -> Response:
    # Show the form again with the problem, having undone anything half-done.
    session.rollback()
    return _editor(request, session, principal, owner, error=error, form=form)


@router.get(PAGE)
def notifications_page(
    request: Request, principal: Viewer, session: DbSession, user_id: int | None = None
) -> Response:
    return _editor(request, session, principal, owner_for(session, principal, user_id))


@router.post(PAGE + "/methods")
def add_method(
    request: Request,
    principal: Viewer,
    session: DbSession,
    now: Now,
    kind: Annotated[ContactKind, Form()],
    label: Annotated[str, Form(max_length=100)],
    target: Annotated[str, Form(max_length=2000)],
    user_id: Annotated[int | None, Form()] = None,
) -> Response:
    owner = owner_for(session, principal, user_id)
    try:
        method = contacts.add_contact_method(
            session, user=owner, kind=kind, target=target, label=label, now=now
        )
    except (InvalidInput, Conflict) as exc:
        form = {"kind": kind.value, "label": label, "target": target}
        return _refused(request, session, principal, owner, exc, form)
    return _back(owner, principal, f"Added {method.label}.")


@router.post(PAGE + "/methods/{method_id}/move")
def move_method(
    method_id: int,
    principal: Viewer,
    session: DbSession,
    direction: Annotated[str, Form(pattern="^(up|down)$")],
) -> Response:
    method = method_for(session, principal, method_id)
    order = [m.id for m in contacts.list_contact_methods(session, user=method.user)]
    index = order.index(method.id) + (-1 if direction == "up" else 1)
    contacts.move_contact_method(session, method=method, position=index)
    return _back(method.user, principal, f"Moved {method.label} {direction}.")


@router.post(PAGE + "/methods/{method_id}/delete")
def delete_method(method_id: int, principal: Viewer, session: DbSession, now: Now) -> Response:
    method = method_for(session, principal, method_id)
    owner, label = method.user, method.label
    contacts.delete_contact_method(session, method=method, now=now)
    return _back(owner, principal, f"Removed {label}.")


@router.post(PAGE + "/methods/{method_id}/test")
def test_method(
    request: Request, method_id: int, principal: Viewer, session: DbSession, now: Now
) -> Response:
    method = method_for(session, principal, method_id)
    row = service.send_test(session, user=method.user, contact_method=method, now=now)
    if request.headers.get("hx-request"):
        return render(request, "notify/_test_status.html", {"test": row, "method": method})
    return _back(method.user, principal, f"A test to {method.label} is on its way.")


@router.get(PAGE + "/tests/{notification_id}")
def test_status(
    request: Request, notification_id: int, principal: Viewer, session: DbSession
) -> Response:
    row = check_notification(principal, service.get_notification(session, notification_id))
    return render(request, "notify/_test_status.html", {"test": row, "method": row.contact_method})


@router.post(PAGE + "/rules")
def add_rule(
    request: Request,
    principal: Viewer,
    session: DbSession,
    now: Now,
    urgency: Annotated[Urgency, Form()],
    contact_method_id: Annotated[int, Form()],
    delay_minutes: Annotated[int, Form(ge=0, le=24 * 60)],
    user_id: Annotated[int | None, Form()] = None,
) -> Response:
    owner = owner_for(session, principal, user_id)
    method = method_for(session, principal, contact_method_id)
    try:
        contacts.add_rule(
            session,
            user=owner,
            urgency=urgency,
            contact_method=method,
            delay_minutes=delay_minutes,
            now=now,
        )
    except (InvalidInput, Conflict) as exc:
        return _refused(request, session, principal, owner, exc, {})
    return _back(
        owner,
        principal,
        f"{urgency.value.capitalize()} urgency: {method.label} after {delay_minutes} min.",
    )


@router.post(PAGE + "/rules/{rule_id}/delete")
def delete_rule(rule_id: int, principal: Viewer, session: DbSession) -> Response:
    rule = rule_for(session, principal, rule_id)
    owner = session.get(User, rule.user_id) or principal.user
    contacts.delete_rule(session, rule=rule)
    return _back(owner, principal, "Rule removed.")


@router.post(PAGE + "/rules/reset")
def reset_rules(
    principal: Viewer,
    session: DbSession,
    now: Now,
    user_id: Annotated[int | None, Form()] = None,
) -> Response:
    owner = owner_for(session, principal, user_id)
    contacts.replace_rules(session, user=owner, rules=[], now=now)
    return _back(owner, principal, "Rules reset to the defaults.")


@router.get("/notifications")
def outbox_page(
    request: Request,
    principal: Viewer,
    session: DbSession,
    user_id: str = "",
    state: str = "",
) -> Response:
    chosen_user = int(user_id) if is_digits(user_id) else None
    chosen_state = NotificationState(state) if state in set(NotificationState) else None
    rows = service.list_notifications(
        session, user_id=outbox_filter(principal, chosen_user), state=chosen_state, limit=200
    )
    return render(
        request,
        "notify/outbox.html",
        {
            "rows": rows,
            "users": list_users(session) if sees_outbox(principal) else [],
            "states": list(NotificationState),
            "chosen_user": chosen_user,
            "chosen_state": chosen_state,
        },
    )


@router.get("/notifications/{notification_id}")
def notification_page(
    request: Request, notification_id: int, principal: Viewer, session: DbSession
) -> Response:
    row = check_notification(principal, service.get_notification(session, notification_id))
    return render(request, "notify/notification.html", {"row": row, "body": redact_links(row.body)})
