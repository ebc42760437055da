from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from takepoint.accounts.models import User
from takepoint.catalog.models import Service
from takepoint.incidents.models import Incident
from takepoint.lib.db import Base, enum_column


class ReviewState(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    REVIEWED = "reviewed"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Audience(enum.StrEnum):
    TEAM = "team"
    ORGANISATION = "organisation"


class Review(Base):
    """A blameless post-incident review: one per incident, seeded from the incident report."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), unique=True
    )
    state: Mapped[ReviewState] = mapped_column(enum_column(ReviewState), default=ReviewState.DRAFT)
    summary: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    timeline: Mapped[str] = mapped_column(Text, default="")
    contributing_factors: Mapped[str] = mapped_column(Text, default="")
    went_well: Mapped[str] = mapped_column(Text, default="")
    went_badly: Mapped[str] = mapped_column(Text, default="")
    got_lucky: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    incident: Mapped[Incident] = relationship()
    author: Mapped[User | None] = relationship()


class Publication(Base):
    """A review as it was shared with an audience: the exact text, kept."""

    __tablename__ = "review_publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    audience: Mapped[Audience] = mapped_column(enum_column(Audience))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime]
    markdown: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    # Lint findings left in on purpose, and why.
    findings_overridden: Mapped[int] = mapped_column(default=0)
    override_reason: Mapped[str] = mapped_column(Text, default="")

    published_by: Mapped[User | None] = relationship()


class ActionState(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class ActionItem(Base):
    __tablename__ = "action_items"
    __table_args__ = (
        Index("ix_action_items_state_remind_at", "state", "remind_at"),
        Index("ix_action_items_state_escalate_at", "state", "escalate_at"),
        Index("ix_action_items_service_state", "service_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), index=True
    )
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id", ondelete="SET NULL"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    due_on: Mapped[date]
    state: Mapped[ActionState] = mapped_column(enum_column(ActionState), default=ActionState.OPEN)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # Deadlines the engine polls (NULL: nothing due). The reminder goes to the owner before the
    # due day; once the due day is over, the owner and their team lead hear every week.
    remind_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalations: Mapped[int] = mapped_column(default=0)

    incident: Mapped[Incident] = relationship()
    service: Mapped[Service | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
