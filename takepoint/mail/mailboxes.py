"""Desk mailboxes: adding, changing and reading them, and their secrets.

A mailbox's password or token is stored as entered, like the secrets inside Apprise URLs, and
never shown back: pages, the API and the CLI say only whether one is set. `secret_file` is the
alternative that TAKEPOINT_SMTP_PASSWORD_FILE is for SMTP: the secret is read from a file at
every connection, so a helper can keep an OAuth2 token fresh there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from takepoint.accounts.models import Team
from takepoint.desk.models import Category
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
from takepoint.lib.settings import Settings
from takepoint.mail.imap import Account
from takepoint.mail.models import AfterImport, Auth, InboundState, Mailbox, MailMessage, Security
from takepoint.notify.transports import check_email

MIN_POLL_SECONDS = 10
DEFAULT_PORTS = {Security.IMAPS: 993, Security.STARTTLS: 143, Security.NONE: 143}


@dataclass(frozen=True)
class MailboxFields:
    """What an admin sets. `secret=None` keeps the stored one (forms never show it)."""

    name: str
    address: str
    team_id: int | None = None
    category_id: int | None = None
    enabled: bool = True
    acknowledge: bool = True
    imap_host: str | None = None
    imap_port: int | None = None
    security: Security = Security.IMAPS
    auth: Auth = Auth.PASSWORD
    username: str = ""
    secret: str | None = None
    secret_file: str = ""
    folder: str = "INBOX"
    after_import: AfterImport = AfterImport.FLAG
    after_import_target: str = "$Takepoint"
    poll_seconds: int = 60


def _check(session: Session, fields: MailboxFields, *, mailbox_id: int | None) -> MailboxFields:
    name = fields.name.strip()
    if not name or len(name) > 100 or any(ch.isspace() for ch in name):
        raise InvalidInput("a mailbox's name is 1 to 100 characters without spaces", field="name")
    address = check_email(fields.address, field="address")
    for column, value, what in (
        (Mailbox.name, name, "name"),
        (Mailbox.address, address, "address"),
    ):
        other = session.scalar(select(Mailbox.id).where(column == value))
        if other is not None and other != mailbox_id:
            raise Conflict(f"a mailbox with the {what} {value} exists already", field=what)
    if fields.team_id is not None and session.get(Team, fields.team_id) is None:
        raise InvalidInput(f"there is no team with id {fields.team_id}", field="team_id")
    if fields.category_id is not None and session.get(Category, fields.category_id) is None:
        raise InvalidInput(
            f"there is no category with id {fields.category_id}", field="category_id"
        )
    host = (fields.imap_host or "").strip() or None
    port = fields.imap_port or DEFAULT_PORTS[fields.security]
    if not 1 <= port <= 65535:
        raise InvalidInput("the port is a number from 1 to 65535", field="imap_port")
    if host is not None and not fields.username.strip():
        raise InvalidInput("IMAP needs a user name", field="username")
    folder = fields.folder.strip() or "INBOX"
    target = fields.after_import_target.strip()
    if not target:
        what = "folder to move to" if fields.after_import is AfterImport.MOVE else "flag to set"
        raise InvalidInput(f"name the {what} after import", field="after_import_target")
    if fields.after_import is AfterImport.MOVE and target == folder:
        raise InvalidInput("move imported mail to another folder", field="after_import_target")
    if fields.poll_seconds < MIN_POLL_SECONDS:
        raise InvalidInput(
            f"poll at most every {MIN_POLL_SECONDS} seconds (IDLE is instant anyway)",
            field="poll_seconds",
        )
    secret_file = fields.secret_file.strip()
    if secret_file and not Path(secret_file).is_absolute():
        raise InvalidInput("the secret file is an absolute path", field="secret_file")
    return dataclasses.replace(
        fields,
        name=name,
        address=address,
        imap_host=host,
        imap_port=port,
        username=fields.username.strip(),
        secret_file=secret_file,
        folder=folder,
        after_import_target=target,
    )


def create_mailbox(session: Session, *, fields: MailboxFields, now: datetime) -> Mailbox:
    checked = _check(session, fields, mailbox_id=None)
    mailbox = Mailbox(created_at=now, last_uid=0)
    _apply(mailbox, checked, now=now)
    session.add(mailbox)
    session.flush()
    return mailbox


def update_mailbox(
    session: Session, *, mailbox_id: int, fields: MailboxFields, now: datetime
) -> Mailbox:
    """Change a mailbox. Another server or folder starts over from its first message
    (Message-IDs already stored are not imported again)."""
    mailbox = get_mailbox(session, mailbox_id)
    checked = _check(session, fields, mailbox_id=mailbox.id)
    moved = (mailbox.imap_host, mailbox.folder, mailbox.username) != (
        checked.imap_host,
        checked.folder,
        checked.username,
    )
    _apply(mailbox, checked, now=now)
    if moved:
        mailbox.uidvalidity = None
        mailbox.last_uid = 0
    session.flush()
    return mailbox


def _apply(mailbox: Mailbox, fields: MailboxFields, *, now: datetime) -> None:
    for name in (
        "name",
        "address",
        "team_id",
        "category_id",
        "enabled",
        "acknowledge",
        "imap_host",
        "imap_port",
        "security",
        "auth",
        "username",
        "secret_file",
        "folder",
        "after_import",
        "after_import_target",
        "poll_seconds",
    ):
        setattr(mailbox, name, getattr(fields, name))
    if fields.secret is not None:
        mailbox.secret = fields.secret
    # Fetched at the engine's next turn.
    mailbox.next_poll_at = now if mailbox.fetches else None
    mailbox.last_error = None


def delete_mailbox(session: Session, *, mailbox_id: int) -> None:
    """Stored messages stay (their tickets need them); they no longer name a mailbox."""
    session.delete(get_mailbox(session, mailbox_id))
    session.flush()


def get_mailbox(session: Session, mailbox_id: int) -> Mailbox:
    mailbox = session.get(Mailbox, mailbox_id)
    if mailbox is None:
        raise NotFound(f"there is no mailbox with id {mailbox_id}")
    return mailbox


def mailbox_named(session: Session, name: str) -> Mailbox:
    mailbox = session.scalar(select(Mailbox).where(Mailbox.name == name.strip()))
    if mailbox is None:
        raise NotFound(f"there is no mailbox named {name!r}")
    return mailbox


def list_mailboxes(session: Session) -> list[Mailbox]:
    return list(session.scalars(select(Mailbox).order_by(Mailbox.name)).unique())


def fields_of(mailbox: Mailbox) -> MailboxFields:
    """A mailbox's settings as a form starts from them (without the secret)."""
    return MailboxFields(
        name=mailbox.name,
        address=mailbox.address,
        team_id=mailbox.team_id,
        category_id=mailbox.category_id,
        enabled=mailbox.enabled,
        acknowledge=mailbox.acknowledge,
        imap_host=mailbox.imap_host,
        imap_port=mailbox.imap_port,
        security=mailbox.security,
        auth=mailbox.auth,
        username=mailbox.username,
        secret=None,
        secret_file=mailbox.secret_file,
        folder=mailbox.folder,
        after_import=mailbox.after_import,
        after_import_target=mailbox.after_import_target,
        poll_seconds=mailbox.poll_seconds,
    )


