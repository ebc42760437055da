"""The priority matrix: a ticket's impact and urgency give its priority.

Admins may change any cell; a cell nobody changed keeps the default below, the usual reading of
"how many are hurt" against "how soon it hurts". Only cells that differ from the default are
stored, so "changed" on the settings page and in an export means changed.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.desk.models import Level, Priority, PriorityCell

H, M, L = Level.HIGH, Level.MEDIUM, Level.LOW
LEVELS = (H, M, L)
DEFAULT: dict[tuple[Level, Level], Priority] = {
    (H, H): Priority.P1,
    (H, M): Priority.P2,
    (M, H): Priority.P2,
    (H, L): Priority.P3,
    (M, M): Priority.P3,
    (L, H): Priority.P3,
    (M, L): Priority.P4,
    (L, M): Priority.P4,
    (L, L): Priority.P4,
}
Cell = tuple[Level, Level]


def matrix(session: Session) -> dict[Cell, Priority]:
    """Every cell, (impact, urgency) -> priority: the stored ones over the defaults."""
    return {**DEFAULT, **stored(session)}


def stored(session: Session) -> dict[Cell, Priority]:
    """The cells admins changed."""
    return {
        (row.impact, row.urgency): row.priority for row in session.scalars(select(PriorityCell))
    }


def priority_for(session: Session, impact: Level, urgency: Level) -> Priority:
    row = session.get(PriorityCell, (impact, urgency))
    return row.priority if row is not None else DEFAULT[(impact, urgency)]


def set_cell(session: Session, *, impact: Level, urgency: Level, priority: Priority) -> None:
    """Change one cell. Tickets already open keep their priority; new ones read the new cell."""
    row = session.get(PriorityCell, (impact, urgency))
    if priority is DEFAULT[(impact, urgency)]:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(PriorityCell(impact=impact, urgency=urgency, priority=priority))
    else:
        row.priority = priority
    session.flush()


def set_matrix(session: Session, cells: Mapping[Cell, Priority]) -> list[Cell]:
    """Set these cells (cells left out stay as they are); returns the cells that changed."""
    before = matrix(session)
    changed = [cell for cell, priority in cells.items() if before[cell] is not priority]
    for impact, urgency in changed:
        set_cell(session, impact=impact, urgency=urgency, priority=cells[(impact, urgency)])
    return changed
