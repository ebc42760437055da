"""The `mail_fetch` engine job: each IMAP mailbox is watched by one engine, which stores what
is new, raw, and commits before it touches the server again.

A mailbox is taken with a lease (`lib/claims`), renewed while the engine lives; when the
engine dies, the lease runs out and another engine takes the mailbox over. The engine keeps
the connection open between its turns and sits in IDLE, so `news()` knows without a round
trip that mail has come; it also fetches every `poll_seconds` (and always, where the server
has no IDLE). Per mailbox and turn, in this order:

1. fetch up to BATCH messages above the last UID stored (BODY.PEEK: \\Seen is left alone);
2. store them raw and move `last_uid` on, in one commit: a crash before it fetches them
   again, and the store keeps one row per Message-ID;
3. flag or move them on the server. A crash before this leaves them in place, above nothing
   that matters: `last_uid` has moved past them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from takepoint.lib.claims import Claim, Lease
from takepoint.lib.context import context_of
from takepoint.lib.deps import wake_engine
from takepoint.lib.errors import TakepointError
from takepoint.lib.registry import Lane
from takepoint.mail.imap import NETWORK_ERRORS, Account, Connection, ImapProblem, open_connection
from takepoint.mail.importer import store_raw
from takepoint.mail.mailboxes import account_of
from takepoint.mail.models import Mailbox

log = logging.getLogger(__name__)

BATCH = 50
# A dead engine's mailboxes wait this long for another engine (or its own restart): short,
# since new mail waits with them. The live engine renews it every run of its delivery lane.
LEASE = timedelta(seconds=20)
RETRY_AFTER = timedelta(seconds=30)

_FETCHING = (Mailbox.enabled.is_(True)) & (Mailbox.imap_host.is_not(None))
_TAKE = Claim(Mailbox, ready=_FETCHING, values={}, limit=10, leased=True)


class Connections:
    """The open connections of the engines in this process, by worker and mailbox. They are a
    cache: losing one (a restart) costs a login, never a message."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, int], Connection] = {}

    def get(self, worker: str, account: Account) -> Connection:
        key = (worker, account.mailbox_id)
        with self._lock:
            found = self._open.get(key)
        if found is not None and found.account == account:
            return found
        if found is not None:  # the settings changed
            self.drop(worker, account.mailbox_id)
        connection = open_connection(account)
        with self._lock:
            self._open[key] = connection
        return connection

    def drop(self, worker: str, mailbox_id: int) -> None:
        with self._lock:
            connection = self._open.pop((worker, mailbox_id), None)
        if connection is not None:
            connection.close()

    def keep_only(self, worker: str, mailbox_ids: set[int]) -> None:
        with self._lock:
            gone = [key for key in self._open if key[0] == worker and key[1] not in mailbox_ids]
        for _, mailbox_id in gone:
            self.drop(worker, mailbox_id)


CONNECTIONS = Connections()


def _watched(session: Session, *, worker: str, now: datetime) -> list[Mailbox]:
    _TAKE.ids(session, now=now, lease=Lease(worker, LEASE))
    # Renewed half-way through, so a live engine never loses its mailbox.
    session.execute(
        update(Mailbox)
        .where(
            Mailbox.claimed_by == worker,
            Mailbox.lease_until >= now,
            Mailbox.lease_until < now + LEASE / 2,
        )
        .values(lease_until=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return list(
        session.scalars(
            select(Mailbox)
            .where(_FETCHING, Mailbox.claimed_by == worker, Mailbox.lease_until >= now)
            .order_by(Mailbox.id)
            .execution_options(populate_existing=True)
        ).unique()
    )


def _failed(session: Session, mailbox_id: int, problem: str, *, now: datetime) -> None:
    session.execute(
        update(Mailbox)
        .where(Mailbox.id == mailbox_id)
        .values(last_error=problem[:2000], last_checked_at=now, next_poll_at=now + RETRY_AFTER)
    )
    session.commit()


@dataclass(frozen=True)
class Batch:
    fetched: int
    # The rows stored for messages not seen before.
    stored: list[int]
    more: bool


def fetch_mailbox(
    session: Session, mailbox: Mailbox, connection: Connection, *, now: datetime
) -> Batch:
    """One batch from one mailbox: fetch, store and commit, then mark on the server."""
    fetched = connection.fetch_new(
        uidvalidity=mailbox.uidvalidity, last_uid=mailbox.last_uid, limit=BATCH
    )
    last_uid = mailbox.last_uid if fetched.uidvalidity == mailbox.uidvalidity else 0
    stored: list[int] = []
    for uid, raw in fetched.messages:
        inbound_id = store_raw(
            session,
            raw=raw,
            now=now,
            mailbox_id=mailbox.id,
            uidvalidity=fetched.uidvalidity,
            uid=uid,
        )
        if inbound_id is not None:
            stored.append(inbound_id)
        last_uid = max(last_uid, uid)
    session.execute(
        update(Mailbox)
        .where(Mailbox.id == mailbox.id)
        .values(
            uidvalidity=fetched.uidvalidity,
            last_uid=last_uid,
            last_checked_at=now,
            last_error=None,
            next_poll_at=now if fetched.more else now + timedelta(seconds=mailbox.poll_seconds),
        )
    )
    if stored:
        wake_engine(session, Lane.PAGING)
    session.commit()
    connection.mark_imported([uid for uid, _ in fetched.messages])
    return Batch(fetched=len(fetched.messages), stored=stored, more=fetched.more)


def run_once(session: Session, now: datetime) -> int:
    worker = context_of(session).engine_worker
    mailboxes = _watched(session, worker=worker, now=now)
    session.commit()
    CONNECTIONS.keep_only(worker, {m.id for m in mailboxes})
    done = 0
    for mailbox in mailboxes:
        try:
            connection = CONNECTIONS.get(worker, account_of(mailbox))
            due = mailbox.next_poll_at is None or mailbox.next_poll_at <= now
            if not (connection.news() or due):
                continue
            done += fetch_mailbox(session, mailbox, connection, now=now).fetched
            connection.start_idle()
        except (ImapProblem, TakepointError) as exc:
            session.rollback()
            CONNECTIONS.drop(worker, mailbox.id)
            _failed(session, mailbox.id, exc.message, now=now)
        except NETWORK_ERRORS as exc:
            session.rollback()
            CONNECTIONS.drop(worker, mailbox.id)
            log.warning("mailbox %s: %s", mailbox.name, exc)
            _failed(session, mailbox.id, f"the connection failed: {exc}", now=now)
    return done


def close_connections(worker: str) -> None:
    CONNECTIONS.keep_only(worker, set())
