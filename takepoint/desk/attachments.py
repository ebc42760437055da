"""Files on tickets (a photo of the unplugged cable, a log, a screenshot) and the root cause.

Files go into the incidents' evidence store: checked by content, size-limited, stored by their
SHA-256, which the ticket's chain records. Who sees a file is decided here and nowhere else:

- a requester's own files are always shown to them;
- an agent's file is shown only when the agent chooses to ("show them the proof") or when it
  belongs to a public reply;
- a file on an internal note is never shown, whatever its `shared` flag says: `for_ticket`
  checks the message's `public` as well, so a flag set by mistake (or by hand) shows nothing.

A requester asks for files with `requester_view=True`, and a file they may not see is "not
found", exactly like a file that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Select, or_, select, true
from sqlalchemy.orm import Session

from takepoint.accounts.models import Role, User
from takepoint.desk.models import Attachment, Message, Requester, Ticket, TicketState
from takepoint.incidents.evidence import (
    MAX_CAPTION,
    StoredFile,
    clean_filename,
    human_size,
    store_upload,
    verified_path,
)
from takepoint.incidents.record_models import EvidenceType
from takepoint.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind

MAX_ROOT_CAUSE = 5000


@dataclass(frozen=True)
class TicketFile:
    """A ticket's file as the pages and the API show it: the row, and what decides who sees it."""

    attachment: Attachment
    # The message it belongs to is an internal note: never shown to the requester.
    on_note: bool
    uploaded_by: str
    from_requester: bool

    @property
    def id(self) -> int:
        return self.attachment.id

    @property
    def filename(self) -> str:
        return self.attachment.filename

    @property
    def caption(self) -> str:
        return self.attachment.caption

    @property
    def media_type(self) -> EvidenceType:
        return self.attachment.media_type

    @property
    def is_image(self) -> bool:
        return self.attachment.media_type.is_image

    @property
    def size_label(self) -> str:
        return human_size(self.attachment.size)

    @property
    def uploaded_at(self) -> datetime:
        return self.attachment.uploaded_at

    @property
    def message_id(self) -> int | None:
        return self.attachment.message_id

    @property
    def shown_to_requester(self) -> bool:
        return self.attachment.shared and not self.on_note


def store(stream: BinaryIO, *, root: Path, max_bytes: int) -> StoredFile:
    """Check and store a file before anything is written to the database.

    The portal's new-ticket form stores first and opens the ticket after, so a refused file
    (empty, of a refused kind, too large) leaves no ticket behind. Raises what the evidence
    store raises: InvalidInput, UnsupportedType (415), PayloadTooLarge (413).
    """
    return store_upload(stream, root=root, max_bytes=max_bytes)


@dataclass(frozen=True)
class _Upload:
    ticket: Ticket
    user: User | None
    requester: Requester | None
    message: Message | None
    shared: bool
    caption: str


def _check_upload(
    session: Session,
    *,
    ticket: Ticket,
    user: User | None,
    requester: Requester | None,
    shared: bool,
    message_id: int | None,
    caption: str,
) -> _Upload:
    if (user is None) == (requester is None):
        raise ValueError("a file comes from an agent or from the requester, exactly one")
    if user is not None and not user.role.allows(Role.RESPONDER):
        raise PermissionDenied(f"{user.email} is a viewer and cannot attach files")
    if requester is not None and ticket.requester_id != requester.id:
        raise NotFound(f"there is no ticket #{ticket.id}")
    if ticket.state is TicketState.CLOSED:
        raise Conflict(f"ticket #{ticket.id} is closed; a file goes on a new ticket", field="file")
    caption = caption.strip()
    if len(caption) > MAX_CAPTION:
        raise InvalidInput(f"the caption is longer than {MAX_CAPTION} characters", field="caption")
    message = None
    if message_id is not None:
        message = session.get(Message, message_id)
        if message is None or message.ticket_id != ticket.id:
            raise InvalidInput(
                f"ticket #{ticket.id} has no message {message_id}", field="message_id"
            )
    # The requester's own files and those on a public reply are theirs to see.
    if requester is not None or (message is not None and message.public):
        shared = True
    elif message is not None and shared:
        raise InvalidInput(
            "a file on an internal note is never shown to the requester; attach it to the "
            "ticket or to a public reply to show it",
            field="shared",
        )
    return _Upload(ticket, user, requester, message, shared, caption)


