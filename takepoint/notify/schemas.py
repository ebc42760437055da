from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from takepoint.notify.models import AttemptOutcome, ContactKind, NotificationState, Urgency


class ContactMethodOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    kind: ContactKind
    label: str
    display: str = Field(
        description="The target with any secret masked; the full target is never shown."
    )
    position: int
    created_at: datetime


class ContactMethodCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ContactKind
    target: str = Field(
        min_length=1,
        max_length=2000,
        description="An email address, or an Apprise URL such as ntfys://ntfy.sh/my-topic.",
    )
    label: str = Field(min_length=1, max_length=100)
    user_id: int | None = Field(default=None, description="Admins only: whose method this is.")


class ContactMethodUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = Field(default=None, min_length=1, max_length=100)
    target: str | None = Field(default=None, min_length=1, max_length=2000)
    position: int | None = Field(default=None, ge=0, description="0 is first.")


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urgency: Urgency
    contact_method_id: int
    delay_minutes: int = Field(default=0, ge=0, le=24 * 60)


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    urgency: Urgency
    contact_method_id: int
    delay_minutes: int


class RulesReplace(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[RuleIn] = Field(
        max_length=100, description="The whole rule set; an empty list restores the defaults."
    )


class RulesOut(BaseModel):
    user_id: int
    uses_defaults: bool = Field(description="True while the person has no rules of their own.")
    rules: list[RuleOut]


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    outcome: AttemptOutcome
    error: str | None
    duration_ms: float


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    group_key: str
    user_id: int | None = Field(description="Empty for a message to an address without a user.")
    address: str | None = Field(
        description="The email address of a message to someone without a user."
    )
    contact_method_id: int | None
    kind: ContactKind
    channel: str
    subject: str
    urgency: Urgency
    state: NotificationState
    is_test: bool
    incident_id: int | None
    fallback_of_id: int | None
    due_at: datetime
    created_at: datetime
    attempts: int
    sent_at: datetime | None
    ended_at: datetime | None
    last_error: str | None


class NotificationDetail(NotificationOut):
    body: str
    delivery_attempts: list[AttemptOut]
