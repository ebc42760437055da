"""Escalation policy editor: levels, targets, and which services follow the policy."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Admin, Viewer
from takepoint.accounts.service import list_teams, list_users
from takepoint.catalog import service as catalog
from takepoint.incidents import policies
from takepoint.incidents.models import ServicePaging, TargetKind
from takepoint.lib import csrf
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.errors import InvalidInput
from takepoint.lib.numbers import is_digits
from takepoint.lib.templating import render
from takepoint.oncall.service import list_schedules

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])


def _back(policy_id: int, message: str) -> RedirectResponse:
    return RedirectResponse(
        f"/escalation-policies/{policy_id}?flash={quote(message)}", status_code=303
    )


def _target(kind: TargetKind, ref: str) -> policies.TargetSpec:
    number = int(ref) if is_digits(ref) else None
    if kind in (TargetKind.SCHEDULE, TargetKind.USER) and number is None:
        raise InvalidInput(f"choose which {kind.value} to page", field="ref")
    return policies.TargetSpec(
        kind=kind,
        schedule_id=number if kind is TargetKind.SCHEDULE else None,
        user_id=number if kind is TargetKind.USER else None,
        team_id=number if kind is TargetKind.TEAM_LEAD else None,
    )


def _choices(session: DbSession) -> dict[str, object]:
    return {
        "schedules": list_schedules(session),
        "users": [u for u in list_users(session) if u.is_active],
        "teams": list_teams(session),
        "kinds": list(TargetKind),
    }


@router.get("/escalation-policies")
def policy_list(request: Request, principal: Viewer, session: DbSession) -> Response:
    return render(
        request,
        "incidents/policies.html",
        {"policies": policies.list_policies(session), **_choices(session)},
    )


@router.post("/escalation-policies")
def create_policy(
    principal: Admin,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=200)],
    delay_minutes: Annotated[int, Form(ge=0, le=1440)],
    kind: Annotated[TargetKind, Form()],
    ref: Annotated[str, Form()] = "",
    repeat: Annotated[int, Form(ge=0, le=10)] = 0,
    no_progress_minutes: Annotated[int, Form(ge=5, le=1440)] = 30,
) -> Response:
    policy = policies.create_policy(
        session,
        name=name,
        repeat=repeat,
        no_progress_minutes=no_progress_minutes,
        levels=[policies.LevelSpec(delay_minutes=delay_minutes, targets=[_target(kind, ref)])],
        now=now,
    )
    return _back(policy.id, f"Created {policy.name}.")


@router.get("/escalation-policies/{policy_id}")
def policy_page(
    request: Request, policy_id: int, principal: Viewer, session: DbSession
) -> Response:
    policy = policies.get_policy(session, policy_id)
    using = session.scalars(select(ServicePaging).where(ServicePaging.policy_id == policy.id)).all()
    return render(
        request,
        "incidents/policy.html",
        {
            "policy": policy,
            "labels": {
                t.id: policies.target_label(session, t) for lv in policy.levels for t in lv.targets
            },
            "using": using,
            "services": catalog.list_services(session),
            **_choices(session),
        },
    )


@router.post("/escalation-policies/{policy_id}/levels")
def add_level(
    policy_id: int,
    principal: Admin,
    session: DbSession,
    delay_minutes: Annotated[int, Form(ge=0, le=1440)],
    kind: Annotated[TargetKind, Form()],
    ref: Annotated[str, Form()] = "",
    position: Annotated[str, Form()] = "",
) -> Response:
    policy = policies.get_policy(session, policy_id)
    specs = policies.level_specs(policy.levels)
    if is_digits(position) and int(position) < len(specs):
        # An existing level gets another target, paged together with the others.
        level = specs[int(position)]
        level.targets.append(_target(kind, ref))
    else:
        specs.append(policies.LevelSpec(delay_minutes=delay_minutes, targets=[_target(kind, ref)]))
    policies.update_policy(session, policy=policy, levels=specs)
    return _back(policy_id, "Policy saved. Open incidents keep the policy they started with.")


@router.post("/escalation-policies/{policy_id}/levels/{index}/remove")
def remove_level(policy_id: int, index: int, principal: Admin, session: DbSession) -> Response:
    policy = policies.get_policy(session, policy_id)
    specs = policies.level_specs(policy.levels)
    if not 0 <= index < len(specs):
        raise InvalidInput(f"there is no level {index + 1}", field="index")
    del specs[index]
    policies.update_policy(session, policy=policy, levels=specs)
    return _back(policy_id, f"Level {index + 1} removed.")


@router.post("/escalation-policies/{policy_id}/settings")
def update_settings(
    policy_id: int,
    principal: Admin,
    session: DbSession,
    repeat: Annotated[int, Form(ge=0, le=10)],
    no_progress_minutes: Annotated[int, Form(ge=5, le=1440)],
) -> Response:
    policy = policies.get_policy(session, policy_id)
    policies.update_policy(
        session, policy=policy, repeat=repeat, no_progress_minutes=no_progress_minutes
    )
    return _back(policy_id, "Policy saved.")


@router.post("/escalation-policies/{policy_id}/services")
def assign_service(
    policy_id: int,
    principal: Admin,
    session: DbSession,
    service: Annotated[str, Form()],
) -> Response:
    policy = policies.get_policy(session, policy_id)
    target = catalog.get_service(session, service)
    current = policies.paging_for(session, target)
    if current is None:
        policies.set_service_paging(session, service=target, policy=policy)
    else:
        current.policy_id = policy.id
    return _back(policy_id, f"{target.name} now pages through {policy.name}.")