def _record(
    session: Session, upload: _Upload, stored: StoredFile, *, filename: str, now: datetime
) -> Attachment:
    ticket, message = upload.ticket, upload.message
    name = clean_filename(filename)
    if upload.user is not None:
        who = upload.user.display_name
    else:
        who = upload.requester.name if upload.requester is not None else "someone"
    where = ""
    if message is not None:
        where = " to a public reply" if message.public else " to an internal note"
    shown = " It is shown to the requester." if upload.shared else ""
    entry = append(
        session,
        chain=ticket.chain,
        kind=EntryKind.EVIDENCE,
        text=f"{who} attached {name}{where} ({stored.media_type.label}, "
        f"{human_size(stored.size)}, SHA-256 {stored.sha256[:12]}…)"
        + (f": {upload.caption}" if upload.caption else "")
        + shown,
        at=now,
        actor_id=upload.user.id if upload.user is not None else None,
        data={
            "sha256": stored.sha256,
            "size": stored.size,
            "media_type": stored.media_type.value,
            "filename": name,
            "caption": upload.caption,
            "message_id": message.id if message is not None else None,
            "shared": upload.shared,
            "requester_id": upload.requester.id if upload.requester is not None else None,
        },
    )
    attachment = Attachment(
        ticket_id=ticket.id,
        message_id=message.id if message is not None else None,
        entry_seq=entry.seq,
        sha256=stored.sha256,
        size=stored.size,
        media_type=stored.media_type,
        filename=name,
        caption=upload.caption,
        shared=upload.shared,
        uploaded_by_user_id=upload.user.id if upload.user is not None else None,
        uploaded_by_requester_id=upload.requester.id if upload.requester is not None else None,
        uploaded_at=now,
    )
    session.add(attachment)
    ticket.updated_at = now
    session.flush()
    return attachment


def add(
    session: Session,
    *,
    ticket: Ticket,
    stream: BinaryIO,
    filename: str,
    now: datetime,
    root: Path,
    max_bytes: int,
    caption: str = "",
    user: User | None = None,
    requester: Requester | None = None,
    shared: bool = False,
    message_id: int | None = None,
) -> Attachment:
    """Attach a file to a ticket, from an agent (`user`) or from its requester.

    Everything that can be refused is checked before the file is stored: a viewer (403), a
    closed ticket (409), a message of another ticket, `shared` on an internal note (422). The
    file then goes into the evidence store and its hash into an `evidence` entry of the chain.
    """
    upload = _check_upload(
        session,
        ticket=ticket,
        user=user,
        requester=requester,
        shared=shared,
        message_id=message_id,
        caption=caption,
    )
    stored = store_upload(stream, root=root, max_bytes=max_bytes)
    return _record(session, upload, stored, filename=filename, now=now)


def add_stored(
    session: Session,
    *,
    ticket: Ticket,
    stored: StoredFile,
    filename: str,
    now: datetime,
    caption: str = "",
    user: User | None = None,
    requester: Requester | None = None,
    shared: bool = False,
    message_id: int | None = None,
) -> Attachment:
    """Record a file that `store` accepted before its ticket or message existed."""
    upload = _check_upload(
        session,
        ticket=ticket,
        user=user,
        requester=requester,
        shared=shared,
        message_id=message_id,
        caption=caption,
    )
    return _record(session, upload, stored, filename=filename, now=now)


# --- reading ----------------------------------------------------------------------------------


def _query(ticket: Ticket, *, requester_view: bool) -> Select[Attachment, bool, str, str]:
    query = (
        select(Attachment, Message.public, User.display_name, Requester.name)
        .outerjoin(Message, Message.id == Attachment.message_id)
        .outerjoin(User, User.id == Attachment.uploaded_by_user_id)
        .outerjoin(Requester, Requester.id == Attachment.uploaded_by_requester_id)
        .where(Attachment.ticket_id == ticket.id)
    )
    if requester_view:
        # Both conditions, always: a file on an internal note stays internal even if its
        # `shared` flag was set.
        query = query.where(
            Attachment.shared == true(),
            or_(Attachment.message_id.is_(None), Message.public == true()),
        )
    return query.order_by(Attachment.uploaded_at, Attachment.id)


