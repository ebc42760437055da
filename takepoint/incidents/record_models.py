"""The incident's record beyond the timeline: evidence files and runbook checklists.

Both are also written to the timeline as they happen; these tables hold what the pages need to
show them (a file's name and type, a step's state), while the chain holds the proof.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from takepoint.accounts.models import User
from takepoint.catalog.models import StepKind
from takepoint.lib.db import Base, enum_column


class EvidenceType(enum.StrEnum):
    """What a file is, judged by its first bytes, never by its name."""

    PNG = "image/png"
    JPEG = "image/jpeg"
    GIF = "image/gif"
    WEBP = "image/webp"
    PDF = "application/pdf"
    TEXT = "text/plain"

    @property
    def is_image(self) -> bool:
        return self.value.startswith("image/")

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    EvidenceType.PNG: "PNG image",
    EvidenceType.JPEG: "JPEG image",
    EvidenceType.GIF: "GIF image",
    EvidenceType.WEBP: "WebP image",
    EvidenceType.PDF: "PDF document",
    EvidenceType.TEXT: "text or log file",
}


class Evidence(Base):
    __tablename__ = "incident_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), index=True
    )
    # The note (its seq in the incident's chain) this file belongs to, if any.
    note_seq: Mapped[int | None]
    # The EVIDENCE entry that recorded the upload, whose data holds the same hash.
    entry_seq: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    media_type: Mapped[EvidenceType] = mapped_column(enum_column(EvidenceType))
    filename: Mapped[str] = mapped_column(String(255))
    caption: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime]

    uploaded_by: Mapped[User | None] = relationship()


class StepState(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


class Confirmation(enum.StrEnum):
    """What the affected department said about a disruptive step."""

    NONE = "none"
    CONFIRMED = "confirmed"
    REFUSED = "refused"


class Checklist(Base):
    """A runbook, as it stood when someone started following it during an incident."""

    __tablename__ = "incident_checklists"
    __table_args__ = (UniqueConstraint("incident_id", "runbook_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="RESTRICT"), index=True
    )
    runbook_id: Mapped[int | None] = mapped_column(ForeignKey("runbooks.id", ondelete="SET NULL"))
    runbook_version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime]

    started_by: Mapped[User | None] = relationship()
    steps: Mapped[list[ChecklistStep]] = relationship(
        back_populates="checklist",
        cascade="all, delete-orphan",
        order_by="ChecklistStep.position",
    )


class ChecklistStep(Base):
    __tablename__ = "incident_checklist_steps"
    __table_args__ = (UniqueConstraint("checklist_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checklist_id: Mapped[int] = mapped_column(
        ForeignKey("incident_checklists.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    kind: Mapped[StepKind] = mapped_column(enum_column(StepKind))
    text: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    # Copied when the checklist starts: the record must not change if the department is renamed.
    department_name: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[StepState] = mapped_column(enum_column(StepState), default=StepState.OPEN)
    confirmation: Mapped[Confirmation] = mapped_column(
        enum_column(Confirmation), default=Confirmation.NONE
    )
    # Who in the department answered, when they said it, and what they said.
    confirmed_by: Mapped[str] = mapped_column(String(200), default="")
    confirmed_at: Mapped[datetime | None]
    confirmation_words: Mapped[str] = mapped_column(Text, default="")
    confirmation_recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    override_reason: Mapped[str] = mapped_column(Text, default="")
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    done_at: Mapped[datetime | None]

    checklist: Mapped[Checklist] = relationship(back_populates="steps")
    done_by: Mapped[User | None] = relationship(foreign_keys=[done_by_id])

    @property
    def number(self) -> int:
        return self.position + 1

    @property
    def needs_confirmation(self) -> bool:
        return self.kind is StepKind.DISRUPTIVE
