from __future__ import annotations

from fastapi import APIRouter, Depends

from takepoint.accounts import service
from takepoint.accounts.auth import Admin, Viewer
from takepoint.accounts.models import Team
from takepoint.accounts.schemas import (
    MeUpdate,
    TeamCreate,
    TeamOut,
    TeamUpdate,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now

router = APIRouter(prefix="/api/v1", tags=["accounts"], dependencies=[Depends(csrf.protect)])


def _team_out(team: Team) -> TeamOut:
    return TeamOut(
        id=team.id,
        name=team.name,
        slug=team.slug,
        lead_id=team.lead_id,
        member_ids=[m.user_id for m in team.members],
    )


@router.get("/me", response_model=UserOut)
def read_me(principal: Viewer) -> UserOut:
    return UserOut.model_validate(principal.user)


@router.patch("/me", response_model=UserOut)
def update_me(body: MeUpdate, principal: Viewer, session: DbSession) -> UserOut:
    user = service.update_user(
        session, user=principal.user, display_name=body.display_name, time_zone=body.time_zone
    )
    return UserOut.model_validate(user)


@router.get("/users", response_model=list[UserOut])
def list_users(principal: Viewer, session: DbSession) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in service.list_users(session)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserCreate, principal: Admin, session: DbSession, now: Now) -> UserOut:
    user = service.create_user(
        session,
        email=body.email,
        display_name=body.display_name,
        time_zone=body.time_zone,
        role=body.role,
        password=body.password,
        now=now,
    )
    return UserOut.model_validate(user)


@router.get("/users/{user_id}", response_model=UserOut)
def read_user(user_id: int, principal: Viewer, session: DbSession) -> UserOut:
    return UserOut.model_validate(service.get_user(session, user_id))


@router.patch("/users/{user_id}", response_model=UserOut)
def update_user(user_id: int, body: UserUpdate, principal: Admin, session: DbSession) -> UserOut:
    user = service.get_user(session, user_id)
    user = service.update_user(
        session,
        user=user,
        display_name=body.display_name,
        time_zone=body.time_zone,
        role=body.role,
        is_active=body.is_active,
    )
    return UserOut.model_validate(user)


@router.get("/teams", response_model=list[TeamOut])
def list_teams(principal: Viewer, session: DbSession) -> list[TeamOut]:
    return [_team_out(t) for t in service.list_teams(session)]


@router.post("/teams", response_model=TeamOut, status_code=201)
def create_team(body: TeamCreate, principal: Admin, session: DbSession, now: Now) -> TeamOut:
    lead = service.get_user(session, body.lead_id) if body.lead_id is not None else None
    team = service.create_team(session, name=body.name, lead=lead, now=now)
    for user_id in body.member_ids:
        service.add_team_member(session, team=team, user=service.get_user(session, user_id))
    return _team_out(team)


@router.get("/teams/{team_id}", response_model=TeamOut)
def read_team(team_id: int, principal: Viewer, session: DbSession) -> TeamOut:
    return _team_out(service.get_team(session, team_id))


@router.patch("/teams/{team_id}", response_model=TeamOut)
def update_team(team_id: int, body: TeamUpdate, principal: Admin, session: DbSession) -> TeamOut:
    team = service.get_team(session, team_id)
    if "lead_id" in body.model_fields_set:
        lead = service.get_user(session, body.lead_id) if body.lead_id is not None else None
        service.set_team_lead(session, team=team, lead=lead)
    if body.member_ids is not None:
        wanted = {service.get_user(session, uid).id for uid in body.member_ids}
        for member in list(team.members):
            if member.user_id not in wanted:
                service.remove_team_member(session, team=team, user=member.user)
        for user_id in wanted:
            service.add_team_member(session, team=team, user=service.get_user(session, user_id))
    return _team_out(team)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(principal: Viewer, session: DbSession) -> list[TokenOut]:
    return [
        TokenOut.model_validate(t) for t in service.list_api_tokens(session, user=principal.user)
    ]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(
    body: TokenCreate, principal: Viewer, session: DbSession, now: Now
) -> TokenCreated:
    token, secret = service.create_api_token(
        session, user=principal.user, name=body.name, scope=body.scope, now=now
    )
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=secret)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: int, principal: Viewer, session: DbSession, now: Now) -> TokenOut:
    token = service.revoke_api_token(session, user=principal.user, token_id=token_id, now=now)
    return TokenOut.model_validate(token)
