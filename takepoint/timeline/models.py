from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from takepoint.lib.db import Base, enum_column


class EntryKind(enum.StrEnum):
    OPENED = "opened"
    ALERT = "alert"
    NOTE = "note"
    NOTIFICATION = "notification"
    DELIVERY = "delivery"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    NOBODY_ON_CALL = "nobody_on_call"
    NUDGE = "nudge"
    HANDOFF_REQUESTED = "handoff_requested"
    HANDOFF_ACCEPTED = "handoff_accepted"
    HANDOFF_DECLINED = "handoff_declined"
    TOOK_POINT = "took_point"
    STATUS_UPDATE = "status_update"
    SUBSCRIBED = "subscribed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    URGENCY = "urgency"
    RUNBOOK_STEP = "runbook_step"
    EVIDENCE = "evidence"
    CLOSE_THE_LOOP = "close_the_loop"
    REVIEW = "review"
    REVIEW_PUBLISHED = "review_published"
    REPORT_SENT = "report_sent"
    ACTION_ITEM = "action_item"
    # Kept by tickets as well as incidents.
    MESSAGE = "message"
    ASSIGNED = "assigned"
    STATE_CHANGED = "state_changed"
    SLA = "sla"
    # A ticket's details (tags, root cause, impact), its links and merges.
    UPDATED = "updated"
    LINKED = "linked"
    MERGED = "merged"


class TimelineEntry(Base):
    """One fact in a chain (`incident:42`). Rows are only ever inserted.

    `entry_hash` is SHA-256 over the canonical form of the entry, which includes the previous
    entry's hash: editing, deleting or reordering any entry breaks every hash after it.
    """

    __tablename__ = "timeline_entries"
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_timeline_entries_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int]
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class TimelineHead(Base):
    """The last entry of each chain: appends lock this row, so sequence numbers never collide."""

    __tablename__ = "timeline_heads"

    chain: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int]
    entry_hash: Mapped[str] = mapped_column(String(64))
