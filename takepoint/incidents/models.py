from __future__ import annotations

import enum
from datetime import datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from takepoint.accounts.models import Team, User
from takepoint.catalog.models import Department, Service
from takepoint.lib.db import Base, enum_column
from takepoint.notify.models import Urgency
from takepoint.oncall.models import Schedule


class IncidentState(enum.StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class IncidentSource(enum.StrEnum):
    ALERT = "alert"
    PHONE = "phone"
    WEB = "web"
    EMAIL = "email"


class TargetKind(enum.StrEnum):
    SCHEDULE = "schedule"
    USER = "user"
    TECH_LEAD = "tech_lead"
    BACKUP_LEAD = "backup_lead"
    TEAM_LEAD = "team_lead"


class Grouping(enum.StrEnum):
    DEDUP_KEY = "dedup_key"
    TIME_WINDOW = "time_window"


class HandoffState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


# How long an acknowledged high-urgency incident may go without an update before its point
# person is nudged: the default of new policies and of snapshots written before it was kept.
DEFAULT_NO_PROGRESS_MINUTES = 30


class EscalationPolicy(Base):
    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # How many more times the whole list runs after the last level (0 = once through).
    repeat: Mapped[int] = mapped_column(default=0)
    # Acknowledged high-urgency incidents with no activity for this long are nudged.
    no_progress_minutes: Mapped[int] = mapped_column(default=DEFAULT_NO_PROGRESS_MINUTES)
    created_at: Mapped[datetime]

    levels: Mapped[list[EscalationLevel]] = relationship(
        back_populates="policy", cascade="all, delete-orphan", order_by="EscalationLevel.position"
    )


class EscalationLevel(Base):
    __tablename__ = "escalation_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    # Minutes to wait for an acknowledgement before the next level is paged.
    delay_minutes: Mapped[int] = mapped_column(default=5)

    policy: Mapped[EscalationPolicy] = relationship(back_populates="levels")
    targets: Mapped[list[EscalationTarget]] = relationship(
        back_populates="level", cascade="all, delete-orphan", order_by="EscalationTarget.id"
    )


def _policies_paging(session: Session, column: Column[int], row_id: int) -> list[str]:
    # A schedule, person or team that a policy pages: deleting it would leave a level empty.
    names = session.scalars(
        select(EscalationPolicy.name)
        .join(EscalationLevel, EscalationLevel.policy_id == EscalationPolicy.id)
        .join(EscalationTarget, EscalationTarget.level_id == EscalationLevel.id)
        .where(column == row_id)
        .distinct()
        .order_by(EscalationPolicy.name)
    )
    return [f"escalation policy {name!r}" for name in names]


class EscalationTarget(Base):
    __tablename__ = "escalation_targets"
    __table_args__ = {"info": {"blocks_removal": _policies_paging}}

    id: Mapped[int] = mapped_column(primary_key=True)
    level_id: Mapped[int] = mapped_column(
        ForeignKey("escalation_levels.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[TargetKind] = mapped_column(enum_column(TargetKind))
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("oncall_schedules.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # For team_lead: this team's lead; when empty, the lead of the incident's service's team.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))

    level: Mapped[EscalationLevel] = relationship(back_populates="targets")
    schedule: Mapped[Schedule | None] = relationship()
    user: Mapped[User | None] = relationship()
    team: Mapped[Team | None] = relationship()


class ServicePaging(Base):
    """How a service pages: its escalation policy, alert grouping and business hours."""

    __tablename__ = "service_paging"

    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="SET NULL")
    )
    grouping: Mapped[Grouping] = mapped_column(enum_column(Grouping), default=Grouping.DEDUP_KEY)
    group_window_minutes: Mapped[int] = mapped_column(default=10)
    # Low-urgency incidents wait for these hours (ISO weekdays, 1 = Monday) in this zone.
    business_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    business_days: Mapped[str] = mapped_column(String(7), default="12345")
    business_start: Mapped[time] = mapped_column(Time, default=time(8, 0))
    business_end: Mapped[time] = mapped_column(Time, default=time(18, 0))

    service: Mapped[Service] = relationship()
    policy: Mapped[EscalationPolicy | None] = relationship()


# Must read exactly as `state != RESOLVED` does in queries, so the planner can use the index.
OPEN_PREDICATE = "state <> 'resolved'"


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_state_next_escalation_at", "state", "next_escalation_at"),
        Index("ix_incidents_state_next_nudge_at", "state", "next_nudge_at"),
        Index("ix_incidents_service_state", "service_id", "state"),
        # The list's order, per service too; on PostgreSQL they also cover the statistics.
        Index(
            "ix_incidents_opened_at_id",
            "opened_at",
            "id",
            postgresql_include=["service_id", "state", "acknowledged_at", "resolved_at"],
        ),
        Index(
            "ix_incidents_service_id_opened_at",
            "service_id",
            "opened_at",
            "id",
            postgresql_include=["state", "acknowledged_at", "resolved_at"],
        ),
        # Open incidents are few among many: listing or counting them reads only them.
        Index(
            "ix_incidents_open_opened_at",
            "opened_at",
            "id",
            postgresql_where=text(OPEN_PREDICATE),
            sqlite_where=text(OPEN_PREDICATE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[Urgency] = mapped_column(enum_column(Urgency))
    state: Mapped[IncidentState] = mapped_column(
        enum_column(IncidentState), default=IncidentState.TRIGGERED
    )
    source: Mapped[IncidentSource] = mapped_column(enum_column(IncidentSource))
    dedup_key: Mapped[str | None] = mapped_column(String(255))
    opened_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    caller_department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    point_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The policy as it stood when the incident opened; later edits do not change this incident.
    # The JSON form of `incidents.escalation.PolicySnapshot`: read it with `from_json`.
    policy_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    level_index: Mapped[int] = mapped_column(default=0)
    repeats_done: Mapped[int] = mapped_column(default=0)
    # Deadlines the engine polls. NULL means nothing is due.
    next_escalation_at: Mapped[datetime | None]
    next_nudge_at: Mapped[datetime | None]
    nudge_stage: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime]

    service: Mapped[Service] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    point_user: Mapped[User | None] = relationship(foreign_keys=[point_user_id])
    caller_department: Mapped[Department | None] = relationship()

    @property
    def chain(self) -> str:
        return self.chain_of(self.id)

    @staticmethod
    def chain_of(incident_id: int) -> str:
        return f"incident:{incident_id}"


class IncidentAlert(Base):
    __tablename__ = "incident_alerts"

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Handoff(Base):
    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_state_next_reminder_at", "state", "next_reminder_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    from_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[HandoffState] = mapped_column(
        enum_column(HandoffState), default=HandoffState.PENDING
    )
    requested_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    next_reminder_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0)

    incident: Mapped[Incident] = relationship()
    from_user: Mapped[User] = relationship(foreign_keys=[from_user_id])
    to_user: Mapped[User] = relationship(foreign_keys=[to_user_id])


class Subscription(Base):
    """A stakeholder who hears about a service's or one incident's progress and resolution."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "service_id", "incident_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship()
