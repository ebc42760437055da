from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import (
    ApiToken,
    LoginAttempt,
    Role,
    Team,
    TeamMember,
    TokenScope,
    User,
    UserSession,
)
from takepoint.lib.db import rowcount
from takepoint.lib.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, RateLimited
from takepoint.lib.secrets import hash_password, hash_token, new_token, verify_password

SESSION_TOKEN_PREFIX = "tps_"
API_TOKEN_PREFIX = "tp_"
MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class BadCredentials(NotAuthenticated):
    """Wrong email or password."""


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an email address", field="email")
    return email


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"{name!r} is not an IANA time zone such as Europe/London", field="time_zone"
        ) from None
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters", field="password"
        )
    return password


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not slug:
        raise InvalidInput(f"{text!r} has no letters or digits to make a slug from", field="name")
    return slug


# --- users -------------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    email: str,
    display_name: str,
    now: datetime,
    role: Role = Role.RESPONDER,
    time_zone: str = "UTC",
    password: str | None = None,
) -> User:
    email = normalize_email(email)
    if not display_name.strip():
        raise InvalidInput("the display name is empty", field="display_name")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with email {email} already exists", field="email")
    user = User(
        email=email,
        display_name=display_name.strip(),
        time_zone=check_time_zone(time_zone),
        role=role,
        password_hash=hash_password(check_password(password)) if password else None,
        created_at=now,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def find_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user with email {email}", field="email")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.display_name)))


def update_user(
    session: Session,
    *,
    user: User,
    display_name: str | None = None,
    time_zone: str | None = None,
    role: Role | None = None,
    is_active: bool | None = None,
) -> User:
    losing_admin = user.role is Role.ADMIN and (
        (role is not None and role is not Role.ADMIN) or is_active is False
    )
    if losing_admin and count_admins(session) <= 1:
        raise Conflict("this is the last admin; make someone else admin first", field="role")
    if display_name is not None:
        if not display_name.strip():
            raise InvalidInput("the display name is empty", field="display_name")
        user.display_name = display_name.strip()
    if time_zone is not None:
        user.time_zone = check_time_zone(time_zone)
    if role is not None:
        user.role = role
    if is_active is not None:
        user.is_active = is_active
        if not is_active:
            session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.flush()
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    user.password_hash = hash_password(check_password(password))
    # A new password signs out every browser that knew the old one.
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.flush()


def count_admins(session: Session) -> int:
    return (
        session.scalar(select(func.count()).select_from(User).where(User.role == Role.ADMIN)) or 0
    )


# --- sign-in -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    window: timedelta


# Failures that lock sign-in, as multiples of the policy's `max_failures` within its window:
# an address trying many people, and one person tried from many addresses. The plain limit is
# per person and address, so a stranger elsewhere cannot lock the on-call person out.
ADDRESS_FACTOR = 10
PERSON_FACTOR = 4


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    remote_addr: str,
    policy: LoginPolicy,
    now: datetime,
    known_device_of: int | None = None,
) -> User:
    """Check a password, counting failures so that guessing is slowed to a crawl.

    Failures count per person and address, per person across every address, and per address
    across everyone. The last two a stranger can run up against someone else (from many
    addresses, or from the hospital's one shared address), so a browser the person signed in
    with before (`known_device_of` is their user id, from its signed cookie) is held only to a
    higher limit of its own: it stays able to sign in while someone else guesses.
    """
    email = email.strip().lower()
    remote_addr = remote_addr[:64]
    user = session.scalar(select(User).where(User.email == email))
    known = user is not None and known_device_of == user.id
    failed = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.attempted_at >= now - policy.window, LoginAttempt.succeeded.is_(False))
    )
    minutes = int(policy.window.total_seconds() // 60)
    pair = and_(LoginAttempt.email == email, LoginAttempt.remote_addr == remote_addr)
    limits = (
        # Still bounded: the cookie is no password, only proof of an earlier sign-in.
        [(pair, policy.max_failures * ADDRESS_FACTOR, f"for {email}")]
        if known
        else [
            (pair, policy.max_failures, f"for {email}"),
            (LoginAttempt.email == email, policy.max_failures * PERSON_FACTOR, f"for {email}"),
            (
                LoginAttempt.remote_addr == remote_addr,
                policy.max_failures * ADDRESS_FACTOR,
                "from this address",
            ),
        ]
    )
    for where, limit, whose in limits:
        if (session.scalar(failed.where(where)) or 0) >= limit:
            raise RateLimited(
                f"too many failed sign-ins {whose}; try again in {minutes} minutes, or from "
                "a browser you have signed in with before",
                retry_after=int(policy.window.total_seconds()),
            )
    ok = (
        verify_password(user.password_hash if user else None, password)
        and user is not None
        and user.is_active
    )
    session.add(LoginAttempt(email=email, remote_addr=remote_addr, attempted_at=now, succeeded=ok))
    session.flush()
    if not ok or user is None:
        raise BadCredentials()
    return user


def start_session(
    session: Session, *, user: User, lifetime: timedelta, user_agent: str, now: datetime
) -> str:
    """Create a browser session and return the cookie value (shown to nobody else)."""
    token = new_token(SESSION_TOKEN_PREFIX)
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + lifetime,
            user_agent=user_agent[:300],
        )
    )
    session.flush()
    return token


