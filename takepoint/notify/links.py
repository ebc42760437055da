"""Signed action links: "acknowledge" and "resolve" straight from a message.

A token carries (incident, person, action) and the time it was made, signed with the server's
secret key. Whoever holds the link can act as that person on that incident, so links expire
(24 hours by default) and the page that opens them must ask for a confirming click: mail
scanners follow every link in a message, and a GET must never acknowledge anything.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from takepoint.lib.errors import TakepointError

DEFAULT_TTL = timedelta(hours=24)
# The incidents domain serves the confirmation page here: GET /act/{token}.
LINK_PATH = "/act/"
_SALT = "takepoint.action-link"
_TOKEN_IN_TEXT = re.compile(re.escape(LINK_PATH) + r"[A-Za-z0-9_\-.]+")
# Engines and web servers on different hosts disagree a little about the time.
_CLOCK_SKEW = timedelta(minutes=5)


class LinkAction(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class LinkExpired(TakepointError):
    """This link has expired. Open the incident in Takepoint instead."""

    status_code = 410


class LinkInvalid(TakepointError):
    """This link is not valid: it was changed or cut short. Open the incident in Takepoint."""

    status_code = 400


@dataclass(frozen=True)
class ActionClaim:
    incident_id: int
    user_id: int
    action: LinkAction
    issued_at: datetime


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


def make_token(
    *, secret_key: str, incident_id: int, user_id: int, action: LinkAction, now: datetime
) -> str:
    serializer = URLSafeTimedSerializer(
        secret_key, salt=_SALT, signer=_SignerAt, signer_kwargs={"now": now}
    )
    token: str = serializer.dumps([incident_id, user_id, LinkAction(action).value])
    return token


def read_token(
    *, secret_key: str, token: str, now: datetime, max_age: timedelta = DEFAULT_TTL
) -> ActionClaim:
    """The claim in a token; `LinkInvalid` (400) if it was tampered with, `LinkExpired` (410)."""
    serializer = URLSafeTimedSerializer(secret_key, salt=_SALT)
    try:
        payload, signed_at = serializer.loads(token, max_age=None, return_timestamp=True)
    except BadSignature:
        raise LinkInvalid() from None
    try:
        incident_id, user_id, action = payload
        claim = ActionClaim(
            incident_id=int(incident_id),
            user_id=int(user_id),
            action=LinkAction(action),
            issued_at=signed_at.astimezone(UTC),
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


def action_url(
    *,
    secret_key: str,
    base_url: str,
    incident_id: int,
    user_id: int,
    action: LinkAction,
    now: datetime,
) -> str:
    token = make_token(
        secret_key=secret_key, incident_id=incident_id, user_id=user_id, action=action, now=now
    )
    return f"{base_url.rstrip('/')}{LINK_PATH}{token}"


def action_links(
    *, secret_key: str, base_url: str, incident_id: int, user_id: int, now: datetime
) -> ActionLinks:
    """An acknowledge and a resolve link for one person, to pass to `notify_user(links=...)`."""
    common: dict[str, Any] = {
        "secret_key": secret_key,
        "base_url": base_url,
        "incident_id": incident_id,
        "user_id": user_id,
        "now": now,
    }
    return ActionLinks(
        acknowledge=action_url(action=LinkAction.ACKNOWLEDGE, **common),
        resolve=action_url(action=LinkAction.RESOLVE, **common),
    )


def redact_links(text: str) -> str:
    """The text with the tokens of its action links cut out, for showing to anyone."""
    return _TOKEN_IN_TEXT.sub(f"{LINK_PATH}…", text)
