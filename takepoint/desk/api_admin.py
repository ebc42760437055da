"""The desk's settings over the API, under /api/v1/desk: categories (listed and added in
desk/api.py), business calendars, SLA rules, the priority matrix and canned replies.

Agents read them (they pick canned replies and see why a rule applies); admins change them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from takepoint.accounts.auth import Admin, Responder
from takepoint.desk import canned, matrix, rules, rules_write
from takepoint.desk.schemas import CategoryOut
from takepoint.desk.schemas_admin import (
    CalendarIn,
    CalendarOut,
    CannedReplyIn,
    CannedReplyOut,
    CategoryUpdate,
    MatrixCellOut,
    MatrixIn,
    MatrixOut,
    Placeholder,
    SlaRuleIn,
    SlaRuleOut,
)
from takepoint.lib import csrf
from takepoint.lib.db import MAX_ID
from takepoint.lib.deps import DbSession, PathId

router = APIRouter(
    prefix="/api/v1/desk", tags=["desk settings"], dependencies=[Depends(csrf.protect)]
)


# --- categories -------------------------------------------------------------------------------


@router.get("/categories/{category_id}", response_model=CategoryOut)
def read_category(category_id: PathId, principal: Responder, session: DbSession) -> CategoryOut:
    return CategoryOut.model_validate(rules_write.get_category(session, category_id))


@router.put("/categories/{category_id}", response_model=CategoryOut)
def update_category(
    category_id: PathId, body: CategoryUpdate, principal: Admin, session: DbSession
) -> CategoryOut:
    category = rules_write.edit_category(
        session, category_id=category_id, name=body.name, team_id=body.team_id
    )
    return CategoryOut.model_validate(category)


@router.delete("/categories/{category_id}", status_code=204)
def delete_category(category_id: PathId, principal: Admin, session: DbSession) -> None:
    """Refused with 409 while an SLA rule names the category; its tickets lose it."""
    rules_write.delete_category(session, category_id=category_id)


# --- calendars --------------------------------------------------------------------------------


@router.get("/calendars", response_model=list[CalendarOut])
def list_calendars(principal: Responder, session: DbSession) -> list[CalendarOut]:
    return [CalendarOut.of(row) for row in rules.list_calendars(session)]


@router.post("/calendars", response_model=CalendarOut, status_code=201)
def create_calendar(body: CalendarIn, principal: Admin, session: DbSession) -> CalendarOut:
    row = rules.create_calendar(
        session,
        name=body.name,
        time_zone=body.time_zone,
        weekly=body.week(),
        holidays=body.holidays,
    )
    return CalendarOut.of(row)


@router.get("/calendars/{calendar_id}", response_model=CalendarOut)
def read_calendar(calendar_id: PathId, principal: Responder, session: DbSession) -> CalendarOut:
    return CalendarOut.of(rules.get_calendar(session, calendar_id))


@router.put("/calendars/{calendar_id}", response_model=CalendarOut)
def update_calendar(
    calendar_id: PathId, body: CalendarIn, principal: Admin, session: DbSession
) -> CalendarOut:
    row = rules_write.edit_calendar(
        session,
        calendar_id=calendar_id,
        name=body.name,
        time_zone=body.time_zone,
        weekly=body.week(),
        holidays=body.holidays,
    )
    return CalendarOut.of(row)


@router.delete("/calendars/{calendar_id}", status_code=204)
def delete_calendar(calendar_id: PathId, principal: Admin, session: DbSession) -> None:
    """Refused with 409 while a rule counts on the calendar or an open ticket's clock does."""
    rules_write.delete_calendar(session, calendar_id=calendar_id)


# --- SLA rules --------------------------------------------------------------------------------


@router.get("/sla-rules", response_model=list[SlaRuleOut])
def list_rules(principal: Responder, session: DbSession) -> list[SlaRuleOut]:
    """In the order they are tried."""
    return [SlaRuleOut.model_validate(rule) for rule in rules.list_rules(session)]


