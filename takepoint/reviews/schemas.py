from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from takepoint.lib.deps import KEY_PATTERN
from takepoint.reviews.models import ActionState, Audience, ReviewState


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    state: ReviewState
    summary: str
    impact: str
    timeline: str
    contributing_factors: str
    went_well: str
    went_badly: str
    got_lucky: str
    author_id: int | None
    created_at: datetime
    updated_at: datetime


class ReviewUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: str | None = Field(default=None, max_length=50_000)
    impact: str | None = Field(default=None, max_length=50_000)
    timeline: str | None = Field(default=None, max_length=50_000)
    contributing_factors: str | None = Field(default=None, max_length=50_000)
    went_well: str | None = Field(default=None, max_length=50_000)
    went_badly: str | None = Field(default=None, max_length=50_000)
    got_lucky: str | None = Field(default=None, max_length=50_000)


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: ReviewState


class FindingOut(BaseModel):
    rule: str
    phrase: str
    start: int
    end: int
    explanation: str
    suggestion: str


class LintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=200_000)


class LintOut(BaseModel):
    findings: list[FindingOut]


class ReviewLintOut(BaseModel):
    sections: dict[str, list[FindingOut]]


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    audience: Audience
    override_reason: str = Field(
        default="", max_length=2000, description="why lint findings are kept, if any remain"
    )


class PublicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    review_id: int
    audience: Audience
    published_by_id: int | None
    published_at: datetime
    markdown: str
    sha256: str
    findings_overridden: int
    override_reason: str


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: int
    title: str = Field(min_length=1, max_length=300)
    owner_id: int
    due_on: date
    service: str | None = Field(
        default=None, pattern=KEY_PATTERN, description="service slug; default: the incident's"
    )


class ActionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=300)
    owner_id: int | None = None
    due_on: date | None = None
    state: ActionState | None = None


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    incident_id: int
    review_id: int | None
    service_id: int | None
    title: str
    owner_id: int
    due_on: date
    state: ActionState
    created_at: datetime
    closed_at: datetime | None
    overdue: bool = False


class EmailIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_ids: list[int] = Field(min_length=1, max_length=50)
    audience: Audience = Audience.TEAM


class SentOut(BaseModel):
    sent: int
