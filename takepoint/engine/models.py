from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from takepoint.lib.db import Base, enum_column


class EngineHeartbeat(Base):
    """One row per engine process; /healthz reads the freshest."""

    __tablename__ = "engine_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime]
    last_cycle_at: Mapped[datetime] = mapped_column(index=True)
    last_cycle_ms: Mapped[float]
    cycles: Mapped[int] = mapped_column(default=0)


class TaskKind(enum.StrEnum):
    """The engine's own task kinds; other domains contribute theirs through the registry."""

    # Does nothing but prove an engine is taking work: `takepoint doctor` queues one and waits.
    PROBE = "engine.probe"
    HOUSEKEEPING = "engine.housekeeping"


class TaskState(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class EngineTask(Base):
    """A durable one-off task: a deadline in a column, claimed by exactly one engine at a time.

    A claim is a lease (`lease_until`): an engine that dies mid-task loses it when the lease runs
    out, and the task runs again elsewhere. Handlers must therefore be idempotent.
    """

    __tablename__ = "engine_tasks"
    __table_args__ = (Index("ix_engine_tasks_state_due_at", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[TaskState] = mapped_column(enum_column(TaskState), default=TaskState.PENDING)
    due_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
