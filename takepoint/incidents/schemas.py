from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from takepoint.incidents.models import (
    Grouping,
    HandoffState,
    IncidentSource,
    IncidentState,
    TargetKind,
)
from takepoint.incidents.record_models import EvidenceType
from takepoint.lib.deps import KEY_PATTERN
from takepoint.notify.models import Urgency
from takepoint.timeline.models import EntryKind


class IncidentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern=KEY_PATTERN, description="service slug or id")
    title: str = Field(min_length=1, max_length=500)
    urgency: Urgency = Urgency.HIGH
    source: IncidentSource = IncidentSource.WEB
    description: str = Field(default="", max_length=10_000)
    caller_name: str = Field(default="", max_length=200)
    caller_department: str | None = Field(
        default=None, pattern=KEY_PATTERN, description="department slug"
    )


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    service_id: int
    title: str
    description: str
    urgency: Urgency
    state: IncidentState
    source: IncidentSource
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution_note: str
    point_user_id: int | None
    reporter_id: int | None
    caller_name: str
    next_escalation_at: datetime | None


class TimelineEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor_id: int | None
    kind: EntryKind
    text: str
    data: dict[str, Any]
    entry_hash: str


class IncidentDetail(IncidentOut):
    timeline: list[TimelineEntryOut]
    record_intact: bool
    record_problem: str | None


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(min_length=1, max_length=10_000)


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class HandoffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_user_id: int
    note: str = Field(default="", max_length=2000)


class HandoffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    from_user_id: int
    to_user_id: int
    state: HandoffState
    note: str
    requested_at: datetime
    decided_at: datetime | None


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: TargetKind
    schedule_id: int | None = None
    user_id: int | None = None
    team_id: int | None = None


class LevelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    delay_minutes: int = Field(ge=0, le=1440)
    targets: list[TargetIn] = Field(min_length=1)


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    repeat: int = Field(default=0, ge=0, le=10)
    no_progress_minutes: int = Field(default=30, ge=5, le=1440)
    levels: list[LevelIn] = Field(min_length=1)


class PolicyOut(BaseModel):
    id: int
    name: str
    description: str
    repeat: int
    no_progress_minutes: int
    levels: list[LevelIn]


class PagingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy_id: int | None = None
    grouping: Grouping = Grouping.DEDUP_KEY
    group_window_minutes: int = Field(default=10, ge=1, le=1440)
    business_zone: str = "UTC"
    business_days: str = Field(default="12345", pattern="^[1-7]{0,7}$")
    business_start: str = Field(default="08:00", pattern=r"^\d\d:\d\d$")
    business_end: str = Field(default="18:00", pattern=r"^\d\d:\d\d$")


class FiguresOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    opened: int
    acknowledged: int
    mean_ack_seconds: float | None
    median_ack_seconds: float | None
    resolved: int
    mean_resolve_seconds: float | None
    median_resolve_seconds: float | None


class MonthFiguresOut(FiguresOut):
    month: str = Field(description="month the incidents opened in, UTC (YYYY-MM)")


class StatsOut(BaseModel):
    since: datetime
    until: datetime = Field(description="end of the range, exclusive")
    service: str | None
    team: str | None
    total: FiguresOut
    months: list[MonthFiguresOut]


# The answers, beside the usual ones, of the routes that take and serve evidence files: an
# incident's and a ticket's.
UPLOAD_ANSWERS: dict[int | str, dict[str, Any]] = {
    413: {"description": "The file is larger than TAKEPOINT_EVIDENCE_MAX_BYTES."},
    415: {"description": "Judged by its content, the file is no image, PDF or plain text."},
}
FILE_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, of the type its content showed it to be.",
        "content": {
            kind.value: {"schema": {"type": "string", "format": "binary"}} for kind in EvidenceType
        },
    }
}
