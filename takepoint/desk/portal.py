"""The requester portal's sign-in: one-time emailed links and the portal's own session cookie.

Requesters have no password. Asking for a link with a known email creates a `PortalLink` row
(15 minutes, single use) and mails `/portal/signin/<token>`, the row's id signed with the
server's key; asking with an unknown email does nothing, and the asker is told the same either
way, so the form never says who has an account. Mail scanners open every link, so the page
behind it only shows a button: using the link (the POST) spends it, with a conditional UPDATE,
so two clicks racing each other sign in once.

The portal's session is a signed cookie holding the requester's id, separate from staff
sessions: a requester is never a staff user through it, whatever their email.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from takepoint.desk.models import Message, PortalLink, Requester, Ticket
from takepoint.lib.context import context_of
from takepoint.lib.db import rowcount
from takepoint.lib.errors import NotFound
from takepoint.notify.links import LinkExpired, LinkInvalid
from takepoint.notify.service import notify_address

LINK_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(days=7)
SIGNIN_PATH = "/portal/signin/"
SESSION_COOKIE = "tp_portal"
# A known address gets at most this many links per LINK_TTL: the form is public, and it must
# not become a way to flood someone's mailbox.
MAX_LINKS_PER_TTL = 5
_LINK_SALT = "takepoint-portal"
_SESSION_SALT = "takepoint-portal-session"


class PortalLinkInvalid(LinkInvalid):
    """This sign-in link is not valid: it was changed or cut short. Ask for a new one."""


class PortalLinkExpired(LinkExpired):
    """This sign-in link has expired; ask for a new one."""


class PortalLinkUsed(LinkExpired):
    """This link was used already; ask for a new one."""


class _SignerAt(TimestampSigner):
    # itsdangerous reads the system clock; Takepoint's clock is injected.
    def __init__(self, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(self._now.timestamp())


def _serializer(secret_key: str, salt: str, now: datetime) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret_key, salt=salt, signer=_SignerAt, signer_kwargs={"now": now}
    )


def _normalise(email: str) -> str:
    return email.strip().lower()


def link_url(session: Session, *, link: PortalLink, now: datetime) -> str:
    context = context_of(session)
    token = _serializer(context.secret_key, _LINK_SALT, now).dumps(link.id)
    return f"{context.base_url.rstrip('/')}{SIGNIN_PATH}{token}"


def request_link(session: Session, *, email: str, now: datetime) -> None:
    """Mail a one-time sign-in link to the requester with this email, if there is one.

    Returns nothing either way: what the asker is told must not depend on the answer."""
    address = _normalise(email)
    if not address:
        return
    requester = session.scalars(select(Requester).where(Requester.email == address)).first()
    if requester is None or requester.email is None:
        return
    recent = session.scalar(
        select(func.count(PortalLink.id)).where(
            PortalLink.requester_id == requester.id, PortalLink.created_at > now - LINK_TTL
        )
    )
    if (recent or 0) >= MAX_LINKS_PER_TTL:
        return
    link = PortalLink(requester_id=requester.id, created_at=now, expires_at=now + LINK_TTL)
    session.add(link)
    session.flush()
    url = link_url(session, link=link, now=now)
    notify_address(
        session,
        address=requester.email,
        subject="Your sign-in link for the IT service desk",
        body=(
            f"Hello {requester.name},\n\n"
            f"Open this link to see and write to your tickets:\n{url}\n\n"
            f"It works once, for {int(LINK_TTL.total_seconds() // 60)} minutes. "
            "If you did not ask for it, ignore this message: nobody can sign in without it.\n"
        ),
        key=f"portal-link/{link.id}",
        now=now,
    )


def _link_for(session: Session, token: str) -> PortalLink:
    serializer = URLSafeTimedSerializer(context_of(session).secret_key, salt=_LINK_SALT)
    try:
        link_id = serializer.loads(token, max_age=None)
    except BadSignature:
        raise PortalLinkInvalid() from None
    if not isinstance(link_id, int):
        raise PortalLinkInvalid()
    link = session.get(PortalLink, link_id)
    if link is None:
        raise PortalLinkInvalid()
    return link


def _refuse_spent(link: PortalLink, now: datetime) -> None:
    if link.used_at is not None:
        raise PortalLinkUsed()
    if now >= link.expires_at:
        raise PortalLinkExpired(
            f"This sign-in link expired at {link.expires_at:%Y-%m-%d %H:%M} UTC; ask for a new one."
        )


def check_link(session: Session, *, token: str, now: datetime) -> Requester:
    """Whose link this is, without spending it (for the page a mail scanner may open)."""
    link = _link_for(session, token)
    _refuse_spent(link, now)
    return _requester(session, link.requester_id)


def use_link(session: Session, *, token: str, now: datetime) -> Requester:
    """Spend a sign-in link and return its requester.

    `PortalLinkInvalid` (400) for a token that is not ours, `PortalLinkExpired` (410) after
    15 minutes, `PortalLinkUsed` (410) the second time. The claim is one conditional UPDATE,
    so of two uses racing each other, on SQLite or PostgreSQL, exactly one succeeds."""
    link = _link_for(session, token)
    _refuse_spent(link, now)
    claimed = session.execute(
        update(PortalLink)
        .where(
            PortalLink.id == link.id,
            PortalLink.used_at.is_(None),
            PortalLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(claimed) != 1:
        raise PortalLinkUsed()
    session.expire(link)
    return _requester(session, link.requester_id)


def _requester(session: Session, requester_id: int) -> Requester:
    requester = session.get(Requester, requester_id)
    if requester is None:
        raise PortalLinkInvalid()
    return requester


# --- the portal's session ---------------------------------------------------------------------


def session_cookie(session: Session, *, requester: Requester, now: datetime) -> str:
    secret = context_of(session).secret_key
    value: str = _serializer(secret, _SESSION_SALT, now).dumps(requester.id)
    return value


def requester_for_cookie(session: Session, *, cookie: str, now: datetime) -> Requester | None:
    """The requester a `tp_portal` cookie names, or None if it is forged or older than 7 days."""
    serializer = _serializer(context_of(session).secret_key, _SESSION_SALT, now)
    try:
        requester_id = serializer.loads(cookie, max_age=int(SESSION_TTL.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(requester_id, int):
        return None
    return session.get(Requester, requester_id)


# --- what a requester may read ----------------------------------------------------------------


def tickets_of(session: Session, *, requester: Requester, limit: int = 200) -> list[Ticket]:
    """A requester's own tickets, the most recently changed first."""
    query = (
        select(Ticket)
        .where(Ticket.requester_id == requester.id)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query).unique())


def own_ticket(session: Session, *, requester: Requester, ticket_id: int) -> Ticket:
    """The ticket if it is this requester's; anyone else's is "not found", like a missing one,
    so ticket numbers reveal nothing."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.requester_id != requester.id:
        raise NotFound(f"there is no ticket #{ticket_id}")
    return ticket


def last_message_id(session: Session, *, ticket: Ticket, requester: Requester) -> int | None:
    """The requester's latest message on the ticket: the one a file sent with it belongs to."""
    return session.scalar(
        select(Message.id)
        .where(Message.ticket_id == ticket.id, Message.author_requester_id == requester.id)
        .order_by(Message.id.desc())
        .limit(1)
    )
