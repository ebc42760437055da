"""A message's files (attachments and inline images) on its ticket, as evidence.

They go through the desk's attachments (`desk.attachments`): checked by content, stored by
SHA-256 in the evidence store, recorded in the ticket's chain. A file the store refuses (an
Office document, one past the size limit) is named in a note instead; it stays in the raw
message, which is always kept.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from takepoint.desk import attachments
from takepoint.desk.models import Channel, Message, Requester, Ticket
from takepoint.incidents.evidence import evidence_root
from takepoint.lib.errors import TakepointError
from takepoint.lib.settings import Settings
from takepoint.mail.parse import MailFile

# Tiny inline images are logos and spacers in signatures, not evidence.
MIN_INLINE_BYTES = 4096
MAX_FILES = 20


def attach_files(
    session: Session,
    *,
    ticket: Ticket,
    requester: Requester,
    files: Sequence[MailFile],
    message_id: int | None,
    settings: Settings,
    now: datetime,
) -> int:
    """Store the files on the ticket; returns how many were kept."""
    refused: list[str] = []
    kept = 0
    for item in files:
        if item.inline and len(item.data) < MIN_INLINE_BYTES:
            continue
        if kept >= MAX_FILES:
            refused.append(f"{item.filename}: more than {MAX_FILES} files in one message")
            continue
        try:
            stored = attachments.store(
                io.BytesIO(item.data),
                root=evidence_root(settings),
                max_bytes=settings.evidence_max_bytes,
            )
            attachments.add_stored(
                session,
                ticket=ticket,
                stored=stored,
                filename=item.filename,
                now=now,
                requester=requester,
                message_id=message_id,
                caption="attached to an email",
            )
            kept += 1
        except TakepointError as exc:
            refused.append(f"{item.filename}: {exc.message}")
    if refused:
        body = "Files in the email that were not kept as evidence (they are in the original):\n"
        session.add(
            Message(
                ticket_id=ticket.id,
                public=False,
                body=body + "\n".join(f"- {line}" for line in refused),
                channel=Channel.EMAIL,
                at=now,
            )
        )
        session.flush()
    return kept