@router.post("/sla-rules", response_model=SlaRuleOut, status_code=201)
def create_rule(body: SlaRuleIn, principal: Admin, session: DbSession) -> SlaRuleOut:
    """Refused with 422 when the rule could never match, or would hide the rules after it."""
    return SlaRuleOut.model_validate(rules.add_rule(session, name=body.name, spec=body.spec()))


@router.get("/sla-rules/{rule_id}", response_model=SlaRuleOut)
def read_rule(rule_id: PathId, principal: Responder, session: DbSession) -> SlaRuleOut:
    return SlaRuleOut.model_validate(rules.get_rule(session, rule_id))


@router.put("/sla-rules/{rule_id}", response_model=SlaRuleOut)
def update_rule(
    rule_id: PathId, body: SlaRuleIn, principal: Admin, session: DbSession
) -> SlaRuleOut:
    """Every field; those left out take their defaults. Running clocks keep their targets."""
    rule = rules_write.edit_rule(session, rule_id=rule_id, name=body.name, spec=body.spec())
    return SlaRuleOut.model_validate(rule)


@router.delete("/sla-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: PathId, principal: Admin, session: DbSession) -> None:
    rules_write.delete_rule(session, rule_id=rule_id)


# --- the priority matrix ----------------------------------------------------------------------


def _matrix(session: Session) -> MatrixOut:
    cells = [
        MatrixCellOut(
            impact=impact,
            urgency=urgency,
            priority=priority,
            default=matrix.DEFAULT[(impact, urgency)],
            changed=priority is not matrix.DEFAULT[(impact, urgency)],
        )
        for (impact, urgency), priority in matrix.matrix(session).items()
    ]
    return MatrixOut(cells=cells)


@router.get("/priority-matrix", response_model=MatrixOut)
def read_matrix(principal: Responder, session: DbSession) -> MatrixOut:
    """Impact x urgency gives a ticket's priority: every cell, and whether it was changed."""
    return _matrix(session)


@router.put("/priority-matrix", response_model=MatrixOut)
def update_matrix(body: MatrixIn, principal: Admin, session: DbSession) -> MatrixOut:
    """All nine cells at once. Tickets already open keep their priority."""
    matrix.set_matrix(session, {(c.impact, c.urgency): c.priority for c in body.cells})
    return _matrix(session)


# --- canned replies ---------------------------------------------------------------------------


@router.get("/canned-replies", response_model=list[CannedReplyOut])
def list_canned_replies(
    principal: Responder,
    session: DbSession,
    team_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="this team's and those for all teams")
    ] = None,
) -> list[CannedReplyOut]:
    found = canned.listing(session, team_ids=None if team_id is None else [team_id])
    return [CannedReplyOut.model_validate(reply) for reply in found]


@router.get("/canned-replies/placeholders", response_model=list[Placeholder])
def list_placeholders(principal: Responder) -> list[Placeholder]:
    """The names a canned reply may use in braces; any other is refused when it is saved."""
    return [Placeholder(name=name, meaning=text) for name, text in canned.PLACEHOLDERS.items()]


@router.post("/canned-replies", response_model=CannedReplyOut, status_code=201)
def create_canned_reply(
    body: CannedReplyIn, principal: Admin, session: DbSession
) -> CannedReplyOut:
    reply = canned.create(session, name=body.name, body=body.body, team_id=body.team_id)
    return CannedReplyOut.model_validate(reply)


@router.get("/canned-replies/{reply_id}", response_model=CannedReplyOut)
def read_canned_reply(reply_id: PathId, principal: Responder, session: DbSession) -> CannedReplyOut:
    return CannedReplyOut.model_validate(canned.get(session, reply_id))


@router.put("/canned-replies/{reply_id}", response_model=CannedReplyOut)
def update_canned_reply(
    reply_id: PathId, body: CannedReplyIn, principal: Admin, session: DbSession
) -> CannedReplyOut:
    reply = canned.update(
        session, reply_id=reply_id, name=body.name, body=body.body, team_id=body.team_id
    )
    return CannedReplyOut.model_validate(reply)


@router.delete("/canned-replies/{reply_id}", status_code=204)
def delete_canned_reply(reply_id: PathId, principal: Admin, session: DbSession) -> None:
    canned.delete(session, reply_id=reply_id)
