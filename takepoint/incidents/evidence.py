"""Evidence: files attached to an incident (or to one of its notes) as proof.

Files are stored content-addressed, `<data dir>/evidence/<first two hex>/<sha256>`, and the
SHA-256 goes into the incident's timeline entry, so the proof is part of the hash chain. A file
is written whole to a temporary name and renamed into place only after it passed the size and
type checks; a refused upload leaves nothing behind.

The type is judged by the file's first bytes, never by its name: PNG, JPEG, GIF and WebP
images, PDF documents, and plain text (logs). Anything else is refused with 415. Images are
shown in the page; everything else is only ever served as a download.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Role, User
from takepoint.incidents.models import Incident
from takepoint.incidents.record_models import Evidence, EvidenceType
from takepoint.incidents.service import get_incident
from takepoint.lib.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    TakepointError,
)
from takepoint.lib.settings import Settings
from takepoint.timeline.chain import append
from takepoint.timeline.models import EntryKind, TimelineEntry

CHUNK = 64 * 1024
SNIFF_BYTES = 16
MAX_CAPTION = 2000
MAX_FILENAME = 200
# Control characters a text or log file may contain (tabs, line ends, terminal colours).
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\b\x1b")
# Every byte that is not a suspicious control character: deleting these leaves the suspects.
_NOT_SUSPECT = bytes(b for b in range(256) if b >= 32 or b in _TEXT_CONTROLS)

# Signatures of files people try to attach that are refused, to name them in the error.
_REFUSED = [
    (b"PK\x03\x04", "a ZIP archive (Word, Excel and other Office files are ZIP archives too)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a Linux program"),
    (b"MZ", "a Windows program"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
]
ACCEPTED = "PNG, JPEG, GIF or WebP images, PDF documents, and plain text or log files"


class UnsupportedType(TakepointError):
    """This kind of file is not accepted as evidence."""

    status_code = 415


def evidence_root(settings: Settings) -> Path:
    return settings.data_dir / "evidence"


def path_for(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def sniff(head: bytes, *, looks_like_text: bool) -> EvidenceType | None:
    """The file's type from its first bytes (and, for text, from all of them)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return EvidenceType.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return EvidenceType.JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return EvidenceType.GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return EvidenceType.WEBP
    if head.startswith(b"%PDF-"):
        return EvidenceType.PDF
    if looks_like_text:
        return EvidenceType.TEXT
    return None


def _refused_kind(head: bytes) -> str:
    for magic, name in _REFUSED:
        if head.startswith(magic):
            return name
    if head[4:8] == b"ftyp":
        return "a video or HEIC photo"
    return "a binary file of a kind Takepoint does not know"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: EvidenceType


