"""The catalog: services, the hosts they run on, the departments they serve, and runbooks."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from takepoint.accounts.models import Team, User
from takepoint.lib.db import Base, enum_column


class StepKind(enum.StrEnum):
    PLAIN = "plain"
    CHECK = "check"
    # A step that interrupts the people using the service; it names whose confirmation it needs.
    DISRUPTIVE = "disruptive"


class Department(Base):
    """A part of the organisation that uses services, and whom to ask before disrupting them."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # When disruption is unacceptable, in the department's own words ("theatre in session...").
    do_not_disrupt: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    contacts: Mapped[list[DepartmentContact]] = relationship(
        back_populates="department",
        cascade="all, delete-orphan",
        order_by="DepartmentContact.position",
    )


class DepartmentContact(Base):
    __tablename__ = "department_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")

    department: Mapped[Department] = relationship(back_populates="contacts")


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (CheckConstraint("tier BETWEEN 1 AND 4", name="tier_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # 1 is the most critical (patient-facing, page at night); 4 can wait for office hours.
    tier: Mapped[int] = mapped_column(default=3)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    tech_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    backup_lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Services that keep data must show a backup heartbeat to count as ready.
    stores_data: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    team: Mapped[Team | None] = relationship()
    tech_lead: Mapped[User | None] = relationship(foreign_keys=[tech_lead_id])
    backup_lead: Mapped[User | None] = relationship(foreign_keys=[backup_lead_id])
    departments: Mapped[list[Department]] = relationship(
        secondary="service_departments", order_by="Department.name"
    )
    hosts: Mapped[list[Host]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Host.hostname"
    )
    data_locations: Mapped[list[DataLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="DataLocation.position"
    )
    links: Mapped[list[ServiceLink]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="ServiceLink.position"
    )
    dependencies: Mapped[list[Dependency]] = relationship(
        back_populates="service",
        cascade="all, delete-orphan",
        foreign_keys="Dependency.service_id",
        order_by="Dependency.id",
    )
    runbooks: Mapped[list[Runbook]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Runbook.title"
    )

    def __repr__(self) -> str:
        return f"<Service {self.id} {self.slug}>"


class ServiceDepartment(Base):
    __tablename__ = "service_departments"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Host(Base):
    """A machine or component a service runs on. Hostnames are unique across the catalog."""

    __tablename__ = "hosts"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    hostname: Mapped[str] = mapped_column(String(253), unique=True)
    role: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    service: Mapped[Service] = relationship(back_populates="hosts")


class DataLocation(Base):
    """Where one of a service's data stores lives, in free text ("nightly dump to nas-02")."""

    __tablename__ = "data_locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    store: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(Text, default="")

    service: Mapped[Service] = relationship(back_populates="data_locations")


class ServiceLink(Base):
    __tablename__ = "service_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))

    service: Mapped[Service] = relationship(back_populates="links")


class Dependency(Base):
    """An edge of the dependency graph: a service needs another service, or a host."""

    __tablename__ = "dependencies"
    __table_args__ = (
        CheckConstraint(
            "(depends_on_service_id IS NULL) <> (depends_on_host_id IS NULL)",
            name="one_target",
        ),
        UniqueConstraint("service_id", "depends_on_service_id", name="uq_dependencies_service"),
        UniqueConstraint("service_id", "depends_on_host_id", name="uq_dependencies_host"),
        Index("ix_dependencies_depends_on_service_id", "depends_on_service_id"),
        Index("ix_dependencies_depends_on_host_id", "depends_on_host_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    depends_on_service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE")
    )
    depends_on_host_id: Mapped[int | None] = mapped_column(
        ForeignKey("hosts.id", ondelete="CASCADE")
    )
    note: Mapped[str] = mapped_column(String(500), default="")

    service: Mapped[Service] = relationship(
        back_populates="dependencies", foreign_keys=[service_id]
    )
    depends_on_service: Mapped[Service | None] = relationship(foreign_keys=[depends_on_service_id])
    depends_on_host: Mapped[Host | None] = relationship()


class Runbook(Base):
    """A runbook's identity; its content lives in versions, the newest being current."""

    __tablename__ = "runbooks"
    __table_args__ = (UniqueConstraint("service_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(100))
    # A copy of the current version's title, so lists need no join.
    title: Mapped[str] = mapped_column(String(200))
    current_version: Mapped[int] = mapped_column(default=1)
    last_reviewed_at: Mapped[datetime]
    last_reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]

    service: Mapped[Service] = relationship(back_populates="runbooks")
    last_reviewed_by: Mapped[User | None] = relationship()
    versions: Mapped[list[RunbookVersion]] = relationship(
        back_populates="runbook",
        cascade="all, delete-orphan",
        order_by="RunbookVersion.number.desc()",
    )


class RunbookVersion(Base):
    """One edit of a runbook. Versions are never changed once written."""

    __tablename__ = "runbook_versions"
    __table_args__ = (UniqueConstraint("runbook_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    runbook_id: Mapped[int] = mapped_column(ForeignKey("runbooks.id", ondelete="CASCADE"))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    # None when the version came from a catalog file rather than a person.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]

    runbook: Mapped[Runbook] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()
    steps: Mapped[list[RunbookStep]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="RunbookStep.position"
    )


class RunbookStep(Base):
    __tablename__ = "runbook_steps"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("runbook_versions.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[StepKind] = mapped_column(enum_column(StepKind), default=StepKind.PLAIN)
    text: Mapped[str] = mapped_column(Text)
    # Whose confirmation a disruptive step needs before an incident may tick it.
    confirm_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )

    version: Mapped[RunbookVersion] = relationship(back_populates="steps")
    confirm_department: Mapped[Department | None] = relationship()


__all__ = [
    "DataLocation",
    "Department",
    "DepartmentContact",
    "Dependency",
    "Host",
    "Runbook",
    "RunbookStep",
    "RunbookVersion",
    "Service",
    "ServiceDepartment",
    "ServiceLink",
    "StepKind",
]
