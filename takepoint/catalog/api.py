"""The catalog API: services, their parts, departments, readiness, and the catalog file."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from takepoint.accounts import service as accounts
from takepoint.accounts.auth import Admin, Viewer
from takepoint.catalog import graph, readiness, runbooks
from takepoint.catalog import service as catalog
from takepoint.catalog.models import Department, Service
from takepoint.catalog.schemas import (
    ApplyResult,
    DataLocationIn,
    DataLocationOut,
    DepartmentCreate,
    DepartmentOut,
    DepartmentUpdate,
    DependencyIn,
    DependencyOut,
    GraphNode,
    GraphOut,
    HostBrief,
    HostIn,
    HostOut,
    HostUpdate,
    LinkIn,
    LinkOut,
    ReadinessOut,
    RunbookBrief,
    ServiceCreate,
    ServiceOut,
    ServiceRef,
    ServiceSummary,
    ServiceUpdate,
)
from takepoint.lib import apply, csrf
from takepoint.lib.deps import DbSession, Now, PathKey
from takepoint.lib.errors import PayloadTooLarge

router = APIRouter(prefix="/api/v1", tags=["catalog"], dependencies=[Depends(csrf.protect)])

MAX_FILE_BYTES = 5 * 1024 * 1024


def _readiness_out(item: readiness.ServiceReadiness) -> ReadinessOut:
    return ReadinessOut.model_validate(item.as_dict())


def service_out(session: Session, service: Service, now: datetime) -> ServiceOut:
    summary = ServiceSummary.model_validate(service)
    return ServiceOut(
        **summary.model_dump(),
        description=service.description,
        departments=[DepartmentOut.model_validate(d) for d in service.departments],
        hosts=[HostBrief.model_validate(h) for h in service.hosts],
        data_locations=[DataLocationOut.model_validate(d) for d in service.data_locations],
        links=[LinkOut.model_validate(link) for link in service.links],
        dependencies=[DependencyOut.model_validate(d) for d in service.dependencies],
        dependents=[
            ServiceRef.model_validate(s) for s in catalog.dependents_of(session, service=service)
        ],
        runbooks=[
            RunbookBrief(
                id=r.id,
                slug=r.slug,
                title=r.title,
                current_version=r.current_version,
                last_reviewed_at=r.last_reviewed_at,
                stale=runbooks.is_stale(r, now),
            )
            for r in service.runbooks
        ],
        readiness=_readiness_out(readiness.service_readiness(session, service=service, now=now)),
    )


def _user(session: Session, user_id: int | None) -> Any:
    return accounts.get_user(session, user_id) if user_id is not None else None


def _departments(session: Session, ids: list[int]) -> list[Department]:
    return [catalog.get_department(session, i) for i in ids]


# --- services ----------------------------------------------------------------------------------


@router.get("/services", response_model=list[ServiceSummary])
def list_services(
    principal: Viewer,
    session: DbSession,
    q: str = Query("", max_length=200, description="Matches name, slug, description, hosts."),
    team_id: int | None = None,
    tier: int | None = Query(None, ge=1, le=4),
) -> list[ServiceSummary]:
    found = catalog.list_services(session, search=q, team_id=team_id, tier=tier)
    return [ServiceSummary.model_validate(s) for s in found]


@router.post("/services", response_model=ServiceOut, status_code=201)
def create_service(
    body: ServiceCreate, principal: Admin, session: DbSession, now: Now
) -> ServiceOut:
    team = accounts.get_team(session, body.team_id) if body.team_id is not None else None
    created = catalog.create_service(
        session,
        slug=body.slug,
        name=body.name,
        description=body.description,
        tier=body.tier,
        team=team,
        tech_lead=_user(session, body.tech_lead_id),
        backup_lead=_user(session, body.backup_lead_id),
        stores_data=body.stores_data,
        now=now,
    )
    if body.department_ids:
        catalog.set_service_departments(
            session,
            service=created,
            departments=_departments(session, body.department_ids),
            now=now,
        )
    return service_out(session, catalog.get_service(session, created.id), now)


@router.get("/services/{service}", response_model=ServiceOut)
def read_service(service: PathKey, principal: Viewer, session: DbSession, now: Now) -> ServiceOut:
    """A service by slug or id, with everything the on-call person needs."""
    return service_out(session, catalog.get_service(session, service), now)


@router.patch("/services/{service}", response_model=ServiceOut)
def update_service(
    service: PathKey, body: ServiceUpdate, principal: Admin, session: DbSession, now: Now
) -> ServiceOut:
    found = catalog.get_service(session, service)
    given = body.model_fields_set
    changes: dict[str, Any] = {
        name: getattr(body, name)
        for name in ("name", "description", "tier", "stores_data")
        if name in given and getattr(body, name) is not None
    }
    if "team_id" in given:
        changes["team"] = (
            accounts.get_team(session, body.team_id) if body.team_id is not None else None
        )
    if "tech_lead_id" in given:
        changes["tech_lead"] = _user(session, body.tech_lead_id)
    if "backup_lead_id" in given:
        changes["backup_lead"] = _user(session, body.backup_lead_id)
    catalog.update_service(session, service=found, now=now, **changes)
    if body.department_ids is not None:
        catalog.set_service_departments(
            session, service=found, departments=_departments(session, body.department_ids), now=now
        )
    return service_out(session, catalog.get_service(session, found.id), now)


@router.delete("/services/{service}", status_code=204)
def delete_service(service: PathKey, principal: Admin, session: DbSession) -> Response:
    catalog.delete_service(session, service=catalog.get_service(session, service))
    return Response(status_code=204)


@router.get("/services/{service}/graph", response_model=GraphOut)
def service_graph(
    service: PathKey,
    principal: Viewer,
    session: DbSession,
    hops: int = Query(2, ge=1, le=6),
) -> GraphOut:
    """What the service needs (upstream, negative depth) and what needs it (downstream)."""
    found = graph.neighbourhood(session, service=catalog.get_service(session, service), hops=hops)
    return GraphOut(
        centre=found.centre.key,
        nodes=[GraphNode(key=n.key, label=n.label, depth=n.depth) for n in found.nodes],
        edges=found.edges,
    )


# --- hosts, dependencies, data locations, links ------------------------------------------------


@router.get("/hosts", response_model=list[HostOut])
def list_hosts(principal: Viewer, session: DbSession) -> list[HostOut]:
    return [HostOut.model_validate(h) for h in catalog.list_hosts(session)]


@router.post("/services/{service}/hosts", response_model=HostOut, status_code=201)
def add_host(service: PathKey, body: HostIn, principal: Admin, session: DbSession) -> HostOut:
    host = catalog.add_host(
        session,
        service=catalog.get_service(session, service),
        hostname=body.hostname,
        role=body.role,
        notes=body.notes,
    )
    return HostOut.model_validate(host)


@router.patch("/hosts/{host}", response_model=HostOut)
def update_host(host: PathKey, body: HostUpdate, principal: Admin, session: DbSession) -> HostOut:
    found = catalog.get_host(session, host)
    changes: dict[str, Any] = {}
    if body.role is not None:
        changes["role"] = body.role
    if body.notes is not None:
        changes["notes"] = body.notes
    if body.service_id is not None:
        changes["service"] = catalog.get_service(session, body.service_id)
    return HostOut.model_validate(catalog.update_host(session, host=found, **changes))


@router.delete("/hosts/{host}", status_code=204)
def remove_host(host: PathKey, principal: Admin, session: DbSession) -> Response:
    catalog.remove_host(session, host=catalog.get_host(session, host))
    return Response(status_code=204)


@router.post("/services/{service}/dependencies", response_model=DependencyOut, status_code=201)
def add_dependency(
    service: PathKey, body: DependencyIn, principal: Admin, session: DbSession
) -> DependencyOut:
    """Refused with 422, naming the cycle, when it would make the graph circular."""
    found = catalog.get_service(session, service)
    on_service = (
        catalog.get_service(session, body.depends_on_service_id)
        if body.depends_on_service_id is not None
        else None
    )
    on_host = (
        catalog.get_host(session, body.depends_on_host_id)
        if body.depends_on_host_id is not None
        else None
    )
    dependency = graph.add_dependency(
        session, service=found, on_service=on_service, on_host=on_host, note=body.note
    )
    return DependencyOut.model_validate(dependency)


@router.delete("/dependencies/{dependency_id}", status_code=204)
def remove_dependency(dependency_id: int, principal: Admin, session: DbSession) -> Response:
    graph.remove_dependency(session, dependency=graph.get_dependency(session, dependency_id))
    return Response(status_code=204)


@router.post("/services/{service}/data-locations", response_model=DataLocationOut, status_code=201)
def add_data_location(
    service: PathKey, body: DataLocationIn, principal: Admin, session: DbSession
) -> DataLocationOut:
    row = catalog.add_data_location(
        session,
        service=catalog.get_service(session, service),
        store=body.store,
        location=body.location,
    )
    return DataLocationOut.model_validate(row)


@router.delete("/data-locations/{location_id}", status_code=204)
def remove_data_location(location_id: int, principal: Admin, session: DbSession) -> Response:
    catalog.remove_data_location(session, location=catalog.get_data_location(session, location_id))
    return Response(status_code=204)


@router.post("/services/{service}/links", response_model=LinkOut, status_code=201)
def add_link(service: PathKey, body: LinkIn, principal: Admin, session: DbSession) -> LinkOut:
    link = catalog.add_link(
        session, service=catalog.get_service(session, service), title=body.title, url=body.url
    )
    return LinkOut.model_validate(link)


@router.delete("/links/{link_id}", status_code=204)
def remove_link(link_id: int, principal: Admin, session: DbSession) -> Response:
    catalog.remove_link(session, link=catalog.get_link(session, link_id))
    return Response(status_code=204)


# --- departments -------------------------------------------------------------------------------


@router.get("/departments", response_model=list[DepartmentOut])
def list_departments(principal: Viewer, session: DbSession) -> list[DepartmentOut]:
    return [DepartmentOut.model_validate(d) for d in catalog.list_departments(session)]


@router.post("/departments", response_model=DepartmentOut, status_code=201)
def create_department(
    body: DepartmentCreate, principal: Admin, session: DbSession, now: Now
) -> DepartmentOut:
    department = catalog.create_department(
        session,
        slug=body.slug,
        name=body.name,
        do_not_disrupt=body.do_not_disrupt,
        notes=body.notes,
        now=now,
    )
    catalog.set_contacts(
        session,
        department=department,
        contacts=[catalog.ContactInput(**c.model_dump()) for c in body.contacts],
        now=now,
    )
    return DepartmentOut.model_validate(department)


@router.get("/departments/{department}", response_model=DepartmentOut)
def read_department(department: PathKey, principal: Viewer, session: DbSession) -> DepartmentOut:
    return DepartmentOut.model_validate(catalog.get_department(session, department))


@router.patch("/departments/{department}", response_model=DepartmentOut)
def update_department(
    department: PathKey, body: DepartmentUpdate, principal: Admin, session: DbSession, now: Now
) -> DepartmentOut:
    found = catalog.get_department(session, department)
    changes = {
        name: getattr(body, name)
        for name in ("name", "do_not_disrupt", "notes")
        if getattr(body, name) is not None
    }
    catalog.update_department(session, department=found, now=now, **changes)
    if body.contacts is not None:
        catalog.set_contacts(
            session,
            department=found,
            contacts=[catalog.ContactInput(**c.model_dump()) for c in body.contacts],
            now=now,
        )
    return DepartmentOut.model_validate(found)


@router.delete("/departments/{department}", status_code=204)
def delete_department(department: PathKey, principal: Admin, session: DbSession) -> Response:
    catalog.delete_department(session, department=catalog.get_department(session, department))
    return Response(status_code=204)


# --- readiness and the catalog file ------------------------------------------------------------


@router.get("/readiness", response_model=list[ReadinessOut])
def read_readiness(principal: Viewer, session: DbSession, now: Now) -> list[ReadinessOut]:
    """Every service's readiness, worst first."""
    return [_readiness_out(item) for item in readiness.audit(session, now=now)]


