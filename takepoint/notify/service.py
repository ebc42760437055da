"""The outbox: what other domains call to reach people.

`notify_user` turns one message into outbox rows, one per step of the person's rules;
`notify_address` queues one email to someone without an account. The engine job `deliver`
sends them. Delivery is at least once, with a key: every row has a unique
idempotency key, carried by the message itself (the email Message-ID), so after a crash between
sending and recording, the repeat has the same key and a receiver can drop it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import User
from takepoint.lib.clock import wall_time
from takepoint.lib.db import rowcount
from takepoint.lib.deps import wake_engine
from takepoint.lib.errors import Conflict, InvalidInput, NotFound
from takepoint.lib.registry import Lane
from takepoint.notify.contacts import Step, steps_for
from takepoint.notify.links import ActionLinks
from takepoint.notify.models import (
    ContactKind,
    ContactMethod,
    Notification,
    NotificationState,
    Urgency,
)
from takepoint.notify.transports import check_email

MAX_KEY_LENGTH = 200
MAX_SUBJECT_LENGTH = 300
_KEY = re.compile(r"^[\x21-\x7e]+$")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,76}$")
# Headers the transport writes itself; a caller's extra headers may not replace them.
_OWN_HEADERS = frozenset(
    {
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "x-takepoint-key",
        "content-type",
        "mime-version",
    }
)


def _check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not _KEY.match(key):
        raise InvalidInput(
            f"a notification key is 1 to {MAX_KEY_LENGTH} printable characters without spaces",
            field="key",
        )
    return key


def _subject(subject: str) -> str:
    subject = " ".join(subject.split())
    if not subject:
        raise InvalidInput("the subject is empty", field="subject")
    if len(subject) > MAX_SUBJECT_LENGTH:
        subject = subject[: MAX_SUBJECT_LENGTH - 1] + "…"
    return subject


def with_links(body: str, links: ActionLinks | None) -> str:
    if links is None:
        return body
    return (
        f"{body.rstrip()}\n\n"
        f"Acknowledge: {links.acknowledge}\n"
        f"Resolve: {links.resolve}\n"
        "(Each link opens the incident and asks you to confirm.)\n"
    )


def _html_with_links(html: str | None, links: ActionLinks | None) -> str | None:
    if html is None or links is None:
        return html
    return (
        f'{html}\n<p><a href="{links.acknowledge}">Acknowledge</a> · '
        f'<a href="{links.resolve}">Resolve</a></p>'
    )


def channel_name(method: ContactMethod | None, user: User) -> str:
    if method is None:
        return f"account email ({user.email})"
    return f"{method.label} ({method.display})"[:200]


def _step_key(key: str, step: Step) -> str:
    method = f"m{step.contact_method.id}" if step.contact_method else "account"
    return f"{key}/{method}/{step.delay_minutes}m"


def notify_user(
    session: Session,
    *,
    user: User,
    subject: str,
    body: str,
    urgency: Urgency,
    key: str,
    now: datetime,
    incident_id: int | None = None,
    links: ActionLinks | None = None,
    html: str | None = None,
) -> list[Notification]:
    """Queue a message to `user`: one outbox row per step of their rules for `urgency`.

    Idempotent on `key`: if rows for that key exist (in any state), they are returned and
    nothing is added. `key` also becomes the rows' group key, so `cancel_pending(group_key=key)`
    stops the steps not sent yet. With `links`, the body ends with the acknowledge and resolve
    links. Steps due now wake the engine when the caller's unit of work commits.
    """
    key = _check_key(key)
    existing = list_group(session, group_key=key)
    if existing:
        return existing
    subject = _subject(subject)
    urgency = Urgency(urgency)
    text = with_links(body, links)
    rich = _html_with_links(html, links)
    rows = []
    for step in steps_for(session, user=user, urgency=urgency):
        method = step.contact_method
        rows.append(
            Notification(
                key=_step_key(key, step),
                group_key=key,
                user_id=user.id,
                contact_method_id=method.id if method else None,
                kind=method.kind if method else ContactKind.EMAIL,
                channel=channel_name(method, user),
                subject=subject,
                body=text,
                html=rich,
                urgency=urgency,
                state=NotificationState.PENDING,
                incident_id=incident_id,
                due_at=now + timedelta(minutes=step.delay_minutes),
                created_at=now,
            )
        )
    session.add_all(rows)
    session.flush()
    if any(row.due_at <= now for row in rows):
        wake_engine(session, Lane.DELIVERY)
    return rows


def _check_headers(headers: Mapping[str, str] | None) -> dict[str, str] | None:
    if not headers:
        return None
    checked = {}
    for name, value in headers.items():
        if not _HEADER_NAME.match(name) or name.lower() in _OWN_HEADERS:
            raise InvalidInput(f"{name!r} cannot be set as an extra header", field="headers")
        # A line break would start a header of its own.
        checked[name] = " ".join(str(value).split())[:2000]
    return checked


def _check_attachments(attachments: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    checked = []
    for item in attachments or ():
        path = str(item.get("path", ""))
        if not path or path.startswith("/") or ".." in path.split("/"):
            raise InvalidInput(
                "an attachment's path is relative to the data folder", field="attachments"
            )
        checked.append(
            {
                "path": path,
                "filename": str(item.get("filename") or "attachment"),
                "content_type": str(item.get("content_type") or "application/octet-stream"),
            }
        )
    return checked


def address_channel(address: str) -> str:
    return f"email ({address})"[:200]


def notify_address(
    session: Session,
    *,
    address: str,
    subject: str,
    body: str,
    key: str,
    now: datetime,
    html: str | None = None,
    sender: str | None = None,
    headers: Mapping[str, str] | None = None,
    attachments: Sequence[Mapping[str, Any]] | None = None,
) -> Notification:
    """Queue one email, due now, to an address that belongs to no user (a desk requester).

    Idempotent on `key`, which is also the row's own key and group key: a second call returns
    the row of the first, in whatever state, and adds nothing. Such a message is retried like
    any other, but has no other way to go: when it fails, it stays failed.

    Desk mail gives `sender` (the mailbox's address, for From), `headers` (In-Reply-To,
    References, Auto-Submitted: anything but the headers the transport writes itself) and
    `attachments` (files in the data folder, by relative path).
    """
    key = _check_key(key)
    existing = list_group(session, group_key=key)
    if existing:
        for row in existing:
            if row.key == key and row.user_id is None:
                return row
        # The key names a notify_user call; sharing its group would cancel with its pages.
        raise Conflict("this key is already used for a message to a person", field="key")
    address = check_email(address, field="address")
    if sender is not None:
        sender = check_email(sender, field="sender")
    extra = _check_headers(headers)
    files = _check_attachments(attachments)
    row = Notification(
        key=key,
        group_key=key,
        user_id=None,
        address=address,
        contact_method_id=None,
        kind=ContactKind.EMAIL,
        channel=address_channel(address),
        subject=_subject(subject),
        body=body,
        html=html,
        urgency=Urgency.LOW,
        state=NotificationState.PENDING,
        due_at=now,
        created_at=now,
        sender=sender,
        headers=extra,
        attachments=files or None,
    )
    session.add(row)
    session.flush()
    wake_engine(session, Lane.DELIVERY)
    return row


def cancel_pending(session: Session, *, group_key: str, now: datetime) -> int:
    """Cancel the messages of a group that have not gone out (on acknowledgement, say).

    Messages being sent right now are left to finish. Returns how many were cancelled.
    """
    result = session.execute(
        update(Notification)
        .where(
            Notification.group_key == group_key,
            or_(
                Notification.state == NotificationState.PENDING,
                # A claim whose engine died: nothing is in flight any more.
                and_(
                    Notification.state == NotificationState.SENDING,
                    Notification.lease_until < now,
                ),
            ),
        )
        .values(state=NotificationState.CANCELLED, ended_at=now, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    # Rows already loaded in this session would otherwise still show "pending".
    for row in session.identity_map.values():
        if isinstance(row, Notification) and row.group_key == group_key:
            session.expire(row)
    return rowcount(result)


def send_test(
    session: Session, *, user: User, contact_method: ContactMethod, now: datetime
) -> Notification:
    """Queue a test message to one of `user`'s contact methods, due at once, with no fallback."""
    if contact_method.user_id != user.id:
        raise NotFound(f"no contact method with id {contact_method.id}")
    busy = session.scalar(
        select(Notification.id).where(
            Notification.contact_method_id == contact_method.id,
            Notification.is_test.is_(True),
            Notification.state.in_([NotificationState.PENDING, NotificationState.SENDING]),
        )
    )
    if busy is not None:
        raise Conflict(
            "a test to this contact method is already on its way", field="contact_method"
        )
    key = f"test/{contact_method.id}/{uuid.uuid4().hex}"
    row = Notification(
        key=key,
        group_key=key,
        user_id=user.id,
        contact_method_id=contact_method.id,
        kind=contact_method.kind,
        channel=channel_name(contact_method, user),
        subject="Takepoint test notification",
        body=(
            f"Hello {user.display_name},\n\n"
            f"this is a test of your contact method {contact_method.label!r}, sent at "
            f"{wall_time(now, user.time_zone)}. If you can read it, Takepoint can page you "
            "here.\n"
        ),
        html=None,
        urgency=Urgency.HIGH,
        state=NotificationState.PENDING,
        is_test=True,
        due_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    wake_engine(session, Lane.DELIVERY)
    return row


# --- reading -----------------------------------------------------------------------------------


def get_notification(session: Session, notification_id: int) -> Notification:
    row = session.scalar(
        select(Notification)
        .options(selectinload(Notification.delivery_attempts), selectinload(Notification.user))
        .where(Notification.id == notification_id)
    )
    if row is None:
        raise NotFound(f"no notification with id {notification_id}")
    return row


def list_group(session: Session, *, group_key: str) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.group_key == group_key)
            .order_by(Notification.id)
        )
    )


def list_notifications(
    session: Session,
    *,
    user_id: int | None = None,
    state: NotificationState | None = None,
    incident_id: int | None = None,
    limit: int = 100,
) -> list[Notification]:
    """The newest outbox rows first, with their attempts loaded."""
    query = (
        select(Notification)
        .options(selectinload(Notification.delivery_attempts), selectinload(Notification.user))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(max(1, min(limit, 500)))
    )
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    if state is not None:
        query = query.where(Notification.state == state)
    if incident_id is not None:
        query = query.where(Notification.incident_id == incident_id)
    return list(session.scalars(query))
