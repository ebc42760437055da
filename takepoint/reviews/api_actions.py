"""Action items over the API."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from takepoint.accounts.auth import Responder, Viewer
from takepoint.accounts.service import get_user
from takepoint.catalog import service as catalog
from takepoint.incidents import service as incidents
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now, QueryKey
from takepoint.reviews import actions
from takepoint.reviews import service as reviews
from takepoint.reviews.models import ActionItem
from takepoint.reviews.schemas import ActionIn, ActionOut, ActionUpdate

router = APIRouter(prefix="/api/v1", tags=["action items"], dependencies=[Depends(csrf.protect)])


def _out(item: ActionItem, now: Now) -> ActionOut:
    out = ActionOut.model_validate(item)
    out.overdue = actions.is_overdue(item, now)
    return out


@router.get("/action-items", response_model=list[ActionOut])
def list_actions(
    principal: Viewer,
    session: DbSession,
    now: Now,
    open_only: bool = Query(True, alias="open"),
    service: QueryKey = None,
    owner_id: int | None = None,
    incident_id: int | None = None,
) -> list[ActionOut]:
    wanted = actions.ActionFilter(
        open_only=open_only,
        service_id=catalog.get_service(session, service).id if service else None,
        owner_id=owner_id,
        incident_id=incident_id,
    )
    return [_out(item, now) for item in actions.list_actions(session, wanted)]


@router.post("/action-items", response_model=ActionOut, status_code=201)
def create_action(body: ActionIn, principal: Responder, session: DbSession, now: Now) -> ActionOut:
    """An action item from an incident; it joins the incident's review if there is one."""
    incident = incidents.get_incident(session, body.incident_id)
    item = actions.create_action(
        session,
        incident=incident,
        review=reviews.review_for(session, incident),
        title=body.title,
        owner=get_user(session, body.owner_id),
        due_on=body.due_on,
        service=catalog.get_service(session, body.service) if body.service else None,
        user=principal.user,
        now=now,
    )
    return _out(item, now)


@router.get("/action-items/{action_id}", response_model=ActionOut)
def read_action(action_id: int, principal: Viewer, session: DbSession, now: Now) -> ActionOut:
    return _out(actions.get_action(session, action_id), now)


@router.patch("/action-items/{action_id}", response_model=ActionOut)
def update_action(
    action_id: int, body: ActionUpdate, principal: Responder, session: DbSession, now: Now
) -> ActionOut:
    item = actions.update_action(
        session,
        action_id=action_id,
        user=principal.user,
        now=now,
        state=body.state,
        due_on=body.due_on,
        owner_id=body.owner_id,
        title=body.title,
    )
    return _out(item, now)
