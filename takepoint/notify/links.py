"""Signed action links: "acknowledge" and "resolve" straight from a message.

A token carries (incident, person, action), the time it was made and a stamp of the person's
account, signed with the server's secret key. Whoever holds the link can act as that person on
that incident, so a link is refused once it expires (24 hours by default), once the account
changes (deactivated, another role, a new password) and once it has acted. The page that opens
links must ask for a confirming click: mail scanners follow every link in a message, and a GET
must never acknowledge anything.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from takepoint.accounts.models import User
from takepoint.lib.db import is_postgresql, rowcount
from takepoint.lib.errors import TakepointError
from takepoint.notify.link_models import UsedActionLink

DEFAULT_TTL = timedelta(hours=24)
# The incidents domain serves the confirmation page here: GET /act/{token}.
LINK_PATH = "/act/"
_SALT = "takepoint.action-link"
_TOKEN_IN_TEXT = re.compile(re.escape(LINK_PATH) + r"[A-Za-z0-9_\-.]+")
# Engines and web servers on different hosts disagree a little about the time.
_CLOCK_SKEW = timedelta(minutes=5)
# A used link's mark is kept while the link could still be read: it may have been made up to
# one skew ahead of the clock that marked it, and the clock that forgets may run one ahead.
KEEP_USED = DEFAULT_TTL + 2 * _CLOCK_SKEW


class LinkAction(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class LinkExpired(TakepointError):
    """This link has expired. Open the incident in Takepoint instead."""

    status_code = 410


class LinkInvalid(TakepointError):
    """This link is not valid: it was changed or cut short. Open the incident in Takepoint."""

    status_code = 400


class LinkRevoked(TakepointError):
    """This link is no longer valid. Open the incident in Takepoint instead."""

    status_code = 410


class LinkUsed(TakepointError):
    """This link was used a moment ago, and a link works once. Open the incident in Takepoint."""

    status_code = 409


@dataclass(frozen=True)
class AccountStamp:
    """What a link remembers of its person's account. Keyed digests: a token can be read by
    whoever holds it, and must tell them nothing about the account."""

    role: str
    password: str


@dataclass(frozen=True)
class ActionClaim:
    incident_id: int
    user_id: int
    action: LinkAction
    issued_at: datetime
    stamp: AccountStamp

    @property
    def digest(self) -> str:
        """Names the link once it is used. Made from what the token says, never from its text,
        which has several spellings that read alike."""
        said = [
            self.incident_id,
            self.user_id,
            self.action.value,
            int(self.issued_at.timestamp()),
            self.stamp.role,
            self.stamp.password,
        ]
        return hashlib.sha256("|".join(map(str, said)).encode()).hexdigest()


@dataclass(frozen=True)
class ActionLinks:
    acknowledge: str
    resolve: str


class _SignerAt(TimestampSigner):
    # itsdangerous reads the system clock; Takepoint's clock is injected.
    def __init__(self, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(self._now.timestamp())


def _keyed(secret_key: str, user_id: int, field: str, value: str) -> str:
    message = f"{_SALT}.account|{user_id}|{field}|{value}".encode()
    mac = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()[:9]
    return base64.urlsafe_b64encode(mac).decode()


def account_stamp(*, secret_key: str, user: User) -> AccountStamp:
    return AccountStamp(
        role=_keyed(secret_key, user.id, "role", user.role.value),
        password=_keyed(secret_key, user.id, "password", user.password_hash or ""),
    )


def make_token(
    *,
    secret_key: str,
    incident_id: int,
    user_id: int,
    action: LinkAction,
    stamp: AccountStamp,
    now: datetime,
) -> str:
    serializer = URLSafeTimedSerializer(
        secret_key, salt=_SALT, signer=_SignerAt, signer_kwargs={"now": now}
    )
    payload = [incident_id, user_id, LinkAction(action).value, stamp.role, stamp.password]
    token: str = serializer.dumps(payload)
    return token


def read_token(
    *, secret_key: str, token: str, now: datetime, max_age: timedelta = DEFAULT_TTL
) -> ActionClaim:
    """The claim in a token; `LinkInvalid` (400) if it was tampered with, `LinkExpired` (410).

    Links made before accounts were stamped (three items) are not valid either."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
    try:
        payload, signed_at = serializer.loads(token, max_age=None, return_timestamp=True)
    except BadSignature:
        raise LinkInvalid() from None
    try:
        incident_id, user_id, action, role, password = payload
        claim = ActionClaim(
            incident_id=int(incident_id),
            user_id=int(user_id),
            action=LinkAction(action),
            issued_at=signed_at.astimezone(UTC),
            stamp=AccountStamp(role=str(role), password=str(password)),
        )
    except (TypeError, ValueError):
        raise LinkInvalid() from None
    if claim.issued_at > now + _CLOCK_SKEW:
        raise LinkInvalid()
    if now - claim.issued_at > max_age:
        raise LinkExpired(
            f"This link expired at {(claim.issued_at + max_age):%Y-%m-%d %H:%M} UTC. "
            "Open the incident in Takepoint instead."
        )
    return claim


