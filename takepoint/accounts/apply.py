"""The `users` and `teams` sections of catalog files.

Users get no password from a file: an admin sets one (`takepoint user passwd`) or they stay
without sign-in, as people who are only named as owners. Users are never deleted by a file, not
even with --prune, because incidents and audit records point at them; set `active: false`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts import service
from takepoint.accounts.models import Role, Team, TeamMember, User
from takepoint.lib.apply import Action, Change, Context, Entry, FileModel, Section, describe
from takepoint.lib.errors import InvalidInput
from takepoint.lib.removal import remove


class UserEntry(FileModel):
    email: str = Field(max_length=254, description="Matches the user; lowercase.")
    name: str = Field(min_length=1, max_length=200, description="Display name.")
    role: Role = Field(default=Role.RESPONDER, description="viewer, responder or admin.")
    time_zone: str = Field(default="UTC", description="IANA time zone, e.g. Europe/London.")
    active: bool = Field(default=True, description="false keeps the user but stops sign-in.")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        try:
            return service.normalize_email(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            return service.check_time_zone(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None


def _users_by_email(session: Session) -> dict[str, User]:
    return {u.email: u for u in session.scalars(select(User))}


class UsersSection(Section[UserEntry]):
    key = "users"
    kind = "user"
    model = UserEntry
    description = "People: owners, responders, viewers. Never deleted by a file."
    identity_field = "email"
    prunable = False

    def existing(self, session: Session) -> set[str]:
        return set(session.scalars(select(User.email)))

    def check(self, ctx: Context, entries: list[Entry[UserEntry]]) -> None:
        users = _users_by_email(ctx.session)
        admins = {e for e, u in users.items() if u.role is Role.ADMIN and u.is_active}
        demoting: Entry[UserEntry] | None = None
        for entry in entries:
            item = entry.item
            user = users.get(item.email)
            role = item.role if entry.given("role") or user is None else user.role
            active = item.active if entry.given("active") or user is None else user.is_active
            if role is Role.ADMIN and active:
                admins.add(item.email)
            elif item.email in admins:
                admins.discard(item.email)
                demoting = entry
        if not admins and demoting is not None:
            field = "role" if demoting.given("role") else "active"
            ctx.report(demoting, (field,), "this would leave Takepoint without an active admin")

    def _diff(self, entry: Entry[UserEntry], user: User) -> list[str]:
        item = entry.item
        pairs: list[tuple[str, object, object]] = [
            ("name", user.display_name, item.name),
            ("role", user.role.value, item.role.value),
            ("time_zone", user.time_zone, item.time_zone),
            ("active", user.is_active, item.active),
        ]
        return [
            describe(name, old, new) for name, old, new in pairs if entry.given(name) and old != new
        ]

    def plan(self, ctx: Context, entries: list[Entry[UserEntry]]) -> list[Change]:
        users = _users_by_email(ctx.session)
        changes = []
        for entry in entries:
            user = users.get(entry.item.email)
            if user is None:
                changes.append(Change(Action.CREATE, self.kind, entry.item.email))
            elif details := self._diff(entry, user):
                changes.append(Change(Action.UPDATE, self.kind, user.email, tuple(details)))
        return changes

    def write(self, ctx: Context, entries: list[Entry[UserEntry]], changes: list[Change]) -> None:
        wanted = {c.name for c in changes}
        users = _users_by_email(ctx.session)
        for entry in entries:
            item = entry.item
            if item.email not in wanted:
                continue
            user = users.get(item.email)
            if user is None:
                user = service.create_user(
                    ctx.session,
                    email=item.email,
                    display_name=item.name,
                    role=item.role,
                    time_zone=item.time_zone,
                    password=None,
                    now=ctx.now,
                )
                if not item.active:
                    user.is_active = False
                continue
            service.update_user(
                ctx.session,
                user=user,
                display_name=item.name if entry.given("name") else None,
                time_zone=item.time_zone if entry.given("time_zone") else None,
                role=item.role if entry.given("role") else None,
                is_active=item.active if entry.given("active") else None,
            )

    def delete(self, ctx: Context, names: list[str]) -> None:
        raise AssertionError("users are never pruned")

    def export(self, session: Session) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for user in session.scalars(select(User).order_by(User.email)):
            row: dict[str, Any] = {
                "email": user.email,
                "name": user.display_name,
                "role": user.role.value,
                "time_zone": user.time_zone,
            }
            if not user.is_active:
                row["active"] = False
            rows.append(row)
        return rows


class TeamEntry(FileModel):
    slug: str = Field(
        pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100, description="Matches the team."
    )
    name: str = Field(min_length=1, max_length=200)
    lead: str | None = Field(default=None, description="Email of the team lead.")
    members: list[str] = Field(
        default_factory=list, description="Emails of the members; the lead is always one."
    )

    @field_validator("lead")
    @classmethod
    def _lead(cls, value: str | None) -> str | None:
        return value.lower() if value else None

    @field_validator("members")
    @classmethod
    def _members(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value]


def _teams_by_slug(session: Session) -> dict[str, Team]:
    query = select(Team).options(
        selectinload(Team.lead), selectinload(Team.members).selectinload(TeamMember.user)
    )
    return {t.slug: t for t in session.scalars(query)}


def _member_emails(team: Team) -> list[str]:
    return sorted(m.user.email for m in team.members)


def _wanted_members(item: TeamEntry) -> list[str]:
    return sorted(set(item.members) | ({item.lead} if item.lead else set()))


class TeamsSection(Section[TeamEntry]):
    key = "teams"
    kind = "team"
    model = TeamEntry
    description = "Teams, their lead and members (by email)."

    def existing(self, session: Session) -> set[str]:
        return set(session.scalars(select(Team.slug)))

    def check(self, ctx: Context, entries: list[Entry[TeamEntry]]) -> None:
        names = {t.name: t.slug for t in _teams_by_slug(ctx.session).values()}
        seen: dict[str, str] = {}
        for entry in entries:
            item = entry.item
            owner = seen.get(item.name) or names.get(item.name)
            if owner is not None and owner != item.slug:
                ctx.report(entry, ("name",), f"team {owner!r} is already named {item.name!r}")
            seen[item.name] = item.slug
            if item.lead and not ctx.knows("users", item.lead):
                ctx.report(entry, ("lead",), f"unknown user '{item.lead}'")
            for index, email in enumerate(item.members):
                if not ctx.knows("users", email):
                    ctx.report(entry, ("members", index), f"unknown user '{email}'")

    def plan(self, ctx: Context, entries: list[Entry[TeamEntry]]) -> list[Change]:
        teams = _teams_by_slug(ctx.session)
        changes = []
        for entry in entries:
            item = entry.item
            team = teams.get(item.slug)
            if team is None:
                changes.append(Change(Action.CREATE, self.kind, item.slug))
                continue
            details = []
            if team.name != item.name:
                details.append(describe("name", team.name, item.name))
            lead = team.lead.email if team.lead else None
            if entry.given("lead") and lead != item.lead:
                details.append(describe("lead", lead, item.lead))
            if entry.given("members") or entry.given("lead"):
                before = _member_emails(team)
                after = (
                    _wanted_members(item)
                    if entry.given("members")
                    else sorted(set(before) | ({item.lead} if item.lead else set()))
                )
                if before != after:
                    details.append(describe("members", before, after))
            if details:
                changes.append(Change(Action.UPDATE, self.kind, item.slug, tuple(details)))
        return changes

    def write(self, ctx: Context, entries: list[Entry[TeamEntry]], changes: list[Change]) -> None:
        wanted = {c.name for c in changes}
        teams = _teams_by_slug(ctx.session)
        users = _users_by_email(ctx.session)
        for entry in entries:
            item = entry.item
            if item.slug not in wanted:
                continue
            lead = users[item.lead] if item.lead else None
            team = teams.get(item.slug)
            if team is None:
                team = service.create_team(
                    ctx.session, name=item.name, slug=item.slug, lead=lead, now=ctx.now
                )
            else:
                team.name = item.name
                if entry.given("lead"):
                    service.set_team_lead(ctx.session, team=team, lead=lead)
            if entry.given("members"):
                keep = set(_wanted_members(item))
                team.members[:] = [m for m in team.members if m.user.email in keep]
                for email in sorted(keep):
                    service.add_team_member(ctx.session, team=team, user=users[email])
        ctx.session.flush()

    def delete(self, ctx: Context, names: list[str]) -> None:
        for team in ctx.session.scalars(select(Team).where(Team.slug.in_(names))):
            remove(ctx.session, team, what=f"team {team.slug}")

    def export(self, session: Session) -> list[dict[str, Any]]:
        return [
            {
                "slug": team.slug,
                "name": team.name,
                "lead": team.lead.email if team.lead else None,
                "members": _member_emails(team),
            }
            for team in sorted(_teams_by_slug(session).values(), key=lambda t: t.slug)
        ]


USERS = UsersSection()
TEAMS = TeamsSection()
