"""Action links that have acted. A link works once: its row outlives a reopened incident."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from takepoint.lib.db import Base


class UsedActionLink(Base):
    __tablename__ = "used_action_links"

    # The SHA-256 of what the link says (`ActionClaim.digest`), not of its text: itsdangerous
    # reads a few spellings of one token alike, so the text would let a used link in again.
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime] = mapped_column(index=True)


__all__ = ["UsedActionLink"]
