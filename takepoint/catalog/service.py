"""Services, departments, hosts, data locations and links: what runs where and who owns it."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Team, User
from takepoint.catalog.models import (
    DataLocation,
    Department,
    DepartmentContact,
    Dependency,
    Host,
    Runbook,
    RunbookStep,
    RunbookVersion,
    Service,
    ServiceLink,
)
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
from takepoint.lib.numbers import is_digits
from takepoint.lib.removal import remove

# Slugs start with a letter so that a path segment of digits can only ever be an id.
SLUG = re.compile(r"^[a-z][a-z0-9-]{0,99}$")
HOSTNAME = re.compile(r"^[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?$")
LINK_SCHEMES = frozenset({"http", "https", "ssh", "rdp", "smb", "vnc", "mailto", "tel"})
TIERS = range(1, 5)
# Path segments that name pages (/services/new), so nothing can take them as its slug.
RESERVED_SLUGS = frozenset({"new"})


class _Unset(enum.Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET
"""Marks an argument that was not given, so `None` can mean "clear this"."""


def check_slug(slug: str, field: str = "slug") -> str:
    slug = slug.strip()
    if not SLUG.match(slug):
        raise InvalidInput(
            f"{slug!r} is not a slug: lowercase letters, digits and dashes, starting with a letter",
            field=field,
        )
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"{slug!r} names a page; choose another slug", field=field)
    return slug


def check_hostname(hostname: str, field: str = "hostname") -> str:
    hostname = hostname.strip().lower()
    if not HOSTNAME.match(hostname):
        raise InvalidInput(
            f"{hostname!r} is not a host name: letters, digits, dots, dashes and underscores",
            field=field,
        )
    return hostname


def check_url(url: str, field: str = "url") -> str:
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    # Links are clicked by tired people at night; a javascript: URL must never be one of them.
    if scheme not in LINK_SCHEMES:
        allowed = ", ".join(sorted(LINK_SCHEMES))
        raise InvalidInput(f"{url!r} needs a scheme, one of {allowed}", field=field)
    return url


def check_tier(tier: int) -> int:
    if tier not in TIERS:
        raise InvalidInput(f"the tier is 1 (most critical) to 4, not {tier}", field="tier")
    return tier


def _required_text(value: str, field: str, limit: int = 200) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"the {field.replace('_', ' ')} is empty", field=field)
    if len(value) > limit:
        raise InvalidInput(f"the {field.replace('_', ' ')} is over {limit} characters", field=field)
    return value


def _check_leads(tech_lead: User | None, backup_lead: User | None) -> None:
    if tech_lead is not None and backup_lead is not None and tech_lead.id == backup_lead.id:
        raise InvalidInput(
            f"the backup lead must be someone other than the technical lead "
            f"({tech_lead.display_name}); a backup who is the same person is no backup",
            field="backup_lead",
        )


# --- services ----------------------------------------------------------------------------------


def service_query() -> Select[Service]:
    return select(Service).options(
        selectinload(Service.team),
        selectinload(Service.tech_lead),
        selectinload(Service.backup_lead),
        selectinload(Service.departments).selectinload(Department.contacts),
        selectinload(Service.hosts),
        selectinload(Service.data_locations),
        selectinload(Service.links),
        selectinload(Service.dependencies).selectinload(Dependency.depends_on_service),
        selectinload(Service.dependencies)
        .selectinload(Dependency.depends_on_host)
        .selectinload(Host.service),
        selectinload(Service.runbooks),
    )


def get_service(session: Session, key: str | int) -> Service:
    """A service by id or slug (slugs start with a letter, so digits are always an id)."""
    query = service_query()
    text = str(key).strip()
    query = (
        query.where(Service.id == int(text))
        if is_digits(text)
        else query.where(Service.slug == text)
    )
    service = session.scalar(query)
    if service is None:
        raise NotFound(f"no service {text!r}", field="service")
    return service


def list_services(
    session: Session, *, search: str = "", team_id: int | None = None, tier: int | None = None
) -> list[Service]:
    query = select(Service).options(
        selectinload(Service.team), selectinload(Service.tech_lead), selectinload(Service.hosts)
    )
    if search.strip():
        pattern = f"%{search.strip().lower()}%"
        host_match = select(Host.service_id).where(func.lower(Host.hostname).like(pattern))
        query = query.where(
            or_(
                func.lower(Service.name).like(pattern),
                func.lower(Service.slug).like(pattern),
                func.lower(Service.description).like(pattern),
                Service.id.in_(host_match),
            )
        )
    if team_id is not None:
        query = query.where(Service.team_id == team_id)
    if tier is not None:
        query = query.where(Service.tier == tier)
    return list(session.scalars(query.order_by(Service.tier, Service.name)))


def create_service(
    session: Session,
    *,
    slug: str,
    name: str,
    now: datetime,
    description: str = "",
    tier: int = 3,
    team: Team | None = None,
    tech_lead: User | None = None,
    backup_lead: User | None = None,
    stores_data: bool = False,
) -> Service:
    slug = check_slug(slug)
    if session.scalar(select(Service.id).where(Service.slug == slug)) is not None:
        raise Conflict(f"a service with slug {slug!r} already exists", field="slug")
    _check_leads(tech_lead, backup_lead)
    service = Service(
        slug=slug,
        name=_required_text(name, "name"),
        description=description.strip(),
        tier=check_tier(tier),
        team=team,
        tech_lead=tech_lead,
        backup_lead=backup_lead,
        stores_data=stores_data,
        created_at=now,
        updated_at=now,
    )
    session.add(service)
    session.flush()
    return service


def update_service(
    session: Session,
    *,
    service: Service,
    now: datetime,
    name: str | _Unset = UNSET,
    description: str | _Unset = UNSET,
    tier: int | _Unset = UNSET,
    team: Team | _Unset | None = UNSET,
    tech_lead: User | _Unset | None = UNSET,
    backup_lead: User | _Unset | None = UNSET,
    stores_data: bool | _Unset = UNSET,
) -> Service:
    """Change the fields that are given; `None` clears a team or a lead."""
    _check_leads(
        service.tech_lead if tech_lead is UNSET else tech_lead,
        service.backup_lead if backup_lead is UNSET else backup_lead,
    )
    if name is not UNSET:
        service.name = _required_text(name, "name")
    if description is not UNSET:
        service.description = description.strip()
    if tier is not UNSET:
        service.tier = check_tier(tier)
    if team is not UNSET:
        service.team = team
    if tech_lead is not UNSET:
        service.tech_lead = tech_lead
    if backup_lead is not UNSET:
        service.backup_lead = backup_lead
    if stores_data is not UNSET:
        service.stores_data = stores_data
    service.updated_at = now
    session.flush()
    return service


def delete_service(session: Session, *, service: Service) -> None:
    dependents = dependents_of(session, service=service)
    if dependents:
        names = ", ".join(s.slug for s in dependents)
        raise Conflict(
            f"{names} depend{'s' if len(dependents) == 1 else ''} on {service.slug}; "
            "remove those dependencies first",
            field="service",
        )
    remove(session, service, what=f"service {service.slug}", field="service")


def dependents_of(session: Session, *, service: Service) -> list[Service]:
    """Other services that depend on this one, directly or through one of its hosts."""
    host_ids = select(Host.id).where(Host.service_id == service.id)
    query = (
        select(Service)
        .join(Dependency, Dependency.service_id == Service.id)
        .where(
            Service.id != service.id,
            or_(
                Dependency.depends_on_service_id == service.id,
                Dependency.depends_on_host_id.in_(host_ids),
            ),
        )
        .distinct()
        .order_by(Service.slug)
    )
    return list(session.scalars(query))


def set_service_departments(
    session: Session, *, service: Service, departments: Sequence[Department], now: datetime
) -> None:
    service.departments = sorted({d.id: d for d in departments}.values(), key=lambda d: d.name)
    service.updated_at = now
    session.flush()


# --- hosts -------------------------------------------------------------------------------------


def get_host(session: Session, key: str | int) -> Host:
    text = str(key).strip()
    query = select(Host).options(selectinload(Host.service))
    query = (
        query.where(Host.id == int(text))
        if is_digits(text)
        else query.where(Host.hostname == text.lower())
    )
    host = session.scalar(query)
    if host is None:
        raise NotFound(f"no host {text!r}", field="host")
    return host


def list_hosts(session: Session) -> list[Host]:
    return list(
        session.scalars(select(Host).options(selectinload(Host.service)).order_by(Host.hostname))
    )


def add_host(
    session: Session, *, service: Service, hostname: str, role: str = "", notes: str = ""
) -> Host:
    hostname = check_hostname(hostname)
    owner = session.scalar(
        select(Service.slug)
        .join(Host, Host.service_id == Service.id)
        .where(Host.hostname == hostname)
    )
    if owner is not None:
        raise Conflict(f"host {hostname} already belongs to {owner}", field="hostname")
    host = Host(service=service, hostname=hostname, role=role.strip()[:200], notes=notes.strip())
    session.add(host)
    session.flush()
    return host


def update_host(
    session: Session,
    *,
    host: Host,
    role: str | _Unset = UNSET,
    notes: str | _Unset = UNSET,
    service: Service | _Unset = UNSET,
) -> Host:
    if role is not UNSET:
        host.role = role.strip()[:200]
    if notes is not UNSET:
        host.notes = notes.strip()
    if service is not UNSET:
        host.service = service
    session.flush()
    return host


def remove_host(session: Session, *, host: Host) -> None:
    users = list(
        session.scalars(
            select(Service.slug)
            .join(Dependency, Dependency.service_id == Service.id)
            .where(Dependency.depends_on_host_id == host.id)
            .order_by(Service.slug)
        )
    )
    if users:
        raise Conflict(
            f"{', '.join(users)} depend{'s' if len(users) == 1 else ''} on host "
            f"{host.hostname}; remove those dependencies first",
            field="host",
        )
    session.delete(host)
    session.flush()


# --- data locations and links ------------------------------------------------------------------


def add_data_location(
    session: Session, *, service: Service, store: str, location: str
) -> DataLocation:
    row = DataLocation(
        service=service,
        store=_required_text(store, "store"),
        location=location.strip(),
        position=len(service.data_locations),
    )
    session.add(row)
    session.flush()
    return row


def get_data_location(session: Session, location_id: int) -> DataLocation:
    row = session.get(DataLocation, location_id)
    if row is None:
        raise NotFound(f"no data location with id {location_id}")
    return row


def remove_data_location(session: Session, *, location: DataLocation) -> None:
    session.delete(location)
    session.flush()


def add_link(session: Session, *, service: Service, title: str, url: str) -> ServiceLink:
    link = ServiceLink(
        service=service,
        title=_required_text(title, "title"),
        url=check_url(url),
        position=len(service.links),
    )
    session.add(link)
    session.flush()
    return link


def get_link(session: Session, link_id: int) -> ServiceLink:
    link = session.get(ServiceLink, link_id)
    if link is None:
        raise NotFound(f"no link with id {link_id}")
    return link


def remove_link(session: Session, *, link: ServiceLink) -> None:
    session.delete(link)
    session.flush()


# --- departments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactInput:
    name: str
    role: str = ""
    phone: str = ""
    email: str = ""
    hours: str = ""


def get_department(session: Session, key: str | int) -> Department:
    text = str(key).strip()
    query = select(Department).options(selectinload(Department.contacts))
    query = (
        query.where(Department.id == int(text))
        if is_digits(text)
        else query.where(Department.slug == text)
    )
    department = session.scalar(query)
    if department is None:
        raise NotFound(f"no department {text!r}", field="department")
    return department


def list_departments(session: Session) -> list[Department]:
    return list(
        session.scalars(
            select(Department).options(selectinload(Department.contacts)).order_by(Department.name)
        )
    )


def create_department(
    session: Session,
    *,
    slug: str,
    name: str,
    now: datetime,
    do_not_disrupt: str = "",
    notes: str = "",
) -> Department:
    slug = check_slug(slug)
    if session.scalar(select(Department.id).where(Department.slug == slug)) is not None:
        raise Conflict(f"a department with slug {slug!r} already exists", field="slug")
    department = Department(
        slug=slug,
        name=_required_text(name, "name"),
        do_not_disrupt=do_not_disrupt.strip(),
        notes=notes.strip(),
        created_at=now,
        updated_at=now,
    )
    session.add(department)
    session.flush()
    return department


def update_department(
    session: Session,
    *,
    department: Department,
    now: datetime,
    name: str | _Unset = UNSET,
    do_not_disrupt: str | _Unset = UNSET,
    notes: str | _Unset = UNSET,
) -> Department:
    if name is not UNSET:
        department.name = _required_text(name, "name")
    if do_not_disrupt is not UNSET:
        department.do_not_disrupt = do_not_disrupt.strip()
    if notes is not UNSET:
        department.notes = notes.strip()
    department.updated_at = now
    session.flush()
    return department


def runbooks_needing(session: Session, *, department: Department) -> list[Runbook]:
    """Runbooks whose current version has a disruptive step needing this department's word."""
    query = (
        select(Runbook)
        .options(selectinload(Runbook.service))
        .join(RunbookVersion, RunbookVersion.runbook_id == Runbook.id)
        .join(RunbookStep, RunbookStep.version_id == RunbookVersion.id)
        .where(
            RunbookVersion.number == Runbook.current_version,
            RunbookStep.confirm_department_id == department.id,
        )
        .distinct()
        .order_by(Runbook.title)
    )
    return list(session.scalars(query))


