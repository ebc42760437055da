"""Configuration as code: apply a YAML file to the database, or export the database as one.

A file is a mapping of sections (`users:`, `teams:`, `services:`...), each a list of entries.
Every domain provides its sections as small typed objects (subclasses of `Section`) in its
`DomainParts.apply_sections`; the registry lists them in the order they are written (a section
may refer to names of sections above it).

Applying runs in phases, and nothing is written unless every phase passes:

1. parse the YAML, keeping the line of every key and list item;
2. validate each entry against its section's pydantic model (unknown fields are errors);
3. let each section check its references against what will exist afterwards (the database
   plus the file, minus what --prune removes);
4. plan: each section diffs its entries against the database (create, update), and entries
   missing from a section that the file contains become deletes, with --prune only;
5. write, sections in order, then deletes in reverse order.

All problems from phases 1-3 are collected and reported together as `file:line: message`.
Export writes the same format, so `export` then `apply` plans no changes.
"""

from __future__ import annotations

import difflib
import enum
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from sqlalchemy.orm import Session

from takepoint.lib.context import context_of
from takepoint.lib.errors import InvalidInput
from takepoint.lib.located_yaml import (
    LocatedDict,
    LocatedList,
    Problem,
    line_of,
    parse_yaml,
    pydantic_problems,
)

FORMAT_VERSION = 1
ARROW = "→"


# --- sections ----------------------------------------------------------------------------------

ItemT = TypeVar("ItemT", bound=BaseModel)


class FileModel(BaseModel):
    """Base for entries of a file: unknown fields are errors; text is trimmed."""

    # A phone number written without quotes arrives as a number; it is still text.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, coerce_numbers_to_str=True)


@dataclass
class Entry(Generic[ItemT]):
    item: ItemT
    node: LocatedDict

    def line(self, *path: str | int) -> int:
        return line_of(self.node, path)

    def given(self, name: str) -> bool:
        """Whether the file sets this field; fields left out are left as they are."""
        return name in self.item.model_fields_set


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class Change:
    action: Action
    kind: str
    name: str
    details: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "kind": self.kind,
            "name": self.name,
            "details": list(self.details),
        }


def describe(field_name: str, old: object, new: object) -> str:
    """One line of a plan: `tier: 2 → 1`."""

    def show(value: object) -> str:
        if value is None or value == "" or value == []:
            return "(none)"
        if isinstance(value, list | tuple | set | frozenset):
            return ", ".join(str(v) for v in value)
        text = str(value)
        return text if len(text) <= 60 and "\n" not in text else "(text changed)"

    if show(old) == show(new) == "(text changed)":
        return f"{field_name}: text changed"
    return f"{field_name}: {show(old)} {ARROW} {show(new)}"


class Context:
    """What a section sees while checking, planning and writing one file."""

    def __init__(
        self, session: Session, *, filename: str, now: datetime, prune: bool, present: set[str]
    ) -> None:
        self.session = session
        self.filename = filename
        self.now = now
        self.prune = prune
        self.problems: list[Problem] = []
        self.names: dict[str, set[str]] = {}
        self.present = present  # the section keys the file contains
        self.section_lines: dict[str, int] = {}
        # Read-only state a section loads once for check and plan; cleared before writing.
        self.cache: dict[str, Any] = {}

    def report(self, entry: Entry[Any], path: Sequence[str | int], message: str) -> None:
        self.problems.append(Problem(entry.line(*path), message))

    def report_at(self, line: int, message: str) -> None:
        self.problems.append(Problem(line, message))

    def knows(self, section: str, name: str) -> bool:
        """Whether `name` will exist in `section` once the file is applied."""
        return name in self.names.get(section, set())


