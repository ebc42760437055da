"""The desk's priority matrix and canned replies in configuration files.

```yaml
desk_priority_matrix:              # cells left out keep what they are (--prune: the default)
  - {impact: high, urgency: low, priority: p2}
desk_canned_replies:
  - name: Password reset
    team: hospital-it              # slug; left out: a reply for all teams
    body: |
      Hello {requester_first_name}, your password is reset.
```

Only the cells that differ from the default are stored, and export writes those. A canned reply
is matched by its name and team together, as two teams may each have their own "Password
reset"; a placeholder Takepoint does not know is refused with the line of its text.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Team
from takepoint.desk import canned, matrix
from takepoint.desk.models import CannedReply, Level, Priority, PriorityCell
from takepoint.lib.apply import Action, Change, Context, Entry, FileModel, Section, describe
from takepoint.lib.errors import InvalidInput


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


# --- the priority matrix -----------------------------------------------------------------------


class MatrixCellItem(FileModel):
    impact: Level = Field(description="How many are hurt: high, medium or low.")
    urgency: Level = Field(description="How soon it hurts: high, medium or low.")
    priority: Priority = Field(description="The priority a ticket gets: p1 to p4.")

    _lowered = field_validator("impact", "urgency", "priority", mode="before")(_lower)


def _cell_name(impact: Level, urgency: Level) -> str:
    return f"impact {impact.value}, urgency {urgency.value}"


class PriorityMatrixSection(Section[MatrixCellItem]):
    key = "desk_priority_matrix"
    kind = "priority matrix cell"
    model = MatrixCellItem
    description = "Cells of the priority matrix that differ from the default: impact x urgency."

    def identity(self, item: MatrixCellItem) -> str:
        return _cell_name(item.impact, item.urgency)

    def existing(self, session: Session) -> set[str]:
        return {_cell_name(*cell) for cell in matrix.stored(session)}

    def plan(self, ctx: Context, entries: list[Entry[MatrixCellItem]]) -> list[Change]:
        current = matrix.matrix(ctx.session)
        changes = []
        for entry in entries:
            item = entry.item
            before = current[(item.impact, item.urgency)]
            if before is not item.priority:
                detail = describe("priority", before.value, item.priority.value)
                changes.append(Change(Action.UPDATE, self.kind, self.identity(item), (detail,)))
        return changes

    def write(
        self, ctx: Context, entries: list[Entry[MatrixCellItem]], changes: list[Change]
    ) -> None:
        cells = {(e.item.impact, e.item.urgency): e.item.priority for e in entries}
        matrix.set_matrix(ctx.session, cells)

    def delete(self, ctx: Context, names: list[str]) -> None:
        # The cell goes back to its default.
        for row in ctx.session.scalars(select(PriorityCell)):
            if _cell_name(row.impact, row.urgency) in names:
                ctx.session.delete(row)

    def export(self, session: Session) -> list[dict[str, Any]]:
        order = {level: n for n, level in enumerate(matrix.LEVELS)}
        cells = sorted(
            matrix.stored(session).items(), key=lambda c: (order[c[0][0]], order[c[0][1]])
        )
        return [
            {"impact": impact.value, "urgency": urgency.value, "priority": priority.value}
            for (impact, urgency), priority in cells
        ]


# --- canned replies ----------------------------------------------------------------------------


class CannedReplyItem(FileModel):
    name: str = Field(min_length=1, max_length=canned.MAX_NAME, description="Its name.")
    team: str | None = Field(
        default=None, description="Slug of the team whose agents use it; left out: all teams."
    )
    body: str = Field(
        min_length=1,
        max_length=canned.MAX_BODY,
        description="The text, with placeholders such as {requester_first_name}.",
    )


def _reply_name(name: str, team: str | None) -> str:
    # Team slugs have no spaces, so no reply's name can pose as another's.
    return f"{name} ({team or 'all teams'})"


def _replies(session: Session) -> dict[str, CannedReply]:
    return {
        _reply_name(r.name, r.team.slug if r.team else None): r for r in canned.listing(session)
    }


class CannedRepliesSection(Section[CannedReplyItem]):
    key = "desk_canned_replies"
    kind = "canned reply"
    model = CannedReplyItem
    description = "Canned replies agents start from, per team or for all, with placeholders."

    def identity(self, item: CannedReplyItem) -> str:
        return _reply_name(item.name, item.team)

    def existing(self, session: Session) -> set[str]:
        return set(_replies(session))

    def check(self, ctx: Context, entries: list[Entry[CannedReplyItem]]) -> None:
        for entry in entries:
            item = entry.item
            if item.team is not None and not ctx.knows("teams", item.team):
                ctx.report(entry, ("team",), f"unknown team '{item.team}'")
            try:
                canned.check_text(name=item.name, body=item.body)
            except InvalidInput as exc:
                ctx.report(entry, (exc.field or "name",), exc.message)

    def plan(self, ctx: Context, entries: list[Entry[CannedReplyItem]]) -> list[Change]:
        current = _replies(ctx.session)
        changes = []
        for entry in entries:
            name = self.identity(entry.item)
            reply = current.get(name)
            if reply is None:
                changes.append(Change(Action.CREATE, self.kind, name))
            elif reply.body != entry.item.body:
                detail = describe("body", reply.body, entry.item.body)
                changes.append(Change(Action.UPDATE, self.kind, name, (detail,)))
        return changes

    def write(
        self, ctx: Context, entries: list[Entry[CannedReplyItem]], changes: list[Change]
    ) -> None:
        wanted = {c.name for c in changes}
        current = _replies(ctx.session)
        teams = {t.slug: t.id for t in ctx.session.scalars(select(Team))}
        for entry in entries:
            item, name = entry.item, self.identity(entry.item)
            if name not in wanted:
                continue
            team_id = teams[item.team] if item.team else None
            reply = current.get(name)
            if reply is None:
                canned.create(ctx.session, name=item.name, body=item.body, team_id=team_id)
            else:
                canned.update(
                    ctx.session, reply_id=reply.id, name=item.name, body=item.body, team_id=team_id
                )

    def delete(self, ctx: Context, names: list[str]) -> None:
        current = _replies(ctx.session)
        for name in names:
            ctx.session.delete(current[name])

    def export(self, session: Session) -> list[dict[str, Any]]:
        rows = []
        for reply in sorted(
            canned.listing(session), key=lambda r: (r.team.slug if r.team else "", r.name)
        ):
            row: dict[str, Any] = {"name": reply.name}
            if reply.team is not None:
                row["team"] = reply.team.slug
            row["body"] = reply.body
            rows.append(row)
        return rows


DESK_PRIORITY_MATRIX = PriorityMatrixSection()
DESK_CANNED_REPLIES = CannedRepliesSection()