def user_for_session(session: Session, *, token: str, now: datetime) -> User | None:
    row = session.scalar(
        select(UserSession)
        .options(selectinload(UserSession.user))
        .where(
            UserSession.token_hash == hash_token(token),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
        )
    )
    if row is None or not row.user.is_active:
        return None
    return row.user


def end_session(session: Session, *, token: str, now: datetime) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == hash_token(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def purge_expired(session: Session, *, now: datetime, keep_attempts: timedelta) -> int:
    sessions = session.execute(
        delete(UserSession).where(
            (UserSession.expires_at < now) | (UserSession.revoked_at.is_not(None))
        )
    )
    attempts = session.execute(
        delete(LoginAttempt).where(LoginAttempt.attempted_at < now - keep_attempts)
    )
    return rowcount(sessions) + rowcount(attempts)


# --- API tokens --------------------------------------------------------------------------------


def create_api_token(
    session: Session, *, user: User, name: str, scope: TokenScope, now: datetime
) -> tuple[ApiToken, str]:
    """Return the token row and the secret, which is shown this once and never stored."""
    if not name.strip():
        raise InvalidInput("give the token a name, such as 'monitoring'", field="name")
    secret = new_token(API_TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100],
        scope=scope,
        token_hash=hash_token(secret),
        prefix=secret[:10],
        created_at=now,
    )
    session.add(token)
    session.flush()
    return token, secret


def token_principal(
    session: Session, *, secret: str, now: datetime, touch: bool
) -> ApiToken | None:
    token = session.scalar(
        select(ApiToken)
        .options(selectinload(ApiToken.user))
        .where(ApiToken.token_hash == hash_token(secret), ApiToken.revoked_at.is_(None))
    )
    if token is None or not token.user.is_active:
        return None
    # Touched only by writing requests, at most once a minute, so reads never write.
    if touch and (token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1)):
        token.last_used_at = now
    return token


def list_api_tokens(session: Session, *, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at)
        )
    )


def revoke_api_token(session: Session, *, user: User, token_id: int, now: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and user.role != Role.ADMIN):
        raise NotFound(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
    session.flush()
    return token


# --- teams -------------------------------------------------------------------------------------


def create_team(
    session: Session, *, name: str, now: datetime, lead: User | None = None, slug: str | None = None
) -> Team:
    if not name.strip():
        raise InvalidInput("the team name is empty", field="name")
    slug = slugify(slug or name)
    if session.scalar(select(Team.id).where((Team.name == name.strip()) | (Team.slug == slug))):
        raise Conflict(f"a team named {name.strip()!r} already exists", field="name")
    team = Team(name=name.strip(), slug=slug, lead=lead, created_at=now)
    session.add(team)
    if lead is not None:
        team.members.append(TeamMember(user=lead))
    session.flush()
    return team


def get_team(session: Session, team_id: int) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(f"no team with id {team_id}")
    return team


def list_teams(session: Session) -> list[Team]:
    return list(
        session.scalars(
            select(Team)
            .options(selectinload(Team.members).selectinload(TeamMember.user))
            .order_by(Team.name)
        )
    )


def add_team_member(session: Session, *, team: Team, user: User) -> None:
    if any(m.user_id == user.id for m in team.members):
        return
    team.members.append(TeamMember(user=user))
    session.flush()


def remove_team_member(session: Session, *, team: Team, user: User) -> None:
    if team.lead_id == user.id:
        raise Conflict(
            f"{user.display_name} leads {team.name}; name another lead first", field="user"
        )
    team.members[:] = [m for m in team.members if m.user_id != user.id]
    session.flush()


def set_team_lead(session: Session, *, team: Team, lead: User | None) -> None:
    team.lead = lead
    if lead is not None:
        add_team_member(session, team=team, user=lead)
    session.flush()


# --- first start -------------------------------------------------------------------------------


def ensure_first_admin(
    session: Session, *, email: str | None, password: str | None, now: datetime
) -> tuple[User, str | None] | None:
    """Create the first admin on an empty database.

    Returns the admin and, when the password was generated here, that password, so that it can
    be printed this one time. Returns None when users already exist.
    """
    if session.scalar(select(func.count()).select_from(User)):
        return None
    generated = None
    if not password:
        generated = password = new_token("", 12)
    user = create_user(
        session,
        email=email or "admin@takepoint.local",
        display_name="Administrator",
        role=Role.ADMIN,
        password=password,
        now=now,
    )
    return user, generated
