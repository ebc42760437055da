"""Reading the shift notices the engine records (see takepoint.engine.shift_notices)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import User
from takepoint.oncall.models import NoticeState, ShiftNotice


def list_notices(
    session: Session,
    *,
    user: User,
    state: NoticeState | None = None,
    limit: int = 50,
) -> list[ShiftNotice]:
    query = (
        select(ShiftNotice)
        .options(selectinload(ShiftNotice.schedule))
        .where(ShiftNotice.user_id == user.id)
    )
    if state is not None:
        query = query.where(ShiftNotice.state == state)
    return list(session.scalars(query.order_by(ShiftNotice.occurs_at.desc()).limit(limit)))
