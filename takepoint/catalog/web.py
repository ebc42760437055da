"""Service pages: the list, the page the on-call person opens at 07:40, readiness, and edits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from takepoint.accounts import service as accounts
from takepoint.accounts.auth import Admin, Viewer
from takepoint.accounts.models import Role
from takepoint.catalog import graph, readiness, runbooks
from takepoint.catalog import service as catalog
from takepoint.catalog.drawing import lay_out
from takepoint.catalog.models import Service
from takepoint.catalog.pages import PAGE_DEPENDENCIES, back
from takepoint.lib.deps import DbSession, Now
from takepoint.lib.errors import TakepointError
from takepoint.lib.numbers import is_digits
from takepoint.lib.templating import render

router = APIRouter(include_in_schema=False, dependencies=PAGE_DEPENDENCIES)

GRADES = ("bad", "warn", "ok")


def _optional_id(value: str) -> int | None:
    return int(value) if is_digits(value.strip()) else None


def _choices(session: Session) -> dict[str, Any]:
    return {
        "teams": accounts.list_teams(session),
        "users": [u for u in accounts.list_users(session) if u.is_active],
        "departments": catalog.list_departments(session),
        "tiers": list(catalog.TIERS),
    }


@router.get("/services")
def list_services(
    request: Request,
    principal: Viewer,
    session: DbSession,
    now: Now,
    q: Annotated[str, Query(max_length=200)] = "",
    team: Annotated[str, Query(max_length=20)] = "",
    tier: Annotated[str, Query(max_length=2)] = "",
    grade: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    team_id, tier_number = _optional_id(team), _optional_id(tier)
    found = catalog.list_services(session, search=q, team_id=team_id, tier=tier_number)
    scores = {
        r.service_id: r
        for r in readiness.audit(session, now=now, service_ids=[s.id for s in found])
    }
    if grade in GRADES:
        found = [s for s in found if scores[s.id].grade == grade]
    return render(
        request,
        "catalog/services.html",
        {
            "services": found,
            "scores": scores,
            "teams": accounts.list_teams(session),
            "filters": {"q": q, "team": team_id, "tier": tier_number, "grade": grade},
            "tiers": list(catalog.TIERS),
            "grades": GRADES,
        },
    )


@router.get("/services/new")
def new_service_page(request: Request, principal: Admin, session: DbSession) -> Response:
    return render(
        request,
        "catalog/service_form.html",
        {"service": None, "error": None, "form": {"tier": 3}, **_choices(session)},
    )


def _form_values(
    session: Session,
    *,
    team_id: str,
    tech_lead_id: str,
    backup_lead_id: str,
    department_ids: list[int],
) -> dict[str, Any]:
    team = _optional_id(team_id)
    tech, backup = _optional_id(tech_lead_id), _optional_id(backup_lead_id)
    return {
        "team": accounts.get_team(session, team) if team is not None else None,
        "tech_lead": accounts.get_user(session, tech) if tech is not None else None,
        "backup_lead": accounts.get_user(session, backup) if backup is not None else None,
        "departments": [catalog.get_department(session, i) for i in department_ids],
    }


@router.post("/services")
def create_service(
    request: Request,
    principal: Admin,
    session: DbSession,
    now: Now,
    slug: Annotated[str, Form(max_length=100)],
    name: Annotated[str, Form(max_length=200)],
    tier: Annotated[int, Form(ge=1, le=4)],
    description: Annotated[str, Form(max_length=10_000)] = "",
    team_id: Annotated[str, Form()] = "",
    tech_lead_id: Annotated[str, Form()] = "",
    backup_lead_id: Annotated[str, Form()] = "",
    stores_data: Annotated[bool, Form()] = False,
    department_ids: Annotated[list[int], Form()] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    try:
        refs = _form_values(
            session,
            team_id=team_id,
            tech_lead_id=tech_lead_id,
            backup_lead_id=backup_lead_id,
            department_ids=department_ids,
        )
        departments = refs.pop("departments")
        created = catalog.create_service(
            session,
            slug=slug,
            name=name,
            description=description,
            tier=tier,
            stores_data=stores_data,
            now=now,
            **refs,
        )
        catalog.set_service_departments(session, service=created, departments=departments, now=now)
    except TakepointError as exc:
        session.rollback()
        form = {
            "slug": slug,
            "name": name,
            "description": description,
            "tier": tier,
            "team_id": _optional_id(team_id),
            "tech_lead_id": _optional_id(tech_lead_id),
            "backup_lead_id": _optional_id(backup_lead_id),
            "stores_data": stores_data,
            "department_ids": department_ids,
        }
        return render(
            request,
            "catalog/service_form.html",
            {"service": None, "error": exc.message, "form": form, **_choices(session)},
            status_code=exc.status_code,
        )
    return back(f"/services/{created.slug}", f"Added {created.name}.")


@router.get("/services/{slug}")
def service_page(
    request: Request, slug: str, principal: Viewer, session: DbSession, now: Now
) -> Response:
    service = catalog.get_service(session, slug)
    hood = graph.neighbourhood(session, service=service)
    return render(
        request,
        "catalog/service.html",
        {
            "service": service,
            "readiness": readiness.service_readiness(session, service=service, now=now),
            "hood": hood,
            "drawing": lay_out(hood),
            "dependents": catalog.dependents_of(session, service=service),
            "stale": {r.id: runbooks.is_stale(r, now) for r in service.runbooks},
            "can_edit": principal.user.role is Role.ADMIN,
            "can_write_runbooks": principal.user.role.allows(Role.RESPONDER),
        },
    )


def _edit_context(session: Session, service: Service, error: str | None) -> dict[str, Any]:
    form = {
        "slug": service.slug,
        "name": service.name,
        "description": service.description,
        "tier": service.tier,
        "team_id": service.team_id,
        "tech_lead_id": service.tech_lead_id,
        "backup_lead_id": service.backup_lead_id,
        "stores_data": service.stores_data,
        "department_ids": [d.id for d in service.departments],
    }
    others = [s for s in catalog.list_services(session) if s.id != service.id]
    hosts = [h for h in catalog.list_hosts(session) if h.service_id != service.id]
    return {
        "service": service,
        "error": error,
        "form": form,
        "other_services": others,
        "other_hosts": hosts,
        **_choices(session),
    }


@router.get("/services/{slug}/edit")
def edit_service_page(
    request: Request, slug: str, principal: Admin, session: DbSession
) -> Response:
    service = catalog.get_service(session, slug)
    return render(request, "catalog/service_form.html", _edit_context(session, service, None))


@router.post("/services/{slug}/edit")
def edit_service(
    request: Request,
    slug: str,
    principal: Admin,
    session: DbSession,
    now: Now,
    name: Annotated[str, Form(max_length=200)],
    tier: Annotated[int, Form(ge=1, le=4)],
    description: Annotated[str, Form(max_length=10_000)] = "",
    team_id: Annotated[str, Form()] = "",
    tech_lead_id: Annotated[str, Form()] = "",
    backup_lead_id: Annotated[str, Form()] = "",
    stores_data: Annotated[bool, Form()] = False,
    department_ids: Annotated[list[int], Form()] = [],  # noqa: B006 (FastAPI copies it)
) -> Response:
    service = catalog.get_service(session, slug)
    try:
        refs = _form_values(
            session,
            team_id=team_id,
            tech_lead_id=tech_lead_id,
            backup_lead_id=backup_lead_id,
            department_ids=department_ids,
        )
        departments = refs.pop("departments")
        catalog.update_service(
            session,
            service=service,
            name=name,
            description=description,
            tier=tier,
            stores_data=stores_data,
            now=now,
            **refs,
        )
        catalog.set_service_departments(session, service=service, departments=departments, now=now)
    except TakepointError as exc:
        session.rollback()
        service = catalog.get_service(session, slug)
        return render(
            request,
            "catalog/service_form.html",
            _edit_context(session, service, exc.message),
            status_code=exc.status_code,
        )
    return back(f"/services/{service.slug}", f"Saved {service.name}.")


@router.post("/services/{slug}/delete")
def delete_service(slug: str, principal: Admin, session: DbSession) -> Response:
    service = catalog.get_service(session, slug)
    catalog.delete_service(session, service=service)
    return back("/services", f"Deleted {service.name}.")


# --- parts of a service (each a small form on the edit page) -----------------------------------


@router.post("/services/{slug}/hosts")
def add_host(
    slug: str,
    principal: Admin,
    session: DbSession,
    hostname: Annotated[str, Form(max_length=253)],
    role: Annotated[str, Form(max_length=200)] = "",
    notes: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    service = catalog.get_service(session, slug)
    host = catalog.add_host(session, service=service, hostname=hostname, role=role, notes=notes)
    return back(f"/services/{slug}/edit", f"Added host {host.hostname}.")


@router.post("/services/{slug}/hosts/{host_id}/delete")
def remove_host(slug: str, host_id: int, principal: Admin, session: DbSession) -> Response:
    host = catalog.get_host(session, host_id)
    catalog.remove_host(session, host=host)
    return back(f"/services/{slug}/edit", f"Removed host {host.hostname}.")


@router.post("/services/{slug}/dependencies")
def add_dependency(
    slug: str,
    principal: Admin,
    session: DbSession,
    target: Annotated[str, Form(max_length=300, pattern=r"^(service|host):\d+$")],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    service = catalog.get_service(session, slug)
    kind, _, ident = target.partition(":")
    if kind == "service":
        graph.add_dependency(
            session, service=service, on_service=catalog.get_service(session, ident), note=note
        )
    else:
        graph.add_dependency(
            session, service=service, on_host=catalog.get_host(session, ident), note=note
        )
    return back(f"/services/{slug}/edit", "Dependency added.")


@router.post("/services/{slug}/dependencies/{dependency_id}/delete")
def remove_dependency(
    slug: str, dependency_id: int, principal: Admin, session: DbSession
) -> Response:
    graph.remove_dependency(session, dependency=graph.get_dependency(session, dependency_id))
    return back(f"/services/{slug}/edit", "Dependency removed.")


@router.post("/services/{slug}/data")
def add_data_location(
    slug: str,
    principal: Admin,
    session: DbSession,
    store: Annotated[str, Form(max_length=200)],
    location: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    service = catalog.get_service(session, slug)
    catalog.add_data_location(session, service=service, store=store, location=location)
    return back(f"/services/{slug}/edit", f"Added data location {store}.")


@router.post("/services/{slug}/data/{location_id}/delete")
def remove_data_location(
    slug: str, location_id: int, principal: Admin, session: DbSession
) -> Response:
    catalog.remove_data_location(session, location=catalog.get_data_location(session, location_id))
    return back(f"/services/{slug}/edit", "Data location removed.")


@router.post("/services/{slug}/links")
def add_link(
    slug: str,
    principal: Admin,
    session: DbSession,
    title: Annotated[str, Form(max_length=200)],
    url: Annotated[str, Form(max_length=2000)],
) -> Response:
    service = catalog.get_service(session, slug)
    catalog.add_link(session, service=service, title=title, url=url)
    return back(f"/services/{slug}/edit", f"Added link {title}.")


@router.post("/services/{slug}/links/{link_id}/delete")
def remove_link(slug: str, link_id: int, principal: Admin, session: DbSession) -> Response:
    catalog.remove_link(session, link=catalog.get_link(session, link_id))
    return back(f"/services/{slug}/edit", "Link removed.")


# --- readiness ---------------------------------------------------------------------------------


@router.get("/readiness")
def readiness_page(request: Request, principal: Viewer, session: DbSession, now: Now) -> Response:
    report = readiness.audit(session, now=now)
    counts = {g: sum(1 for r in report if r.grade == g) for g in GRADES}
    return render(
        request,
        "catalog/readiness.html",
        {"report": report, "counts": counts, "checks": list(readiness.Check)},
    )


@router.get("/readiness/panel")
def readiness_panel(request: Request, principal: Viewer, session: DbSession, now: Now) -> Response:
    """The home page's "least ready" panel, loaded by htmx after the page."""
    report = [r for r in readiness.audit(session, now=now) if r.missing][:5]
    return render(request, "catalog/panel_readiness_body.html", {"report": report})
