"""The shape of the `departments` and `services` sections of a catalog file.

These models validate the YAML and generate docs/catalog.schema.json; their descriptions are
what an editor shows while someone types the file.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator, model_validator

from takepoint.catalog.models import StepKind
from takepoint.catalog.service import check_hostname, check_slug, check_url
from takepoint.lib.apply import FileModel
from takepoint.lib.errors import InvalidInput

SLUG_PATTERN = r"^[a-z][a-z0-9-]*$"


def _slug(value: str) -> str:
    try:
        return check_slug(value)
    except InvalidInput as exc:
        raise ValueError(exc.message) from None


# A slug with a plain-words error (a regex in an error message helps nobody at 07:40).
Slug = Annotated[
    str,
    AfterValidator(_slug),
    Field(max_length=100, json_schema_extra={"pattern": SLUG_PATTERN}),
]


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


class ContactEntry(FileModel):
    name: str = Field(min_length=1, max_length=200, description="Person or post to call.")
    role: str = Field(default="", max_length=200, description="e.g. theatre charge nurse.")
    phone: str = Field(default="", max_length=64)
    email: str = Field(default="", max_length=254)
    hours: str = Field(default="", max_length=200, description="When this contact answers.")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return value.lower()


class DepartmentEntry(FileModel):
    slug: Slug = Field(description="Matches the department.")
    name: str = Field(min_length=1, max_length=200)
    do_not_disrupt: str = Field(
        default="",
        description="When disruption is unacceptable, e.g. theatre in session 07:30-18:00.",
    )
    notes: str = ""
    contacts: list[ContactEntry] = Field(
        default_factory=list, description="Who to call, in order; the list replaces the old one."
    )


class HostEntry(FileModel):
    hostname: str = Field(max_length=253, description="Unique across the catalog.")
    role: str = Field(default="", max_length=200, description="e.g. database, web front end.")
    notes: str = ""

    @field_validator("hostname")
    @classmethod
    def _hostname(cls, value: str) -> str:
        try:
            return check_hostname(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None


class DataEntry(FileModel):
    store: str = Field(min_length=1, max_length=200, description="e.g. transactions database.")
    location: str = Field(default="", description="Where it lives and where its copies go.")


class LinkEntry(FileModel):
    title: str = Field(min_length=1, max_length=200)
    url: str = Field(max_length=2000)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            return check_url(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None


class DependencyEntry(FileModel):
    service: str | None = Field(default=None, description="Slug of a service this one needs.")
    host: str | None = Field(default=None, description="Hostname of a host this one needs.")
    note: str = Field(default="", max_length=500, description="What for, e.g. order lookups.")

    @field_validator("host")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        return _lower(value)

    @model_validator(mode="after")
    def _one_target(self) -> DependencyEntry:
        if (self.service is None) == (self.host is None):
            raise ValueError("a dependency names one service or one host")
        return self

    @property
    def target(self) -> tuple[str, str]:
        return ("service", self.service) if self.service else ("host", self.host or "")


class StepEntry(FileModel):
    kind: StepKind = Field(default=StepKind.PLAIN, description="plain, check or disruptive.")
    text: str = Field(min_length=1, max_length=2000, description="One line of Markdown.")
    confirm_with: str | None = Field(
        default=None,
        description="Disruptive steps only: slug of the department whose confirmation it needs.",
    )

    @model_validator(mode="after")
    def _confirmation(self) -> StepEntry:
        if self.kind is StepKind.DISRUPTIVE and not self.confirm_with:
            raise ValueError("a disruptive step needs confirm_with: the department to ask")
        if self.kind is not StepKind.DISRUPTIVE and self.confirm_with:
            raise ValueError("only disruptive steps take confirm_with")
        return self


class RunbookEntry(FileModel):
    slug: Slug = Field(description="Unique per service.")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=100_000, description="Markdown.")
    steps: list[StepEntry] = Field(default_factory=list, description="In the order to follow.")
    last_reviewed: date | None = Field(
        default=None,
        description="UTC date of the last review. Left out, a changed runbook counts as "
        "reviewed when applied.",
    )


class ServiceEntry(FileModel):
    slug: Slug = Field(description="Matches the service.")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    tier: int = Field(default=3, ge=1, le=4, description="1 is the most critical, 4 the least.")
    team: str | None = Field(default=None, description="Slug of the owning team.")
    tech_lead: str | None = Field(default=None, description="Email of the technical lead.")
    backup_lead: str | None = Field(
        default=None, description="Email of the backup lead: someone other than the tech lead."
    )
    stores_data: bool = Field(
        default=False, description="true when it keeps data that needs a backup heartbeat."
    )
    departments: list[str] = Field(
        default_factory=list, description="Slugs of the departments that use it."
    )
    hosts: list[HostEntry] = Field(default_factory=list, description="Hosts and components.")
    data: list[DataEntry] = Field(default_factory=list, description="Where its data lives.")
    links: list[LinkEntry] = Field(default_factory=list)
    depends_on: list[DependencyEntry] = Field(
        default_factory=list, description="Services and hosts it needs; cycles are refused."
    )
    runbooks: list[RunbookEntry] = Field(
        default_factory=list,
        description="Runbooks left out of the list are kept, unless applied with --prune.",
    )

    @field_validator("tech_lead", "backup_lead")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return _lower(value)