class SecretUnreadable(InvalidInput):
    """The mailbox's secret file cannot be read."""


def secret_of(mailbox: Mailbox) -> str:
    if mailbox.secret_file:
        try:
            return Path(mailbox.secret_file).read_text().strip()
        except OSError as exc:
            raise SecretUnreadable(
                f"cannot read the secret file {mailbox.secret_file}: {exc.strerror}",
                field="secret_file",
            ) from None
    return mailbox.secret


def account_of(mailbox: Mailbox) -> Account:
    """What a connection needs, the secret read now (from its file, when it has one)."""
    return Account(
        mailbox_id=mailbox.id,
        host=mailbox.imap_host or "",
        port=mailbox.imap_port,
        security=mailbox.security,
        auth=mailbox.auth,
        username=mailbox.username,
        secret=secret_of(mailbox),
        folder=mailbox.folder,
        after_import=mailbox.after_import,
        after_import_target=mailbox.after_import_target,
    )


def own_addresses(session: Session, settings: Settings) -> set[str]:
    """Addresses mail from which is the desk's own, coming back: never a request."""
    addresses = {a.lower() for a in session.scalars(select(Mailbox.address))}
    addresses.add(parseaddr(settings.smtp_from)[1].strip().lower())
    return addresses


def failed_count(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count(MailMessage.id)).where(MailMessage.state == InboundState.FAILED)
        )
        or 0
    )
