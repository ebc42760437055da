from __future__ import annotations

import enum
from datetime import date, datetime, time

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from takepoint.oncall.compute import ShiftUnit, WindowSpec
from takepoint.oncall.models import NoticeKind, NoticeState, SwapStatus


class Weekday(enum.StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """0 for Monday, as in date.weekday()."""
        return list(Weekday).index(self)


def weekdays(days: frozenset[int]) -> list[Weekday]:
    every = list(Weekday)
    return [every[d] for d in sorted(days)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RestrictionIn(_In):
    days: list[Weekday] = Field(min_length=1, description="the days a window opens")
    start: time = Field(description="local time the window opens, e.g. 18:00")
    end: time = Field(description="local time it closes; at or before start means next day")

    def window(self) -> WindowSpec:
        return WindowSpec(frozenset(d.number for d in self.days), self.start, self.end)


class RestrictionOut(BaseModel):
    id: int
    days: list[Weekday]
    start: str
    end: str


class ParticipantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    position: int
    effective_from: date | None
    effective_until: date | None


class LayerOut(BaseModel):
    id: int
    name: str
    level: int
    start_date: date
    end_date: date | None
    handoff_time: str
    shift_length: int
    shift_unit: ShiftUnit
    participants: list[ParticipantOut]
    restrictions: list[RestrictionOut]


class ScheduleOut(BaseModel):
    id: int
    name: str
    slug: str
    description: str
    time_zone: str
    team_id: int | None
    layers: list[LayerOut]


class ScheduleCreate(_In):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(max_length=64, description="IANA zone, e.g. Europe/London")
    description: str = Field(default="", max_length=2000)
    team_id: int | None = None


class ScheduleUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=2000)


class LayerCreate(_In):
    name: str = Field(min_length=1, max_length=100)
    start_date: date
    handoff_time: time = Field(description="local time in the schedule's zone, e.g. 09:00")
    shift_length: int = Field(ge=1)
    shift_unit: ShiftUnit
    end_date: date | None = None
    participant_ids: list[int] = Field(default_factory=list, description="in rotation order")
    restrictions: list[RestrictionIn] = Field(default_factory=list)


class LayerUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    end_date: date | None = Field(default=None, description="null clears it")
    start_date: date | None = None
    handoff_time: time | None = None
    shift_length: int | None = Field(default=None, ge=1)
    shift_unit: ShiftUnit | None = None


class LayerContinue(_In):
    from_date: date


class ParticipantCreate(_In):
    user_id: int
    effective_from: date | None = Field(
        default=None, description="first local date of shifts they take; default the earliest"
    )


class ParticipantUpdate(_In):
    effective_until: date = Field(description="they take no shift starting on or after this")


class OverrideCreate(_In):
    user_id: int
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    note: str = Field(default="", max_length=500)


class OverrideOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    schedule_id: int
    user_id: int
    starts_at: datetime
    ends_at: datetime
    note: str
    created_by_id: int | None
    created_at: datetime


class SwapCreate(_In):
    layer_id: int
    counterpart_id: int
    give_start: AwareDatetime = Field(description="start of the requester's shift to give")
    take_start: AwareDatetime | None = Field(
        default=None, description="start of the counterpart's shift to take in return, if any"
    )
    requester_id: int | None = Field(default=None, description="admins only; default yourself")
    note: str = Field(default="", max_length=500)


class SwapOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    schedule_id: int
    layer_id: int
    requester_id: int
    counterpart_id: int
    give_start: datetime
    give_end: datetime
    take_start: datetime | None
    take_end: datetime | None
    status: SwapStatus
    note: str
    created_at: datetime
    decided_at: datetime | None


class PersonOut(BaseModel):
    id: int
    display_name: str
    email: str


class SegmentOut(BaseModel):
    start: datetime
    end: datetime
    user: PersonOut | None
    layer_id: int | None
    override_id: int | None
    swap_id: int | None


class LayerTimelineOut(BaseModel):
    layer_id: int
    name: str
    segments: list[SegmentOut]


class TimelineOut(BaseModel):
    schedule_id: int
    time_zone: str
    start: datetime
    end: datetime
    final: list[SegmentOut]
    layers: list[LayerTimelineOut]


class OnCallOut(BaseModel):
    schedule_id: int
    schedule: str
    time_zone: str
    at: datetime
    user: PersonOut | None
    since: datetime
    until: datetime
    via: str = Field(description="layer, override or nobody")
    layer_id: int | None
    override_id: int | None
    swap_id: int | None


class HoursOut(BaseModel):
    schedule_id: int
    schedule: str
    user: PersonOut
    total_hours: float
    business_hours: float
    night_hours: float
    weekend_hours: float


class FeedCreate(_In):
    schedule_id: int | None = Field(
        default=None, description="a schedule's feed; leave out for your own shifts everywhere"
    )


class FeedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    schedule_id: int | None
    user_id: int | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class FeedCreated(FeedOut):
    url: str = Field(description="the secret address; shown this once and never again")


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    schedule_id: int
    user_id: int
    kind: NoticeKind
    occurs_at: datetime
    shift_start: datetime | None
    shift_end: datetime | None
    state: NoticeState
    created_at: datetime
