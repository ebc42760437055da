from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from takepoint.accounts.auth import Viewer
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.notify import contacts, service
from takepoint.notify.access import (
    check_notification,
    method_for,
    outbox_filter,
    owner_for,
)
from takepoint.notify.links import redact_links
from takepoint.notify.models import NotificationState
from takepoint.notify.schemas import (
    ContactMethodCreate,
    ContactMethodOut,
    ContactMethodUpdate,
    NotificationDetail,
    NotificationOut,
    RuleOut,
    RulesOut,
    RulesReplace,
)

router = APIRouter(prefix="/api/v1", tags=["notifications"], dependencies=[Depends(csrf.protect)])


@router.get("/contact-methods", response_model=list[ContactMethodOut])
def list_contact_methods(
    principal: Viewer, session: DbSession, user_id: int | None = None
) -> list[ContactMethodOut]:
    owner = owner_for(session, principal, user_id)
    return [
        ContactMethodOut.model_validate(m)
        for m in contacts.list_contact_methods(session, user=owner)
    ]


@router.post("/contact-methods", response_model=ContactMethodOut, status_code=201)
def add_contact_method(
    body: ContactMethodCreate, principal: Viewer, session: DbSession, now: Now
) -> ContactMethodOut:
    owner = owner_for(session, principal, body.user_id)
    method = contacts.add_contact_method(
        session, user=owner, kind=body.kind, target=body.target, label=body.label, now=now
    )
    return ContactMethodOut.model_validate(method)


@router.patch("/contact-methods/{method_id}", response_model=ContactMethodOut)
def update_contact_method(
    method_id: int, body: ContactMethodUpdate, principal: Viewer, session: DbSession
) -> ContactMethodOut:
    method = method_for(session, principal, method_id)
    contacts.update_contact_method(session, method=method, label=body.label, target=body.target)
    if body.position is not None:
        contacts.move_contact_method(session, method=method, position=body.position)
    return ContactMethodOut.model_validate(method)


@router.delete("/contact-methods/{method_id}", status_code=204)
def delete_contact_method(
    method_id: int, principal: Viewer, session: DbSession, now: Now
) -> Response:
    method = method_for(session, principal, method_id)
    contacts.delete_contact_method(session, method=method, now=now)
    return Response(status_code=204)


@router.post("/contact-methods/{method_id}/test", response_model=NotificationOut, status_code=202)
def send_test(method_id: int, principal: Viewer, session: DbSession, now: Now) -> NotificationOut:
    """Queue a test message; poll GET /api/v1/notifications/{id} for the outcome."""
    method = method_for(session, principal, method_id)
    row = service.send_test(session, user=method.user, contact_method=method, now=now)
    return NotificationOut.model_validate(row)


def _rules_out(owner_id: int, rules: list[RuleOut]) -> RulesOut:
    return RulesOut(user_id=owner_id, uses_defaults=not rules, rules=rules)


@router.get("/notification-rules", response_model=RulesOut)
def list_rules(principal: Viewer, session: DbSession, user_id: int | None = None) -> RulesOut:
    owner = owner_for(session, principal, user_id)
    rules = [RuleOut.model_validate(r) for r in contacts.list_rules(session, user=owner)]
    return _rules_out(owner.id, rules)


@router.put("/notification-rules", response_model=RulesOut)
def replace_rules(
    body: RulesReplace, principal: Viewer, session: DbSession, now: Now, user_id: int | None = None
) -> RulesOut:
    owner = owner_for(session, principal, user_id)
    specs = [
        contacts.RuleSpec(
            urgency=r.urgency, contact_method_id=r.contact_method_id, delay_minutes=r.delay_minutes
        )
        for r in body.rules
    ]
    rules = contacts.replace_rules(session, user=owner, rules=specs, now=now)
    return _rules_out(owner.id, [RuleOut.model_validate(r) for r in rules])


@router.get("/notifications", response_model=list[NotificationOut])
def list_notifications(
    principal: Viewer,
    session: DbSession,
    user_id: int | None = None,
    state: NotificationState | None = None,
    incident_id: int | None = None,
    limit: int = Query(default=100, ge=1, le=500),
) -> list[NotificationOut]:
    rows = service.list_notifications(
        session,
        user_id=outbox_filter(principal, user_id),
        state=state,
        incident_id=incident_id,
        limit=limit,
    )
    return [NotificationOut.model_validate(r) for r in rows]


@router.get("/notifications/{notification_id}", response_model=NotificationDetail)
def read_notification(
    notification_id: int, principal: Viewer, session: DbSession
) -> NotificationDetail:
    row = check_notification(principal, service.get_notification(session, notification_id))
    detail = NotificationDetail.model_validate(row)
    # Action links act as their recipient; nobody reads them back out of the outbox.
    return detail.model_copy(update={"body": redact_links(row.body)})