@router.get(
    "/catalog/export",
    response_class=Response,
    responses={200: {"content": {"application/yaml": {}}}},
)
def export_catalog(principal: Viewer, session: DbSession) -> Response:
    """The whole catalog as a file that `takepoint apply` (or POST /catalog/apply) reads."""
    return Response(apply.export_text(session), media_type="application/yaml")


@router.post(
    "/catalog/apply",
    response_model=ApplyResult,
    responses={
        413: {"description": "The file is larger than the limit."},
        422: {"description": "The file has errors; each has a line and a message."},
    },
)
def apply_catalog(
    body: Annotated[bytes, Body(media_type="application/yaml")],
    principal: Admin,
    session: DbSession,
    now: Now,
    dry_run: Annotated[bool, Query()] = False,
    prune: Annotated[bool, Query()] = False,
    filename: Annotated[str, Query(max_length=200)] = "catalog.yaml",
) -> Response:
    """Apply a catalog file (the body, as YAML): all of it, or nothing when it has errors."""
    if len(body) > MAX_FILE_BYTES:
        raise PayloadTooLarge(f"a catalog file is at most {MAX_FILE_BYTES // 1024 // 1024} MB")
    try:
        plan = apply.apply_text(
            session,
            text=body.decode("utf-8", errors="replace"),
            filename=filename,
            now=now,
            prune=prune,
            dry_run=dry_run,
        )
    except apply.ApplyRejected as exc:
        return JSONResponse(
            {
                "detail": exc.message,
                "field": "file",
                "problems": [{"line": p.line, "message": p.message} for p in exc.problems],
            },
            status_code=422,
        )
    return JSONResponse(plan.as_dict())
