from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from takepoint.lib.deps import KEY_PATTERN
from takepoint.signals.models import (
    AlertState,
    HeartbeatKind,
    HeartbeatStatus,
    IntegrationKind,
    PingKind,
    ScheduleKind,
    Severity,
)


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    service_id: int
    integration_id: int
    dedup_key: str
    state: AlertState
    severity: Severity
    summary: str
    source: str
    labels: dict[str, str]
    details: dict[str, Any]
    first_seen_at: datetime
    last_seen_at: datetime
    event_count: int
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    during_maintenance: bool
    silence_id: int | None


class AlertWithRaw(AlertOut):
    raw: dict[str, Any]


class HeartbeatSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: HeartbeatKind = HeartbeatKind.JOB
    period_seconds: int | None = Field(default=None, ge=60, le=365 * 86400)
    cron: str | None = Field(default=None, max_length=100)
    time_zone: str = Field(default="UTC", max_length=64)
    grace_seconds: int = Field(default=3600, ge=0, le=30 * 86400)
    failures_before_alert: int = Field(default=1, ge=1, le=100)


class IntegrationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(
        min_length=1, max_length=100, pattern=KEY_PATTERN, description="service slug or id"
    )
    kind: IntegrationKind
    name: str | None = Field(default=None, min_length=1, max_length=200)
    field_paths: dict[str, str] | None = Field(
        default=None, description="generic webhooks: summary, dedup_key, status, severity, source"
    )
    heartbeat: HeartbeatSettings | None = None


class HeartbeatOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    integration_id: int
    service_id: int
    kind: HeartbeatKind
    schedule_kind: ScheduleKind
    period_seconds: int | None
    cron: str | None
    time_zone: str
    grace_seconds: int
    failures_before_alert: int
    status: HeartbeatStatus
    schedule: str
    started_at: datetime | None
    last_ping_at: datetime | None
    last_success_at: datetime | None
    last_duration_seconds: float | None
    next_due_at: datetime | None
    alert_after: datetime | None


class HeartbeatUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: HeartbeatKind | None = None
    period_seconds: int | None = Field(default=None, ge=60, le=365 * 86400)
    cron: str | None = Field(default=None, max_length=100)
    time_zone: str | None = Field(default=None, max_length=64)
    grace_seconds: int | None = Field(default=None, ge=0, le=30 * 86400)
    failures_before_alert: int | None = Field(default=None, ge=1, le=100)


class PingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: PingKind
    exit_status: int | None
    received_at: datetime
    duration_seconds: float | None
    method: str
    remote_addr: str
    user_agent: str
    body: str
    body_truncated: bool


class IntegrationOut(BaseModel):
    id: int
    service_id: int
    service_slug: str
    kind: IntegrationKind
    name: str
    key_hint: str
    field_paths: dict[str, str]
    created_at: datetime
    rotated_at: datetime | None
    previous_key_expires_at: datetime | None
    last_signal_at: datetime | None
    url: str = Field(description="where the sender posts, with the key shown as <key>")
    heartbeat: HeartbeatOut | None = None


class IntegrationCreated(IntegrationOut):
    key: str = Field(description="The key. It is shown this once and never again.")
    url_with_key: str


class RotateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_hours: float = Field(default=24, ge=0, le=720)


class MaintenanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(min_length=1, max_length=100, pattern=KEY_PATTERN)
    reason: str = Field(min_length=1, max_length=500)
    starts_at: AwareDatetime | None = Field(default=None, description="omit to start now")
    ends_at: AwareDatetime | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=31 * 24 * 60)


class MaintenanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    service_id: int
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by_id: int | None


class Matcher(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    op: str = Field(default="=", pattern=r"^(=|!=|=~)$")
    value: str = Field(max_length=500)


class SilenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matchers: list[Matcher] = Field(min_length=1, max_length=20)
    comment: str = Field(min_length=1, max_length=500)
    service: str | None = Field(default=None, max_length=100, pattern=KEY_PATTERN)
    starts_at: AwareDatetime | None = None
    expires_at: AwareDatetime


class SilenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    service_id: int | None
    matchers: list[dict[str, str]]
    starts_at: datetime
    expires_at: datetime
    comment: str
    created_by_id: int | None
