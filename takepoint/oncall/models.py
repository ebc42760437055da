from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from takepoint.accounts.models import Team, User
from takepoint.lib.db import Base, enum_column
from takepoint.oncall.compute import ShiftUnit


class SwapStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class NoticeKind(enum.StrEnum):
    STARTING = "starting"
    ENDED = "ended"


class NoticeState(enum.StrEnum):
    # Delivery comes with paging; until then notices wait here, visible on the person's page.
    PENDING = "pending"
    SENT = "sent"


class Schedule(Base):
    __tablename__ = "oncall_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Handoff times and restrictions are wall-clock times in this IANA zone.
    time_zone: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    team: Mapped[Team | None] = relationship()
    layers: Mapped[list[Layer]] = relationship(
        back_populates="schedule",
        cascade="all, delete-orphan",
        order_by="(Layer.level, Layer.start_date, Layer.id)",
    )


class Layer(Base):
    """A rotation. A higher `level` overrides lower ones wherever it has someone on call.

    A layer continued from a date keeps its level: the old one ends where the new one starts.
    """

    __tablename__ = "oncall_layers"
    __table_args__ = (UniqueConstraint("schedule_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("oncall_schedules.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int]
    start_date: Mapped[date] = mapped_column(Date)
    # A layer retired from this date on keeps its history; a changed rotation is a new layer.
    end_date: Mapped[date | None] = mapped_column(Date)
    handoff_time: Mapped[time] = mapped_column(Time)
    shift_length: Mapped[int]
    shift_unit: Mapped[ShiftUnit] = mapped_column(enum_column(ShiftUnit))
    created_at: Mapped[datetime]

    schedule: Mapped[Schedule] = relationship(back_populates="layers")
    participants: Mapped[list[Participant]] = relationship(
        back_populates="layer", cascade="all, delete-orphan", order_by="Participant.position"
    )
    restrictions: Mapped[list[Restriction]] = relationship(
        back_populates="layer", cascade="all, delete-orphan", order_by="Restriction.id"
    )


class Participant(Base):
    __tablename__ = "oncall_participants"
    __table_args__ = (UniqueConstraint("layer_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("oncall_layers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    position: Mapped[int]
    # Local dates in the schedule's zone: takes shifts starting on or after `effective_from`
    # and before `effective_until`.
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_until: Mapped[date | None] = mapped_column(Date)

    layer: Mapped[Layer] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class Restriction(Base):
    """The layer is on call only inside these windows (the union of them)."""

    __tablename__ = "oncall_restrictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(
        ForeignKey("oncall_layers.id", ondelete="CASCADE"), index=True
    )
    # Bit d set = the window opens on weekday d (0 is Monday).
    days_mask: Mapped[int]
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)

    layer: Mapped[Layer] = relationship(back_populates="restrictions")

    @property
    def days(self) -> frozenset[int]:
        return frozenset(d for d in range(7) if self.days_mask & (1 << d))


class Override(Base):
    """Someone covers a period, above every layer. The newest override wins where they overlap."""

    __tablename__ = "oncall_overrides"
    __table_args__ = (Index("ix_oncall_overrides_schedule_id_ends_at", "schedule_id", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("oncall_schedules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]

    schedule: Mapped[Schedule] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class SwapRequest(Base):
    """The requester gives a shift (and may take one of the counterpart's in return).

    Nothing changes until the counterpart accepts.
    """

    __tablename__ = "oncall_swaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("oncall_schedules.id", ondelete="CASCADE"), index=True
    )
    layer_id: Mapped[int] = mapped_column(ForeignKey("oncall_layers.id", ondelete="CASCADE"))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    counterpart_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    give_start: Mapped[datetime]
    give_end: Mapped[datetime]
    take_start: Mapped[datetime | None]
    take_end: Mapped[datetime | None]
    status: Mapped[SwapStatus] = mapped_column(enum_column(SwapStatus), default=SwapStatus.PENDING)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    schedule: Mapped[Schedule] = relationship()
    layer: Mapped[Layer] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    counterpart: Mapped[User] = relationship(foreign_keys=[counterpart_id])


class CalendarFeed(Base):
    """A secret ICS URL for one schedule or for one person's shifts. Only a hash is stored."""

    __tablename__ = "oncall_calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    schedule_id: Mapped[int | None] = mapped_column(
        ForeignKey("oncall_schedules.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    schedule: Mapped[Schedule | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class ShiftNotice(Base):
    """ "Your on-call starts" / "your on-call ended", recorded once however many engines run.

    The key is the moment the notice is about: the start of a continuous on-call period for
    STARTING, its end for ENDED. (The other end can lie outside what the engine computed, so it
    is kept for information only and may be unknown.)
    """

    __tablename__ = "oncall_shift_notices"
    __table_args__ = (
        UniqueConstraint("schedule_id", "user_id", "occurs_at", "kind"),
        Index("ix_oncall_shift_notices_user_id_state", "user_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("oncall_schedules.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind))
    occurs_at: Mapped[datetime]
    shift_start: Mapped[datetime | None]
    shift_end: Mapped[datetime | None]
    state: Mapped[NoticeState] = mapped_column(
        enum_column(NoticeState), default=NoticeState.PENDING
    )
    created_at: Mapped[datetime]

    schedule: Mapped[Schedule] = relationship()
    user: Mapped[User] = relationship()


__all__ = [
    "CalendarFeed",
    "Layer",
    "NoticeKind",
    "NoticeState",
    "Override",
    "Participant",
    "Restriction",
    "Schedule",
    "ShiftNotice",
    "SwapRequest",
    "SwapStatus",
]
