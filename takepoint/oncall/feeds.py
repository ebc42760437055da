"""Secret calendar feed URLs: one per schedule or per person, revocable, stored as a hash."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Role, User
from takepoint.lib.errors import NotFound
from takepoint.lib.secrets import hash_token, new_token
from takepoint.oncall import calendar
from takepoint.oncall.models import CalendarFeed, Schedule
from takepoint.oncall.service import list_schedules, timeline, users_by_id

TOKEN_PREFIX = "tpcal_"
PAST = timedelta(days=30)
FUTURE = timedelta(days=180)


def feed_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/calendar/{token}.ics"


def create_feed(
    session: Session, *, owner: User, now: datetime, schedule: Schedule | None = None
) -> tuple[CalendarFeed, str]:
    """A schedule's feed, or (without a schedule) the owner's own shifts on every schedule.

    Returns the row and the token, which is shown once and never stored.
    """
    token = new_token(TOKEN_PREFIX)
    feed = CalendarFeed(
        owner_id=owner.id,
        schedule_id=schedule.id if schedule is not None else None,
        user_id=None if schedule is not None else owner.id,
        token_hash=hash_token(token),
        prefix=token[:12],
        created_at=now,
    )
    session.add(feed)
    session.flush()
    return feed, token


def list_feeds(session: Session, *, owner: User) -> list[CalendarFeed]:
    return list(
        session.scalars(
            select(CalendarFeed)
            .options(selectinload(CalendarFeed.schedule))
            .where(CalendarFeed.owner_id == owner.id)
            .order_by(CalendarFeed.created_at)
        )
    )


def revoke_feed(session: Session, *, feed_id: int, actor: User, now: datetime) -> CalendarFeed:
    feed = session.get(CalendarFeed, feed_id)
    if feed is None or (feed.owner_id != actor.id and actor.role is not Role.ADMIN):
        raise NotFound(f"no calendar feed with id {feed_id}")
    if feed.revoked_at is None:
        feed.revoked_at = now
    session.flush()
    return feed


def feed_for_token(session: Session, token: str) -> CalendarFeed | None:
    feed = session.scalar(
        select(CalendarFeed)
        .options(selectinload(CalendarFeed.owner))
        .where(CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None))
    )
    # A deactivated person's links stop working with their account.
    if feed is None or not feed.owner.is_active:
        return None
    return feed


def render_feed(session: Session, *, feed: CalendarFeed, base_url: str, now: datetime) -> bytes:
    """The feed's ICS: shifts from 30 days ago to 180 days ahead."""
    start, end = now - PAST, now + FUTURE
    if feed.schedule_id is not None:
        schedules = [s for s in list_schedules(session) if s.id == feed.schedule_id]
        name = f"On call: {schedules[0].name}" if schedules else "On call"
    else:
        schedules = list_schedules(session)
        owner = feed.user.display_name if feed.user else "me"
        name = f"On call: {owner}"
    entries: list[calendar.Entry] = []
    for schedule in schedules:
        result = timeline(session, schedule=schedule, start=start, end=end)
        layer_names = {layer.id: layer.name for layer in schedule.layers}
        people = users_by_id(session, (s.user_id for s in result.final))
        for segment in result.final:
            if segment.user_id is None:
                continue
            if feed.user_id is not None and segment.user_id != feed.user_id:
                continue
            if segment.override_id is not None:
                via = "override"
            elif segment.swap_id is not None:
                via = f"{layer_names.get(segment.layer_id or 0, 'layer')}, swapped"
            else:
                via = layer_names.get(segment.layer_id or 0, "layer")
            entries.append(
                calendar.Entry(
                    schedule_id=schedule.id,
                    schedule_name=schedule.name,
                    time_zone=schedule.time_zone,
                    segment=segment,
                    person=people[segment.user_id].display_name,
                    via=via,
                    user_id=feed.user_id,
                )
            )
    domain = urlsplit(base_url).hostname or "takepoint"
    return calendar.build_calendar(name=name, entries=entries, domain=domain, now=now)
