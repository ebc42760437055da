"""Request and response bodies of the catalog API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from takepoint.catalog.models import StepKind


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserRef(_Out):
    id: int
    email: str
    display_name: str
    is_active: bool


class TeamRef(_Out):
    id: int
    slug: str
    name: str


class DepartmentRef(_Out):
    id: int
    slug: str
    name: str


class ServiceRef(_Out):
    id: int
    slug: str
    name: str
    tier: int


# --- departments -------------------------------------------------------------------------------


class ContactIn(_In):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=64)
    email: str = Field(default="", max_length=254)
    hours: str = Field(default="", max_length=200)


class ContactOut(_Out):
    id: int
    name: str
    role: str
    phone: str
    email: str
    hours: str


class DepartmentCreate(_In):
    slug: str = Field(max_length=100)
    name: str = Field(min_length=1, max_length=200)
    do_not_disrupt: str = Field(default="", max_length=2000)
    notes: str = Field(default="", max_length=10_000)
    contacts: list[ContactIn] = Field(default_factory=list)


class DepartmentUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    do_not_disrupt: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=10_000)
    contacts: list[ContactIn] | None = Field(
        default=None, description="Replaces every contact when given."
    )


class DepartmentOut(_Out):
    id: int
    slug: str
    name: str
    do_not_disrupt: str
    notes: str
    contacts: list[ContactOut]


# --- services and their parts ------------------------------------------------------------------


class HostIn(_In):
    hostname: str = Field(max_length=253)
    role: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=10_000)


class HostUpdate(_In):
    role: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=10_000)
    service_id: int | None = Field(default=None, description="Move the host to this service.")


class HostOut(_Out):
    id: int
    hostname: str
    role: str
    notes: str
    service: ServiceRef


class HostBrief(_Out):
    id: int
    hostname: str
    role: str
    notes: str


class DataLocationIn(_In):
    store: str = Field(min_length=1, max_length=200)
    location: str = Field(default="", max_length=10_000)


class DataLocationOut(_Out):
    id: int
    store: str
    location: str


class LinkIn(_In):
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(max_length=2000)


class LinkOut(_Out):
    id: int
    title: str
    url: str


class DependencyIn(_In):
    depends_on_service_id: int | None = None
    depends_on_host_id: int | None = None
    note: str = Field(default="", max_length=500)


class DependencyOut(_Out):
    id: int
    depends_on_service: ServiceRef | None
    depends_on_host: HostBrief | None
    note: str


class ServiceCreate(_In):
    slug: str = Field(max_length=100)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    tier: int = Field(default=3, ge=1, le=4)
    team_id: int | None = None
    tech_lead_id: int | None = None
    backup_lead_id: int | None = None
    stores_data: bool = False
    department_ids: list[int] = Field(default_factory=list)


class ServiceUpdate(_In):
    """Fields left out stay as they are; null clears a team or a lead."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    tier: int | None = Field(default=None, ge=1, le=4)
    team_id: int | None = None
    tech_lead_id: int | None = None
    backup_lead_id: int | None = None
    stores_data: bool | None = None
    department_ids: list[int] | None = None


class ReadinessOut(BaseModel):
    service: str
    name: str
    tier: int
    team: str | None
    score: int = Field(description="0-100; checks that are not configured are left out.")
    grade: str = Field(description="ok, warn or bad (bad: a critical service with a gap).")
    missing: list[str]
    checks: dict[str, str] = Field(description="Each check: pass, fail, not configured, ...")


class RunbookBrief(_Out):
    id: int
    slug: str
    title: str
    current_version: int
    last_reviewed_at: datetime
    stale: bool


class ServiceSummary(_Out):
    id: int
    slug: str
    name: str
    tier: int
    team: TeamRef | None
    tech_lead: UserRef | None
    backup_lead: UserRef | None
    stores_data: bool


class ServiceOut(ServiceSummary):
    description: str
    departments: list[DepartmentOut]
    hosts: list[HostBrief]
    data_locations: list[DataLocationOut]
    links: list[LinkOut]
    dependencies: list[DependencyOut]
    dependents: list[ServiceRef]
    runbooks: list[RunbookBrief]
    readiness: ReadinessOut


class GraphNode(BaseModel):
    key: str
    label: str
    depth: int = Field(description="Negative: what it needs (upstream); positive: who needs it.")


class GraphOut(BaseModel):
    centre: str
    nodes: list[GraphNode]
    edges: list[tuple[str, str]] = Field(description="(needer, needed) pairs of node keys.")


# --- runbooks ----------------------------------------------------------------------------------


class StepIn(_In):
    kind: StepKind = StepKind.PLAIN
    text: str = Field(min_length=1, max_length=2000)
    confirm_department_id: int | None = Field(
        default=None, description="Disruptive steps: the department whose confirmation it needs."
    )


class StepOut(_Out):
    id: int
    position: int
    kind: StepKind
    text: str
    confirm_department: DepartmentRef | None


class RunbookIn(_In):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=100_000, description="Markdown.")
    steps: list[StepIn] = Field(default_factory=list)
    summary: str = Field(default="", max_length=300, description="What changed, for the history.")


class RunbookCreate(RunbookIn):
    slug: str | None = Field(default=None, max_length=100, description="Made from the title.")


class VersionOut(_Out):
    number: int
    title: str
    body: str
    summary: str
    author: UserRef | None
    created_at: datetime
    steps: list[StepOut]


class VersionBrief(_Out):
    number: int
    title: str
    summary: str
    author: UserRef | None
    created_at: datetime


class RunbookOut(BaseModel):
    id: int
    service: ServiceRef
    slug: str
    current_version: int
    last_reviewed_at: datetime
    last_reviewed_by: UserRef | None
    stale: bool
    current: VersionOut


class ApplyResult(BaseModel):
    file: str
    applied: bool
    summary: str
    changes: list[dict[str, object]]
