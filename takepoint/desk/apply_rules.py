"""The desk's SLA rules in configuration files (see desk/apply.py for the format).

Rules are checked as the policy they will form: the rules of the file plus those of the
database it leaves alone. A rule after one that matches every ticket could never match, and is
refused, as `desk.rules.create_rule` refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.catalog.models import Department, Service
from takepoint.desk import rules, rules_write
from takepoint.desk.models import CalendarRow, Category, Priority, SlaRule
from takepoint.desk.rules import (
    DEFAULT_WARN_PERCENT,
    MAX_POSITION,
    MAX_TARGET_MINUTES,
    TARGETS,
    RuleSpec,
)
from takepoint.lib.apply import Action, Change, Context, Entry, FileModel, Section, describe

TARGET_FIELDS = tuple(f"{target}_minutes" for target in TARGETS)
BUSINESS_FIELDS = tuple(f"{target}_business" for target in TARGETS)
CONDITION_FIELDS = ("priority", "category", "department", "service", "vip")
RULE_FIELDS = (
    "position",
    "calendar",
    *CONDITION_FIELDS,
    *TARGET_FIELDS,
    *BUSINESS_FIELDS,
    "warn_percent",
)
# Left out of exports, so that files written before these fields existed read the same.
DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(BUSINESS_FIELDS, True),
    "warn_percent": DEFAULT_WARN_PERCENT,
}


class SlaRuleItem(FileModel):
    name: str = Field(min_length=1, max_length=100, description="Matches the rule.")
    position: int = Field(
        ge=0, le=MAX_POSITION, description="Rules are tried from the lowest position up."
    )
    calendar: str | None = Field(
        default=None, description="Name of a desk calendar; null: calendar time (24x7)."
    )
    priority: Priority | None = Field(default=None, description="Condition: p1 to p4.")
    category: str | None = Field(default=None, description="Condition: name of a desk category.")
    department: str | None = Field(default=None, description="Condition: slug of a department.")
    service: str | None = Field(default=None, description="Condition: slug of a service.")
    vip: bool | None = Field(default=None, description="Condition: the requester is a VIP or not.")
    first_response_minutes: int | None = Field(
        default=None, gt=0, le=MAX_TARGET_MINUTES, description="Target."
    )
    next_response_minutes: int | None = Field(
        default=None, gt=0, le=MAX_TARGET_MINUTES, description="Target."
    )
    resolution_minutes: int | None = Field(
        default=None, gt=0, le=MAX_TARGET_MINUTES, description="Target."
    )
    first_response_business: bool = Field(
        default=True, description="Counted on the calendar's hours; false: every hour counts."
    )
    next_response_business: bool = Field(
        default=True, description="Counted on the calendar's hours; false: every hour counts."
    )
    resolution_business: bool = Field(
        default=True, description="Counted on the calendar's hours; false: every hour counts."
    )
    warn_percent: int = Field(
        default=DEFAULT_WARN_PERCENT,
        ge=1,
        le=99,
        description="The assignee is warned when this share of a target is used.",
    )

    @field_validator("priority", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


@dataclass
class _Names:
    """Names of what rules refer to, by id, loaded once per file."""

    calendars: dict[int, str]
    categories: dict[int, str]
    departments: dict[int, str]
    services: dict[int, str]

    @classmethod
    def load(cls, session: Session) -> _Names:
        def names(rows: Any) -> dict[int, str]:
            return {row_id: name for row_id, name in session.execute(rows)}

        return cls(
            calendars=names(select(CalendarRow.id, CalendarRow.name)),
            categories=names(select(Category.id, Category.name)),
            departments=names(select(Department.id, Department.slug)),
            services=names(select(Service.id, Service.slug)),
        )

    def ids(self, kind: str) -> dict[str, int]:
        return {name: row_id for row_id, name in getattr(self, kind).items()}


def _rules(session: Session) -> dict[str, SlaRule]:
    ordered = select(SlaRule).order_by(SlaRule.position, SlaRule.id)
    return {r.name: r for r in session.scalars(ordered).unique()}


def _rule_view(rule: SlaRule, names: _Names) -> dict[str, Any]:
    def name(table: dict[int, str], row_id: int | None) -> str | None:
        return None if row_id is None else table.get(row_id)

    return {
        "position": rule.position,
        "calendar": name(names.calendars, rule.calendar_id),
        "priority": rule.priority.value if rule.priority else None,
        "category": name(names.categories, rule.category_id),
        "department": name(names.departments, rule.department_id),
        "service": name(names.services, rule.service_id),
        "vip": rule.vip,
        **{field: getattr(rule, field) for field in (*TARGET_FIELDS, *BUSINESS_FIELDS)},
        "warn_percent": rule.warn_percent,
    }


def _file_rule_view(entry: Entry[SlaRuleItem], before: dict[str, Any] | None) -> dict[str, Any]:
    view = dict(before) if before else dict.fromkeys(RULE_FIELDS)
    item = entry.item
    for field in RULE_FIELDS:
        if entry.given(field) or before is None:
            value = getattr(item, field)
            view[field] = value.value if isinstance(value, Priority) else value
    return view


def _catch_all(view: dict[str, Any]) -> bool:
    return all(view[field] is None for field in CONDITION_FIELDS)


class SlaRulesSection(Section[SlaRuleItem]):
    key = "desk_sla_rules"
    kind = "SLA rule"
    model = SlaRuleItem
    description = "SLA rules, tried by position: conditions, a calendar and targets in minutes."
    identity_field = "name"

    def existing(self, session: Session) -> set[str]:
        return set(session.scalars(select(SlaRule.name)))

    def _views(self, ctx: Context) -> tuple[dict[str, SlaRule], dict[str, dict[str, Any]]]:
        if "desk_rules" not in ctx.cache:
            current, names = _rules(ctx.session), _Names.load(ctx.session)
            views = {n: _rule_view(r, names) for n, r in current.items()}
            ctx.cache["desk_rules"] = (current, views)
        cached: tuple[dict[str, SlaRule], dict[str, dict[str, Any]]] = ctx.cache["desk_rules"]
        return cached

    def check(self, ctx: Context, entries: list[Entry[SlaRuleItem]]) -> None:
        _, before = self._views(ctx)
        in_file = {e.item.name: e for e in entries}
        policy: dict[str, dict[str, Any]] = {
            name: view
            for name, view in before.items()
            if name not in in_file and ctx.knows(self.key, name)
        }
        refs = {
            "calendar": "desk_calendars",
            "category": "desk_categories",
            "department": "departments",
            "service": "services",
        }
        section_line = ctx.section_lines.get(self.key, 1)
        for name, view in policy.items():  # kept as they are: what they use must stay
            for field, section in refs.items():
                if view[field] is not None and not ctx.knows(section, view[field]):
                    message = f"SLA rule '{name}' uses {field} '{view[field]}'"
                    ctx.report_at(section_line, f"{message}, which --prune would delete")
        for entry in entries:
            view = _file_rule_view(entry, before.get(entry.item.name))
            policy[entry.item.name] = view
            for field, section in refs.items():
                if view[field] is not None and not ctx.knows(section, view[field]):
                    path = (field,) if entry.given(field) else ("name",)
                    ctx.report(entry, path, f"unknown {field} '{view[field]}'")
            if all(view[target] is None for target in TARGET_FIELDS):
                ctx.report(
                    entry,
                    ("name",),
                    "a rule needs at least one target: " + ", ".join(TARGET_FIELDS),
                )
        catch_alls = [(v["position"], n) for n, v in policy.items() if _catch_all(v)]
        for name, view in policy.items():
            first = min(
                ((p, n) for p, n in catch_alls if n != name and p <= view["position"]), default=None
            )
            if first is None:
                continue
            found = in_file.get(name)
            if found is not None:
                path = ("position",) if found.given("position") else ("name",)
                ctx.report(
                    found,
                    path,
                    f"this rule could never match: '{first[1]}' (position {first[0]}) comes "
                    "first and matches every ticket",
                )
            elif first[1] in in_file:
                ctx.report(
                    in_file[first[1]],
                    ("position",),
                    f"SLA rule '{name}' (position {view['position']}) could never match after "
                    "this rule, which matches every ticket",
                )

    def plan(self, ctx: Context, entries: list[Entry[SlaRuleItem]]) -> list[Change]:
        _, before = self._views(ctx)
        changes = []
        for entry in entries:
            name = entry.item.name
            old = before.get(name)
            new = _file_rule_view(entry, old)
            if old is None:
                summary = _rule_summary(new)
                changes.append(Change(Action.CREATE, self.kind, name, (summary,)))
                continue
            details = [describe(f, old[f], new[f]) for f in RULE_FIELDS if old[f] != new[f]]
            if details:
                changes.append(Change(Action.UPDATE, self.kind, name, tuple(details)))
        return changes

    def write(self, ctx: Context, entries: list[Entry[SlaRuleItem]], changes: list[Change]) -> None:
        session = ctx.session
        current, before = self._views(ctx)
        names = _Names.load(session)  # calendars and categories written just now included
        wanted = {c.name for c in changes}
        if ctx.prune:
            # Rules the file drops go first, so that a new rule is never refused for a catch-all
            # that is on its way out (deletes otherwise run after every write).
            for name, rule in current.items():
                if not ctx.knows(self.key, name):
                    session.delete(rule)
            session.flush()
        specs: dict[str, RuleSpec] = {}
        for entry in entries:
            if entry.item.name in wanted:
                specs[entry.item.name] = _rule_spec(
                    _file_rule_view(entry, before.get(entry.item.name)), names
                )
        # Updates first, then new rules from the top: the policy in the database is then
        # always a prefix of the one the file describes, which create_rule accepts.
        for name, spec in specs.items():
            if name in current:
                rules_write.update_rule(current[name], spec)
        session.flush()
        for name, spec in sorted(
            ((n, s) for n, s in specs.items() if n not in current), key=lambda ns: ns[1].position
        ):
            rules.add_rule(session, name=name, spec=spec)

    def delete(self, ctx: Context, names: list[str]) -> None:
        # write() may have removed them already.
        for rule in ctx.session.scalars(select(SlaRule).where(SlaRule.name.in_(names))):
            ctx.session.delete(rule)

    def export(self, session: Session) -> list[dict[str, Any]]:
        names = _Names.load(session)
        rows = []
        for name, rule in _rules(session).items():
            view = _rule_view(rule, names)
            row: dict[str, Any] = {"name": name, "position": view.pop("position")}
            row["calendar"] = view.pop("calendar")
            row.update({k: v for k, v in view.items() if v is not None and v != DEFAULTS.get(k)})
            rows.append(row)
        return rows


def _rule_summary(view: dict[str, Any]) -> str:
    conditions = [f"{f} {view[f]}" for f in CONDITION_FIELDS if view[f] is not None]
    targets = [
        f"{t} {view[f'{t}_minutes']} min" + ("" if view[f"{t}_business"] else " (every hour)")
        for t in TARGETS
        if view[f"{t}_minutes"]
    ]
    when = ", ".join(conditions) or "every ticket"
    warn = (
        "" if view["warn_percent"] == DEFAULT_WARN_PERCENT else f"; warn at {view['warn_percent']}%"
    )
    return f"position {view['position']}: {when}; {', '.join(targets)}{warn}"


def _rule_spec(view: dict[str, Any], names: _Names) -> RuleSpec:
    def id_of(kind: str, name: str | None) -> int | None:
        return None if name is None else names.ids(kind)[name]

    return RuleSpec(
        position=view["position"],
        calendar_id=id_of("calendars", view["calendar"]),
        priority=Priority(view["priority"]) if view["priority"] else None,
        category_id=id_of("categories", view["category"]),
        department_id=id_of("departments", view["department"]),
        service_id=id_of("services", view["service"]),
        vip=view["vip"],
        **{field: view[field] for field in (*TARGET_FIELDS, *BUSINESS_FIELDS)},
        warn_percent=view["warn_percent"],
    )


DESK_SLA_RULES = SlaRulesSection()
