from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from takepoint.accounts.models import Role, TokenScope


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    time_zone: str
    role: Role
    is_active: bool


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254)
    display_name: str = Field(min_length=1, max_length=200)
    time_zone: str = "UTC"
    role: Role = Role.RESPONDER
    password: str | None = Field(default=None, max_length=200)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = None
    role: Role | None = None
    is_active: bool | None = None


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = None


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    slug: str
    lead_id: int | None
    member_ids: list[int]


class TeamCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    lead_id: int | None = None
    member_ids: list[int] = Field(default_factory=list)


class TeamUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lead_id: int | None = None
    member_ids: list[int] | None = None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scope: TokenScope = TokenScope.READ


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    scope: TokenScope
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The secret. It is shown this once and never again.")