class Section(ABC, Generic[ItemT]):
    """One top-level list of a catalog file, provided by the domain that owns those objects."""

    key: str  # the top-level YAML key, plural: "services"
    kind: str  # one object, for plans and messages: "service"
    model: type[ItemT]
    description: str
    identity_field: str = "slug"  # the field an entry is matched by
    # Objects with a history that must never vanish (users) set this to False.
    prunable: bool = True

    def identity(self, item: ItemT) -> str:
        """The name an entry is matched by (a slug, an email)."""
        return str(getattr(item, self.identity_field))

    @abstractmethod
    def existing(self, session: Session) -> set[str]:
        """The names that exist in the database now."""

    def check(self, ctx: Context, entries: list[Entry[ItemT]]) -> None:
        """Report problems (dangling references, cycles) with ctx.report; never write."""

    @abstractmethod
    def plan(self, ctx: Context, entries: list[Entry[ItemT]]) -> list[Change]:
        """The creates and updates that writing these entries would make."""

    @abstractmethod
    def write(self, ctx: Context, entries: list[Entry[ItemT]], changes: list[Change]) -> None:
        """Make the planned creates and updates."""

    @abstractmethod
    def delete(self, ctx: Context, names: list[str]) -> None:
        """Remove these objects (only called with --prune, and never when prunable is False)."""

    @abstractmethod
    def export(self, session: Session) -> list[dict[str, Any]]:
        """Every object, as the entries that would create it again."""


# --- the whole file ----------------------------------------------------------------------------


class ApplyRejected(InvalidInput):
    """The file has errors; nothing was applied."""

    def __init__(self, filename: str, problems: Sequence[Problem]) -> None:
        self.filename = filename
        self.problems = sorted(set(problems))
        lines = [f"{filename}:{p.line}: {p.message}" for p in self.problems]
        count = len(lines)
        lines.append(f"{count} error{'s' * (count != 1)}; nothing was applied.")
        super().__init__("\n".join(lines), field="file")


@dataclass
class Plan:
    filename: str
    changes: list[Change] = field(default_factory=list)
    applied: bool = False

    @property
    def empty(self) -> bool:
        return not self.changes

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    def summary(self) -> str:
        if self.empty:
            return f"No changes: Takepoint already matches {self.filename}."
        counts = ", ".join(f"{self.count(a)} to {a.value}" for a in Action if self.count(a))
        verb = "Applied" if self.applied else "Plan"
        return f"{verb}: {counts}."

    def render(self) -> str:
        marks = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}
        lines = []
        for change in self.changes:
            lines.append(
                f"{marks[change.action]} {change.action.value} {change.kind} {change.name}"
            )
            lines.extend(f"    {detail}" for detail in change.details)
        lines.append(self.summary())
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.filename,
            "applied": self.applied,
            "changes": [c.as_dict() for c in self.changes],
            "summary": self.summary(),
        }


