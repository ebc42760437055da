"""The service desk's API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from takepoint.desk.models import Channel, Level, Priority, Target, TicketState, TicketType
from takepoint.lib.db import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class RequesterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str = Field(default="", max_length=50)
    department_id: int | None = None
    organisation: str = Field(default="", max_length=200)
    time_zone: str = Field(default="UTC", max_length=64)
    vip: bool = False
    notes: str = Field(default="", max_length=10_000)


class RequesterOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str | None
    phone: str
    department_id: int | None
    organisation: str
    time_zone: str
    vip: bool
    created_at: datetime


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    team_id: int | None = None


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    team_id: int | None


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requester_id: int
    # Lengths and emptiness are the service's to check, so the API and the pages say the same.
    title: str
    description: str = ""
    type: TicketType = TicketType.REQUEST
    priority: Priority | None = Field(
        default=None, description="left out: impact and urgency give it by the matrix, else P3"
    )
    impact: Level | None = None
    urgency: Level | None = None
    category_id: int | None = None
    service_id: int | None = None
    channel: Channel = Channel.API
    tags: list[str] = Field(default_factory=list, max_length=20)


class ClockOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    target: Target
    state: str = Field(description="running, paused, met, met late or breached")
    due_at: datetime | None
    left_seconds: float = Field(description="business time left (negative once breached)")
    met_at: datetime | None
    breached_at: datetime | None
    business: bool = Field(description="counted in business hours rather than calendar time")


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    requester_id: int
    department_id: int | None
    service_id: int | None
    category_id: int | None
    type: TicketType
    priority: Priority
    impact: Level | None
    urgency: Level | None
    tags: list[str]
    team_id: int | None
    assignee_id: int | None
    state: TicketState
    channel: Channel
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    sla_reason: str
    root_cause: str
    root_cause_shared: bool = Field(description="shown to the requester")


class TicketDetail(TicketOut):
    requester: RequesterOut
    clocks: list[ClockOut]
    follows: int | None = Field(description="the ticket this one follows up")
    followed_by: list[int]
    incident_ids: list[int] = Field(description="incidents this ticket is part of")


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str
    seen_message_id: int | None = Field(
        default=None,
        ge=0,
        description="the newest message the writer had seen: a reply is refused with 409 if "
        "someone else wrote since (the collision notice); leave out to send regardless",
    )


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    public: bool = Field(description="false for an internal note, which the requester never sees")
    body: str
    author_user_id: int | None
    author_requester_id: int | None
    channel: Channel | None = Field(description="how it arrived; null for Takepoint's own")
    at: datetime


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee_id: int | None = Field(description="a user's id, or null to unassign")
    team_id: int | None = None


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: TicketState


class PriorityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: Priority


class SlaExplanation(BaseModel):
    lines: list[str]


class TagsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags: list[str] = Field(max_length=20)


class ImpactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    impact: Level
    urgency: Level


class IncidentLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: int = Field(ge=1, le=MAX_ID)


class BulkAssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_ids: list[Id] = Field(min_length=1, max_length=200)
    assignee_id: Id | None


class BulkStateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_ids: list[Id] = Field(min_length=1, max_length=200)
    state: TicketState


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    merge_id: int = Field(ge=1, le=MAX_ID, description="the duplicate, which disappears")


class StaffRequesterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int = Field(ge=1, le=MAX_ID)


class CannedText(BaseModel):
    canned_reply_id: int
    body: str = Field(description="the canned reply with this ticket's placeholders filled in")