def check_person(session: Session, *, secret_key: str, claim: ActionClaim) -> User:
    """The person a link acts as, if their account is as it was when the link was made.

    `LinkRevoked` (410) once they are deactivated, their role changes (either way: a link
    carries the rights its person had) or their password changes (whoever changes a password
    wants what the old one opened closed). The reason is said in plain words."""
    user = session.get(User, claim.user_id)
    if user is None:
        raise LinkRevoked(
            "This link is no longer valid: the account it was sent to no longer exists."
        )
    now_stamp = account_stamp(secret_key=secret_key, user=user)
    if not user.is_active:
        reason = f"{user.display_name}'s account has been deactivated"
    elif not hmac.compare_digest(now_stamp.role, claim.stamp.role):
        reason = f"{user.display_name}'s role has changed since it was sent"
    elif not hmac.compare_digest(now_stamp.password, claim.stamp.password):
        reason = f"{user.display_name}'s password has changed since it was sent"
    else:
        return user
    raise LinkRevoked(
        f"This link is no longer valid: {reason}. Open the incident in Takepoint instead."
    )


def find_use(session: Session, *, claim: ActionClaim) -> UsedActionLink | None:
    return session.get(UsedActionLink, claim.digest)


def record_use(session: Session, *, claim: ActionClaim, now: datetime) -> None:
    """Mark a link used, in the unit of work that acts through it, before it acts: the action
    and the mark commit together or not at all.

    One INSERT ... ON CONFLICT DO NOTHING. Of two requests racing, on PostgreSQL the second
    waits at this insert until the first commits and then gets `LinkUsed` (409); on SQLite
    they take turns from BEGIN IMMEDIATE, so the second already sees the mark."""
    dialect = postgresql if is_postgresql(session) else sqlite
    statement = (
        dialect.insert(UsedActionLink)
        .values(digest=claim.digest, used_at=now)
        .on_conflict_do_nothing(index_elements=["digest"])
        .returning(UsedActionLink.digest)
    )
    if session.execute(statement).scalar() is None:
        raise LinkUsed()


def forget_used(session: Session, *, now: datetime) -> int:
    """Forget the marks of links too old to be read any more; returns how many."""
    result = session.execute(delete(UsedActionLink).where(UsedActionLink.used_at < now - KEEP_USED))
    return rowcount(result)


def action_url(
    *,
    secret_key: str,
    base_url: str,
    incident_id: int,
    user_id: int,
    action: LinkAction,
    stamp: AccountStamp,
    now: datetime,
) -> str:
    token = make_token(
        secret_key=secret_key,
        incident_id=incident_id,
        user_id=user_id,
        action=action,
        stamp=stamp,
        now=now,
    )
    return f"{base_url.rstrip('/')}{LINK_PATH}{token}"


def action_links(
    *, secret_key: str, base_url: str, incident_id: int, user: User, now: datetime
) -> ActionLinks:
    """An acknowledge and a resolve link for one person, to pass to `notify_user(links=...)`."""
    common: dict[str, Any] = {
        "secret_key": secret_key,
        "base_url": base_url,
        "incident_id": incident_id,
        "user_id": user.id,
        "stamp": account_stamp(secret_key=secret_key, user=user),
        "now": now,
    }
    return ActionLinks(
        acknowledge=action_url(action=LinkAction.ACKNOWLEDGE, **common),
        resolve=action_url(action=LinkAction.RESOLVE, **common),
    )


def redact_links(text: str) -> str:
    """The text with the tokens of its action links cut out, for showing to anyone."""
    return _TOKEN_IN_TEXT.sub(f"{LINK_PATH}…", text)