@dataclass
class _Read:
    entries: dict[str, list[Entry[Any]]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    # Names of entries that failed validation: they still count as "in the file", so that
    # references to them are not reported a second time as unknown.
    invalid: dict[str, set[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _entries(section: Section[Any], value: Any, line: int, read: _Read) -> list[Entry[Any]]:
    problems = read.problems
    if value is None:
        return []
    if not isinstance(value, LocatedList):
        problems.append(Problem(line, f"'{section.key}' is a list of {section.key}"))
        return []
    entries: list[Entry[Any]] = []
    first_seen: dict[str, int] = {}
    for item, item_line in zip(value, value.item_lines, strict=True):
        if not isinstance(item, LocatedDict):
            problems.append(Problem(item_line, f"each entry of '{section.key}' is a mapping"))
            continue
        try:
            model = section.model.model_validate(dict(item))
        except ValidationError as exc:
            problems.extend(pydantic_problems(section.model, item, exc))
            raw = item.get(section.identity_field)
            if isinstance(raw, str):
                read.invalid.setdefault(section.key, set()).add(raw.strip().lower())
            continue
        name = section.identity(model)
        if name in first_seen:
            problems.append(
                Problem(
                    item_line,
                    f"duplicate {section.kind} '{name}' (first at line {first_seen[name]})",
                )
            )
            continue
        first_seen[name] = item_line
        entries.append(Entry(item=model, node=item))
    return entries


def _read(text: str, sections: Sequence[Section[Any]]) -> _Read:
    read = _Read()
    document, read.problems = parse_yaml(text)
    if document is None and read.problems:
        return read
    if not isinstance(document, LocatedDict):
        line = getattr(document, "line", 1)
        read.problems.append(Problem(line, "the file must be a mapping of sections"))
        return read
    read.lines = dict(document.key_lines)
    by_key = {s.key: s for s in sections}
    allowed = ["version", *by_key]
    for key, value in document.items():
        line = document.key_lines[key]
        if key == "version":
            if value != FORMAT_VERSION:
                message = f"version: this Takepoint reads version {FORMAT_VERSION}"
                read.problems.append(Problem(line, message))
        elif key in by_key:
            read.entries[key] = _entries(by_key[key], value, line, read)
        else:
            message = f"unknown section '{key}'"
            close = difflib.get_close_matches(key, allowed, n=1)
            message += (
                f" (did you mean '{close[0]}'?)" if close else f"; sections: {', '.join(allowed)}"
            )
            read.problems.append(Problem(line, message))
    return read


def apply_text(
    session: Session,
    *,
    text: str,
    filename: str,
    now: datetime,
    prune: bool = False,
    dry_run: bool = False,
    sections: Sequence[Section[Any]] | None = None,
) -> Plan:
    """Check, plan and (unless dry_run) write a catalog file in the session's unit of work.

    Raises ApplyRejected, listing every problem, before anything is written.
    """
    sections = _sections_for(session, sections)
    read = _read(text, sections)
    if read.problems and not read.lines:
        raise ApplyRejected(filename, read.problems)  # not even a mapping of sections
    found = read.entries

    ctx = Context(session, filename=filename, now=now, prune=prune, present=set(found))
    ctx.section_lines = read.lines
    ctx.problems += read.problems
    deletes: dict[str, list[str]] = {}
    for section in sections:
        existing = section.existing(session)
        if section.key not in found:
            ctx.names[section.key] = existing
            continue
        in_file = {section.identity(e.item) for e in found[section.key]}
        in_file |= read.invalid.get(section.key, set())
        gone = sorted(existing - in_file) if prune and section.prunable else []
        deletes[section.key] = gone
        ctx.names[section.key] = (existing - set(gone)) | in_file
    # Entries that failed validation are skipped here, but every valid one is still checked,
    # so one run reports every problem in the file.
    for section in sections:
        if section.key in found:
            section.check(ctx, found[section.key])
    if ctx.problems:
        raise ApplyRejected(filename, ctx.problems)

    plan = Plan(filename=filename)
    planned: dict[str, list[Change]] = {}
    for section in sections:
        if section.key not in found:
            continue
        planned[section.key] = section.plan(ctx, found[section.key])
        plan.changes += planned[section.key]
        plan.changes += [
            Change(Action.DELETE, section.kind, name) for name in deletes.get(section.key, [])
        ]
    if dry_run or plan.empty:
        return plan

    ctx.cache.clear()
    for section in sections:
        if planned.get(section.key):
            section.write(ctx, found[section.key], planned[section.key])
            session.flush()
    for section in reversed(sections):
        if deletes.get(section.key):
            section.delete(ctx, deletes[section.key])
            session.flush()
    plan.applied = True
    return plan


# --- export and schema -------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    # Indent list items under their key, as people write YAML by hand.
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(document: dict[str, Any]) -> str:
    return yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def export_text(session: Session, *, sections: Sequence[Section[Any]] | None = None) -> str:
    """The whole configuration as a file that `apply` reads back with no changes."""
    sections = _sections_for(session, sections)
    document: dict[str, Any] = {"version": FORMAT_VERSION}
    for section in sections:
        document[section.key] = section.export(session)
    header = "# Takepoint configuration. Change it, then: takepoint apply FILE --dry-run\n"
    return header + dump_yaml(document)


def _sections_for(
    session: Session, sections: Sequence[Section[Any]] | None
) -> Sequence[Section[Any]]:
    return context_of(session).registry.apply_sections if sections is None else sections


def document_model(sections: Sequence[Section[Any]]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "version": (
            Literal[1],
            Field(default=FORMAT_VERSION, description="The file format version."),
        )
    }
    for section in sections:
        fields[section.key] = (
            list[section.model] | None,  # type: ignore[name-defined]
            Field(default=None, description=section.description),
        )
    model: type[BaseModel] = create_model(
        "TakepointCatalog",
        __config__=ConfigDict(extra="forbid", title="Takepoint catalog"),
        **fields,
    )
    return model


def json_schema(sections: Sequence[Section[Any]]) -> dict[str, Any]:
    """The JSON Schema of catalog files, for editors that validate YAML as you type."""
    schema = document_model(sections).model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "description": (
            "A Takepoint configuration file: each section lists one kind of object (users, "
            "teams, departments, services, ...). Apply it with `takepoint apply FILE`; "
            "`takepoint export` writes one."
        ),
        **schema,
    }