def delete_department(session: Session, *, department: Department) -> None:
    needing = runbooks_needing(session, department=department)
    if needing:
        names = ", ".join(f"{r.service.slug}/{r.slug}" for r in needing)
        raise Conflict(
            f"runbooks {names} need {department.name}'s confirmation for a disruptive step; "
            "change those steps first",
            field="department",
        )
    session.delete(department)
    session.flush()


def _contact(data: ContactInput, position: int) -> DepartmentContact:
    email = data.email.strip().lower()
    if email and "@" not in email:
        raise InvalidInput(f"{email!r} is not an email address", field="email")
    return DepartmentContact(
        position=position,
        name=_required_text(data.name, "name"),
        role=data.role.strip()[:200],
        phone=data.phone.strip()[:64],
        email=email,
        hours=data.hours.strip()[:200],
    )


def add_contact(
    session: Session, *, department: Department, contact: ContactInput, now: datetime
) -> DepartmentContact:
    row = _contact(contact, len(department.contacts))
    department.contacts.append(row)
    department.updated_at = now
    session.flush()
    return row


def set_contacts(
    session: Session, *, department: Department, contacts: Sequence[ContactInput], now: datetime
) -> None:
    department.contacts[:] = [_contact(c, i) for i, c in enumerate(contacts)]
    department.updated_at = now
    session.flush()


def get_contact(session: Session, contact_id: int) -> DepartmentContact:
    row = session.get(DepartmentContact, contact_id)
    if row is None:
        raise NotFound(f"no contact with id {contact_id}")
    return row


def remove_contact(session: Session, *, contact: DepartmentContact, now: datetime) -> None:
    contact.department.updated_at = now
    session.delete(contact)
    session.flush()


def services_using(session: Session, *, department: Department) -> list[Service]:
    return list(
        session.scalars(
            select(Service)
            .where(Service.departments.any(Department.id == department.id))
            .order_by(Service.tier, Service.name)
        )
    )
