"""The API shapes of the desk's settings: calendars, SLA rules, the matrix, canned replies."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from takepoint.desk import canned, rules
from takepoint.desk.apply import WEEKDAYS
from takepoint.desk.matrix import DEFAULT
from takepoint.desk.models import CalendarRow, Level, Priority
from takepoint.desk.rules import MAX_POSITION, MAX_TARGET_MINUTES, RuleSpec
from takepoint.lib.db import MAX_ID

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Hours = Annotated[str, Field(max_length=200)]
Minutes = Annotated[int, Field(gt=0, le=MAX_TARGET_MINUTES)]


class CategoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    team_id: Id | None = None


class CalendarIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    time_zone: str = Field(max_length=64, description="IANA zone the hours are read in")
    weekly: dict[Weekday, Hours] = Field(
        description="hours per weekday, like '09:00-12:00, 13:00-17:00'; a day left out is closed"
    )
    holidays: list[date] = Field(default_factory=list, max_length=5000, description="closed days")

    def week(self) -> dict[int, str]:
        return {WEEKDAYS.index(day): text for day, text in self.weekly.items() if text.strip()}


class CalendarOut(BaseModel):
    id: int
    name: str
    time_zone: str
    weekly: dict[Weekday, str]
    holidays: list[date]

    @classmethod
    def of(cls, row: CalendarRow) -> CalendarOut:
        texts = rules.week_texts(row)
        return cls(
            id=row.id,
            name=row.name,
            time_zone=row.time_zone,
            weekly={WEEKDAYS[day]: text for day, text in texts.items()},
            holidays=[date.fromisoformat(d) for d in sorted(row.holidays)],
        )


class SlaRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=100)
    position: int = Field(ge=0, le=MAX_POSITION, description="rules are tried from the lowest up")
    calendar_id: Id | None = Field(default=None, description="null: every hour counts")
    priority: Priority | None = Field(default=None, description="condition; null: any")
    category_id: Id | None = Field(default=None, description="condition; null: any")
    department_id: Id | None = Field(default=None, description="condition; null: any")
    service_id: Id | None = Field(default=None, description="condition; null: any")
    vip: bool | None = Field(default=None, description="condition; null: anyone")
    first_response_minutes: Minutes | None = None
    next_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    first_response_business: bool = Field(
        default=True, description="counted on the calendar's hours; false: every hour counts"
    )
    next_response_business: bool = True
    resolution_business: bool = True
    warn_percent: int = Field(
        default=rules.DEFAULT_WARN_PERCENT,
        ge=1,
        le=99,
        description="the assignee is warned when this share of a target is used",
    )

    def spec(self) -> RuleSpec:
        return RuleSpec(**self.model_dump(exclude={"name"}))


class SlaRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    position: int
    calendar_id: int | None
    priority: Priority | None
    category_id: int | None
    department_id: int | None
    service_id: int | None
    vip: bool | None
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    first_response_business: bool
    next_response_business: bool
    resolution_business: bool
    warn_percent: int


class MatrixCell(BaseModel):
    model_config = ConfigDict(extra="forbid")

    impact: Level = Field(description="how many are hurt")
    urgency: Level = Field(description="how soon it hurts")
    priority: Priority


class MatrixCellOut(MatrixCell):
    default: Priority = Field(description="the cell's priority when nobody changed it")
    changed: bool


class MatrixIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cells: list[MatrixCell] = Field(
        min_length=len(DEFAULT),
        max_length=len(DEFAULT),
        description="all nine cells, each impact with each urgency once",
    )

    @model_validator(mode="after")
    def _every_cell_once(self) -> MatrixIn:
        seen = [(c.impact, c.urgency) for c in self.cells]
        missing = [f"impact {i.value}, urgency {u.value}" for i, u in DEFAULT if (i, u) not in seen]
        if missing:
            raise ValueError(f"every cell once: missing {'; '.join(missing)}")
        return self


class MatrixOut(BaseModel):
    cells: list[MatrixCellOut]


class CannedReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=canned.MAX_NAME)
    team_id: Id | None = Field(default=None, description="null: for all teams")
    body: str = Field(
        max_length=canned.MAX_BODY,
        description="the text; placeholders such as {requester_first_name} are filled per ticket",
    )


class CannedReplyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    team_id: int | None
    body: str


class Placeholder(BaseModel):
    name: str = Field(description="written in braces in a reply: {requester_first_name}")
    meaning: str