def _view(row: tuple[Attachment, bool | None, str | None, str | None]) -> TicketFile:
    attachment, public, user_name, requester_name = row
    from_requester = attachment.uploaded_by_requester_id is not None
    return TicketFile(
        attachment=attachment,
        on_note=public is False,
        uploaded_by=(requester_name if from_requester else user_name) or "someone",
        from_requester=from_requester,
    )


def for_ticket(session: Session, ticket: Ticket, *, requester_view: bool) -> list[TicketFile]:
    """A ticket's files, oldest first. `requester_view` for anything a requester can reach."""
    rows = session.execute(_query(ticket, requester_view=requester_view))
    return [_view(row) for row in rows]


def get_file(session: Session, *, ticket: Ticket, file_id: int, requester_view: bool) -> TicketFile:
    query = _query(ticket, requester_view=requester_view).where(Attachment.id == file_id)
    row = session.execute(query).first()
    if row is None:
        # The same answer whether it is missing or only hidden from this requester.
        raise NotFound(f"ticket #{ticket.id} has no file {file_id}")
    return _view(row)


def checked_path(session: Session, *, ticket: Ticket, file: TicketFile, root: Path) -> Path:
    """The stored file, after checking it is still the file the timeline recorded.

    The row could be changed behind Takepoint's back; the chain cannot (unnoticed), so the hash
    is taken from the entry, and the file is hashed again before it is served.
    """
    attachment = file.attachment
    return verified_path(
        session,
        chain=ticket.chain,
        entry_seq=attachment.entry_seq,
        sha256=attachment.sha256,
        root=root,
        what=f"{attachment.filename} (file {attachment.id})",
        field="file",
    )


# --- changing who sees what -------------------------------------------------------------------


def _require_agent(user: User, what: str) -> None:
    if not user.role.allows(Role.RESPONDER):
        raise PermissionDenied(f"{user.email} is a viewer and cannot {what}")


def set_shared(
    session: Session, *, ticket: Ticket, file_id: int, shared: bool, user: User, now: datetime
) -> TicketFile:
    """Show a file to the requester, or stop showing it; the change is a timeline entry.

    Allowed on a closed ticket too: taking back a file shown by mistake must always be possible.
    """
    _require_agent(user, "change who sees a file")
    file = get_file(session, ticket=ticket, file_id=file_id, requester_view=False)
    if shared and file.on_note:
        raise Conflict(
            f"{file.filename} belongs to an internal note, which the requester never sees",
            field="shared",
        )
    if not shared and file.from_requester:
        raise Conflict(
            f"{file.filename} is the requester's own file; they always see it", field="shared"
        )
    if file.attachment.shared is shared:
        return file
    file.attachment.shared = shared
    ticket.updated_at = now
    session.flush()
    did = "showed" if shared else "stopped showing"
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.UPDATED,
        text=f"{user.display_name} {did} {file.filename} to the requester",
        at=now,
        actor_id=user.id,
        data={"attachment_id": file.id, "sha256": file.attachment.sha256, "shared": shared},
    )
    return file


def set_root_cause(
    session: Session, *, ticket: Ticket, text: str, shared: bool, user: User, now: datetime
) -> Ticket:
    """Record what really caused it ("the power cable was unplugged") and whether the requester
    sees it. An empty text clears it (and hides it). Each change is a timeline entry."""
    _require_agent(user, "record a root cause")
    if ticket.state is TicketState.CLOSED:
        raise Conflict(f"ticket #{ticket.id} is closed and stays as it is", field="root_cause")
    text = text.strip()
    if len(text) > MAX_ROOT_CAUSE:
        raise InvalidInput(
            f"the root cause is longer than {MAX_ROOT_CAUSE} characters", field="root_cause"
        )
    if shared and not text:
        raise InvalidInput(
            "write the root cause before showing it to the requester", field="root_cause"
        )
    if (ticket.root_cause, ticket.root_cause_shared) == (text, shared):
        return ticket
    ticket.root_cause = text
    ticket.root_cause_shared = shared
    ticket.updated_at = now
    if not text:
        said = f"{user.display_name} cleared the root cause"
    else:
        shown = "shown to the requester" if shared else "not shown to the requester"
        said = f"{user.display_name} recorded the root cause ({shown}): {text}"
    append(
        session,
        chain=ticket.chain,
        kind=EntryKind.UPDATED,
        text=said,
        at=now,
        actor_id=user.id,
        data={"root_cause": text, "root_cause_shared": shared},
    )
    return ticket
