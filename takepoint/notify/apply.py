"""The `notifications` section of configuration files: each person's contact methods and rules.

    notifications:
      - user: dana@stmarys.example
        contact_methods:            # in order: the first is tried first
          - {label: Work email, email: dana@stmarys.example}
          - {label: Phone, apprise: "ntfys://ntfy.sh/dana-pager"}
        rules:                      # left out: rules stay as they are; {}: the defaults
          high:
            - {via: Work email, after_minutes: 0}
            - {via: Phone, after_minutes: 2}

An entry is the whole truth for its person: methods it does not list are removed. People the
file does not mention keep what they set up themselves, even with --prune.

Apprise URLs can hold secrets, so export writes them masked, as pages show them. Applying a
masked URL back leaves the stored one as it is; a new method needs the full URL.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.lib.apply import Action, Change, Context, Entry, FileModel, Section, describe
from takepoint.lib.errors import InvalidInput
from takepoint.notify import contacts
from takepoint.notify.models import ContactKind, ContactMethod, NotificationRule, Urgency
from takepoint.notify.transports import check_target

_MASKED = re.compile(r"\*\*\*\*|\w\.\.\.\w")


class MethodEntry(FileModel):
    label: str = Field(min_length=1, max_length=100, description="Names the method in rules.")
    email: str | None = Field(default=None, max_length=254, description="An email address.")
    apprise: str | None = Field(
        default=None, max_length=2000, description="An Apprise URL (SMS, Teams, ntfy...)."
    )

    @model_validator(mode="after")
    def _one_target(self) -> MethodEntry:
        if (self.email is None) == (self.apprise is None):
            raise ValueError(f"contact method '{self.label}' needs either email or apprise")
        return self

    @property
    def kind(self) -> ContactKind:
        return ContactKind.EMAIL if self.email is not None else ContactKind.APPRISE

    @property
    def target(self) -> str:
        return self.email if self.email is not None else str(self.apprise)


class StepEntry(FileModel):
    via: str = Field(min_length=1, max_length=100, description="The label of a contact method.")
    after_minutes: int = Field(default=0, ge=0, le=contacts.MAX_DELAY_MINUTES)


class RulesEntry(FileModel):
    high: list[StepEntry] = Field(default_factory=list)
    low: list[StepEntry] = Field(default_factory=list)

    def steps(self) -> list[tuple[Urgency, StepEntry]]:
        return [(Urgency.HIGH, s) for s in self.high] + [(Urgency.LOW, s) for s in self.low]


class NotificationsEntry(FileModel):
    user: str = Field(max_length=254, description="Email of the person.")
    contact_methods: list[MethodEntry] | None = Field(
        default=None, description="Every contact method, in the order they are tried."
    )
    rules: RulesEntry | None = Field(
        default=None, description="Steps per urgency; {} means the defaults."
    )

    @field_validator("user")
    @classmethod
    def _user(cls, value: str) -> str:
        return value.lower()


def _users(session: Session, emails: set[str]) -> dict[str, User]:
    return {u.email: u for u in session.scalars(select(User).where(User.email.in_(emails)))}


def _unchanged(method: ContactMethod, item: MethodEntry) -> bool:
    if method.kind is not item.kind:
        return False
    value = item.target.strip()
    if method.kind is ContactKind.EMAIL:
        return method.target == value.lower()
    return value in (method.target, method.display)


def _rule_set(rules: list[NotificationRule]) -> list[str]:
    return sorted(
        f"{r.urgency.value}: {r.contact_method.label} after {r.delay_minutes} min" for r in rules
    )


def _wanted_rules(item: RulesEntry) -> list[str]:
    return sorted(f"{u.value}: {s.via} after {s.after_minutes} min" for u, s in item.steps())


class NotificationsSection(Section[NotificationsEntry]):
    key = "notifications"
    kind = "notification settings"
    model = NotificationsEntry
    description = "Each person's contact methods (in order) and notification rules."
    identity_field = "user"
    # People set these up themselves; a file removes only what it lists people for.
    prunable = False

    def existing(self, session: Session) -> set[str]:
        with_methods = select(ContactMethod.user_id)
        with_rules = select(NotificationRule.user_id)
        query = select(User.email).where(User.id.in_(with_methods.union(with_rules)))
        return set(session.scalars(query))

    def check(self, ctx: Context, entries: list[Entry[NotificationsEntry]]) -> None:
        users = _users(ctx.session, {e.item.user for e in entries})
        for entry in entries:
            item = entry.item
            if not ctx.knows("users", item.user):
                ctx.report(entry, ("user",), f"unknown user '{item.user}'")
            user = users.get(item.user)
            current = (
                {m.label: m for m in contacts.list_contact_methods(ctx.session, user=user)}
                if user
                else {}
            )
            labels = set(current)
            if item.contact_methods is not None:
                labels = set()
                for index, method in enumerate(item.contact_methods):
                    self._check_method(ctx, entry, index, method, current.get(method.label))
                    if method.label in labels:
                        ctx.report(
                            entry,
                            ("contact_methods", index, "label"),
                            f"the label '{method.label}' is used twice",
                        )
                    labels.add(method.label)
            if item.rules is not None:
                self._check_rules(ctx, entry, item.rules, labels)

    def _check_method(
        self,
        ctx: Context,
        entry: Entry[NotificationsEntry],
        index: int,
        item: MethodEntry,
        current: ContactMethod | None,
    ) -> None:
        field = "email" if item.kind is ContactKind.EMAIL else "apprise"
        path = ("contact_methods", index, field)
        if current is not None and _unchanged(current, item):
            return
        if item.kind is ContactKind.APPRISE and _MASKED.search(item.target):
            ctx.report(entry, path, "this URL is masked (as export writes it); give the full URL")
            return
        try:
            check_target(item.kind, item.target)
        except InvalidInput as exc:
            ctx.report(entry, path, exc.message)

    def _check_rules(
        self, ctx: Context, entry: Entry[NotificationsEntry], rules: RulesEntry, labels: set[str]
    ) -> None:
        for urgency in Urgency:
            seen: set[tuple[str, int]] = set()
            for index, step in enumerate(getattr(rules, urgency.value)):
                path = ("rules", urgency.value, index, "via")
                if step.via not in labels:
                    ctx.report(entry, path, f"no contact method labelled '{step.via}'")
                if (step.via, step.after_minutes) in seen:
                    ctx.report(entry, path, "this step is listed twice")
                seen.add((step.via, step.after_minutes))

    def _details(self, session: Session, user: User | None, item: NotificationsEntry) -> list[str]:
        methods = contacts.list_contact_methods(session, user=user) if user else []
        details = []
        if item.contact_methods is not None:
            by_label = {m.label: m for m in methods}
            before = [m.label for m in methods]
            after = [m.label for m in item.contact_methods]
            if before != after:
                details.append(describe("contact_methods", before, after))
            for method in item.contact_methods:
                old = by_label.get(method.label)
                if old is not None and not _unchanged(old, method):
                    details.append(describe(method.label, old.display, method.target))
        if item.rules is not None:
            before = _rule_set(contacts.list_rules(session, user=user)) if user else []
            after = _wanted_rules(item.rules)
            if before != after:
                details.append(describe("rules", before, after))
        return details

    def plan(self, ctx: Context, entries: list[Entry[NotificationsEntry]]) -> list[Change]:
        users = _users(ctx.session, {e.item.user for e in entries})
        existing = self.existing(ctx.session)
        changes = []
        for entry in entries:
            details = self._details(ctx.session, users.get(entry.item.user), entry.item)
            if not details:
                continue
            action = Action.UPDATE if entry.item.user in existing else Action.CREATE
            changes.append(Change(action, self.kind, entry.item.user, tuple(details)))
        return changes

    def write(
        self, ctx: Context, entries: list[Entry[NotificationsEntry]], changes: list[Change]
    ) -> None:
        wanted = {c.name for c in changes}
        users = _users(ctx.session, wanted)
        for entry in entries:
            if entry.item.user in wanted:
                self._write_one(ctx, users[entry.item.user], entry.item)

    def _write_one(self, ctx: Context, user: User, item: NotificationsEntry) -> None:
        session = ctx.session
        if item.contact_methods is not None:
            current = {m.label: m for m in contacts.list_contact_methods(session, user=user)}
            keep = {m.label for m in item.contact_methods}
            for label, method in current.items():
                if label not in keep:
                    contacts.delete_contact_method(session, method=method, now=ctx.now)
            for position, entry in enumerate(item.contact_methods):
                found = current.get(entry.label)
                if found is None:
                    method = contacts.add_contact_method(
                        session,
                        user=user,
                        kind=entry.kind,
                        target=entry.target,
                        label=entry.label,
                        now=ctx.now,
                    )
                else:
                    method = found
                    if not _unchanged(method, entry):
                        method.kind = entry.kind
                        method.target, method.display = check_target(entry.kind, entry.target)
                method.position = position
            session.flush()
        if item.rules is not None:
            by_label = {m.label: m.id for m in contacts.list_contact_methods(session, user=user)}
            specs = [
                contacts.RuleSpec(urgency, by_label[step.via], step.after_minutes)
                for urgency, step in item.rules.steps()
            ]
            contacts.replace_rules(session, user=user, rules=specs, now=ctx.now)

    def delete(self, ctx: Context, names: list[str]) -> None:
        raise AssertionError("notification settings are never pruned")

    def export(self, session: Session) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        users = session.scalars(
            select(User).where(User.email.in_(self.existing(session))).order_by(User.email)
        )
        for user in users:
            methods = [
                {
                    "label": m.label,
                    m.kind.value: m.target if m.kind is ContactKind.EMAIL else m.display,
                }
                for m in contacts.list_contact_methods(session, user=user)
            ]
            row: dict[str, Any] = {"user": user.email, "contact_methods": methods}
            rules = contacts.list_rules(session, user=user)
            if rules:
                row["rules"] = {
                    urgency.value: [
                        {"via": r.contact_method.label, "after_minutes": r.delay_minutes}
                        for r in rules
                        if r.urgency is urgency
                    ]
                    for urgency in Urgency
                }
            rows.append(row)
        return rows


NOTIFICATIONS = NotificationsSection()
