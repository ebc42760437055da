"""Signals: integrations that receive alerts, the alerts themselves, heartbeats for jobs,
maintenance windows and silences."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from takepoint.accounts.models import User
from takepoint.catalog.models import Service
from takepoint.lib.db import Base, enum_column


class IntegrationKind(enum.StrEnum):
    PAGERDUTY = "pagerduty"
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    GENERIC = "generic"
    HEARTBEAT = "heartbeat"


class Severity(enum.StrEnum):
    """PagerDuty's four severities; every source is mapped onto them."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.CRITICAL: 3, Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}


class AlertState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class HeartbeatKind(enum.StrEnum):
    JOB = "job"
    # A backup job: the readiness audit counts a service that stores data as ready only with one.
    BACKUP = "backup"


class HeartbeatStatus(enum.StrEnum):
    NEW = "new"
    UP = "up"
    DOWN = "down"
    PAUSED = "paused"


class PingKind(enum.StrEnum):
    START = "start"
    SUCCESS = "success"
    FAIL = "fail"
    LOG = "log"


class Integration(Base):
    """A source of signals for one service. The key is shown once; only its hash is stored.

    After a rotation the previous key keeps working until `previous_key_expires_at`, so the
    sending tool can be reconfigured without losing a single alert.
    """

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[IntegrationKind] = mapped_column(enum_column(IntegrationKind))
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The key's last four characters, so people can tell which key a tool holds.
    key_hint: Mapped[str] = mapped_column(String(8))
    previous_key_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    previous_key_expires_at: Mapped[datetime | None]
    # Generic webhooks: where the summary, dedup key, status... are in the sender's JSON.
    field_paths: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    last_signal_at: Mapped[datetime | None]

    service: Mapped[Service] = relationship()
    heartbeat: Mapped[Heartbeat | None] = relationship(
        back_populates="integration", cascade="all, delete-orphan", uselist=False
    )


class Alert(Base):
    """One problem reported by a source, deduplicated by (integration, dedup key).

    `open_key` holds the dedup key while the alert is open or acknowledged and is cleared on
    resolve: the unique constraint then allows exactly one live alert per key, and a new trigger
    after a resolve opens a new alert, as PagerDuty does.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("integration_id", "open_key", name="uq_alerts_integration_open_key"),
        Index("ix_alerts_service_state", "service_id", "state"),
        Index("ix_alerts_state_last_seen_at", "state", "last_seen_at"),
        Index("ix_alerts_integration_dedup_key", "integration_id", "dedup_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(String(255))
    open_key: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[AlertState] = mapped_column(enum_column(AlertState), default=AlertState.OPEN)
    severity: Mapped[Severity] = mapped_column(enum_column(Severity))
    summary: Mapped[str] = mapped_column(String(1024))
    source: Mapped[str] = mapped_column(String(255), default="")
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The last payload as the sender sent it, for the raw viewer.
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A digest of `raw`: a repeat of the same payload (Alertmanager re-sends every group) only
    # moves last_seen_at and the count, instead of rewriting the payload columns.
    raw_digest: Mapped[str] = mapped_column(String(32), default="")
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    event_count: Mapped[int] = mapped_column(default=1)
    acknowledged_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    during_maintenance: Mapped[bool] = mapped_column(default=False)
    silence_id: Mapped[int | None] = mapped_column(
        ForeignKey("silences.id", ondelete="SET NULL"), index=True
    )
    # New alerts that may page: the paging engine claims them with a conditional UPDATE.
    # Alerts during maintenance or under a silence are recorded but never need triage.
    needs_triage: Mapped[bool] = mapped_column(default=False, index=True)

    integration: Mapped[Integration] = relationship()
    service: Mapped[Service] = relationship()
    silence: Mapped[Silence | None] = relationship()

    @property
    def suppressed(self) -> bool:
        return self.during_maintenance or self.silence_id is not None


class ScheduleKind(enum.StrEnum):
    PERIOD = "period"
    CRON = "cron"


class Heartbeat(Base):
    """A job that must ping on schedule; its deadline lives in `alert_after`.

    `next_due_at` is when the next successful run is expected; `alert_after` is the moment the
    engine raises an alert unless a ping moves it: the due time plus grace, or a /start plus
    grace when a run began and has not finished.
    """

    __tablename__ = "heartbeats"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), unique=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[HeartbeatKind] = mapped_column(enum_column(HeartbeatKind))
    schedule_kind: Mapped[ScheduleKind] = mapped_column(enum_column(ScheduleKind))
    period_seconds: Mapped[int | None]
    cron: Mapped[str | None] = mapped_column(String(100))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    grace_seconds: Mapped[int]
    failures_before_alert: Mapped[int] = mapped_column(default=1)
    status: Mapped[HeartbeatStatus] = mapped_column(
        enum_column(HeartbeatStatus), default=HeartbeatStatus.NEW
    )
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    last_ping_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_duration_seconds: Mapped[float | None]
    next_due_at: Mapped[datetime | None]
    alert_after: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime]

    integration: Mapped[Integration] = relationship(back_populates="heartbeat")
    service: Mapped[Service] = relationship()


class HeartbeatPing(Base):
    __tablename__ = "heartbeat_pings"
    __table_args__ = (Index("ix_heartbeat_pings_heartbeat_id_id", "heartbeat_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    heartbeat_id: Mapped[int] = mapped_column(ForeignKey("heartbeats.id", ondelete="CASCADE"))
    kind: Mapped[PingKind] = mapped_column(enum_column(PingKind))
    exit_status: Mapped[int | None]
    received_at: Mapped[datetime]
    duration_seconds: Mapped[float | None]
    method: Mapped[str] = mapped_column(String(8))
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_truncated: Mapped[bool] = mapped_column(default=False)


class MaintenanceWindow(Base):
    """While a window is on, a service's new alerts are recorded and marked, never escalated."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_windows_service_ends", "service_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    service: Mapped[Service] = relationship()
    created_by: Mapped[User | None] = relationship()


class Silence(Base):
    """Alerts whose labels or fields match every matcher are recorded but not escalated.

    `matchers` is a list of {"name", "op", "value"} with op "=" (equal) or "=~" (regular
    expression matching the whole value), as in Alertmanager.
    """

    __tablename__ = "silences"
    __table_args__ = (Index("ix_silences_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: the silence applies to every service.
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    matchers: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    starts_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    service: Mapped[Service | None] = relationship()
    created_by: Mapped[User | None] = relationship()


__all__ = [
    "Alert",
    "AlertState",
    "Heartbeat",
    "HeartbeatKind",
    "HeartbeatPing",
    "HeartbeatStatus",
    "Integration",
    "IntegrationKind",
    "MaintenanceWindow",
    "PingKind",
    "ScheduleKind",
    "Severity",
    "Silence",
]
