"""The priority matrix: a ticket's impact and urgency give its priority.

Admins may change any cell; a cell nobody changed keeps the default below, the usual reading of
"how many are hurt" against "how soon it hurts".
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from takepoint.desk.models import Level, Priority, PriorityCell

H, M, L = Level.HIGH, Level.MEDIUM, Level.LOW
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


def matrix(session: Session) -> dict[tuple[Level, Level], Priority]:
    """Every cell, (impact, urgency) -> priority: the stored ones over the defaults."""
    cells = dict(DEFAULT)
    for row in session.scalars(select(PriorityCell)):
        cells[(row.impact, row.urgency)] = row.priority
    return cells


def priority_for(session: Session, impact: Level, urgency: Level) -> Priority:
    row = session.get(PriorityCell, (impact, urgency))
    return row.priority if row is not None else DEFAULT[(impact, urgency)]


def set_cell(session: Session, *, impact: Level, urgency: Level, priority: Priority) -> None:
    """Change one cell. Tickets already open keep their priority; new ones read the new cell."""
    row = session.get(PriorityCell, (impact, urgency))
    if row is None:
        session.add(PriorityCell(impact=impact, urgency=urgency, priority=priority))
    else:
        row.priority = priority
    session.flush()