def store_upload(source: BinaryIO, *, root: Path, max_bytes: int) -> StoredFile:
    """Copy `source` into the store, hashing and checking it on the way.

    Raises PayloadTooLarge past `max_bytes`, UnsupportedType for a refused kind, InvalidInput
    for an empty file; in each case the temporary file is removed.
    """
    incoming = root / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    controls = 0
    has_nul = False
    handle, temporary = tempfile.mkstemp(dir=incoming, prefix="upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(
                        f"the file is larger than the {human_size(max_bytes)} limit "
                        "(TAKEPOINT_EVIDENCE_MAX_BYTES)",
                        field="file",
                    )
                if len(head) < SNIFF_BYTES:
                    head = (head + chunk)[:SNIFF_BYTES]
                controls += len(chunk.translate(None, _NOT_SUSPECT))
                has_nul = has_nul or b"\x00" in chunk
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise InvalidInput("the file is empty", field="file")
        # A NUL means binary; a stray control byte or two in a long log does not.
        looks_like_text = not has_nul and controls <= size // 100
        media_type = sniff(head, looks_like_text=looks_like_text)
        if media_type is None:
            raise UnsupportedType(
                f"the file is {_refused_kind(head)}; evidence can be {ACCEPTED}", field="file"
            )
        sha256 = digest.hexdigest()
        final = path_for(root, sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        # The same bytes may be stored already: the name is the content, so either copy is it.
        Path(temporary).replace(final)
        return StoredFile(sha256=sha256, size=size, media_type=media_type)
    finally:
        Path(temporary).unlink(missing_ok=True)


def clean_filename(name: str) -> str:
    """The original name, for showing and for the download: no folders, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    return name[:MAX_FILENAME] or "evidence"


def _may_attach(user: User) -> None:
    if not user.role.allows(Role.RESPONDER):
        raise PermissionDenied(f"{user.email} is a viewer and cannot attach evidence")


def _note_entry(session: Session, incident: Incident, note_seq: int) -> TimelineEntry:
    entry = session.scalar(
        select(TimelineEntry).where(
            TimelineEntry.chain == incident.chain, TimelineEntry.seq == note_seq
        )
    )
    if entry is None or entry.kind is not EntryKind.NOTE:
        raise InvalidInput(
            f"incident #{incident.id} has no note number {note_seq}", field="note_seq"
        )
    return entry


def attach_evidence(
    session: Session,
    *,
    incident: Incident,
    user: User,
    upload: BinaryIO,
    filename: str,
    root: Path,
    max_bytes: int,
    now: datetime,
    caption: str = "",
    note_seq: int | None = None,
) -> Evidence:
    """Store the file and record it, with its SHA-256, in the incident's timeline."""
    _may_attach(user)
    caption = caption.strip()
    if len(caption) > MAX_CAPTION:
        raise InvalidInput(f"the caption is longer than {MAX_CAPTION} characters", field="caption")
    note = _note_entry(session, incident, note_seq) if note_seq is not None else None
    name = clean_filename(filename)
    stored = store_upload(upload, root=root, max_bytes=max_bytes)
    where = f" to the note of {note.at:%H:%M} UTC" if note is not None else ""
    entry = append(
        session,
        chain=incident.chain,
        kind=EntryKind.EVIDENCE,
        text=f"{user.display_name} attached {name}{where} ({stored.media_type.label}, "
        f"{human_size(stored.size)}, SHA-256 {stored.sha256[:12]}…)"
        + (f": {caption}" if caption else ""),
        at=now,
        actor_id=user.id,
        data={
            "sha256": stored.sha256,
            "size": stored.size,
            "media_type": stored.media_type.value,
            "filename": name,
            "caption": caption,
            "note_seq": note_seq,
        },
    )
    evidence = Evidence(
        incident_id=incident.id,
        note_seq=note_seq,
        entry_seq=entry.seq,
        sha256=stored.sha256,
        size=stored.size,
        media_type=stored.media_type,
        filename=name,
        caption=caption,
        uploaded_by_id=user.id,
        uploaded_at=now,
    )
    session.add(evidence)
    session.flush()
    return evidence


def list_evidence(session: Session, *, incident: Incident) -> list[Evidence]:
    return list(
        session.scalars(
            select(Evidence)
            .options(selectinload(Evidence.uploaded_by))
            .where(Evidence.incident_id == incident.id)
            .order_by(Evidence.uploaded_at, Evidence.id)
        )
    )


def get_evidence(session: Session, *, incident: Incident, evidence_id: int) -> Evidence:
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.incident_id != incident.id:
        raise NotFound(f"incident #{incident.id} has no evidence {evidence_id}")
    return evidence


def verified_path(
    session: Session, *, chain: str, entry_seq: int, sha256: str, root: Path, what: str, field: str
) -> Path:
    """The stored file with this hash, after checking that the timeline entry that recorded it
    holds the same hash and that the bytes on disk still hash to it.

    The row could be changed behind Takepoint's back; the timeline entry cannot (unnoticed),
    so the hash is taken from the entry, and the file is hashed again before it is served.
    Shared by every domain that keeps files in the evidence store.
    """
    recorded = session.scalar(
        select(TimelineEntry.data).where(
            TimelineEntry.chain == chain, TimelineEntry.seq == entry_seq
        )
    )
    if recorded is None or recorded.get("sha256") != sha256:
        raise Conflict(
            f"{what} does not match its timeline entry; run takepoint verify", field=field
        )
    path = path_for(root, sha256)
    if not path.is_file():
        raise NotFound(f"{what}: the stored file is missing from the data folder")
    digest = hashlib.sha256()
    with path.open("rb") as stored:
        while chunk := stored.read(CHUNK):
            digest.update(chunk)
    if digest.hexdigest() != sha256:
        raise Conflict(
            f"{what}: the stored file was changed on disk after it was attached", field=field
        )
    return path


def checked_file(
    session: Session, *, incident_id: int, evidence_id: int, root: Path
) -> tuple[Evidence, Path]:
    """The evidence and its stored file, checked against the timeline (`verified_path`)."""
    incident = get_incident(session, incident_id)
    evidence = get_evidence(session, incident=incident, evidence_id=evidence_id)
    path = verified_path(
        session,
        chain=incident.chain,
        entry_seq=evidence.entry_seq,
        sha256=evidence.sha256,
        root=root,
        what=f"evidence {evidence.id}",
        field="evidence",
    )
    return evidence, path
