"""The API for who is on call, timelines, hours, overrides, swaps, calendar feeds and notices."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.orm import Session

from takepoint.accounts.auth import Responder, Viewer
from takepoint.accounts.models import Role, User
from takepoint.accounts.service import get_user
from takepoint.lib import csrf
from takepoint.lib.deps import AppSettings, DbSession, Now
from takepoint.lib.errors import InvalidInput
from takepoint.oncall import feeds, notices, report, service, swaps
from takepoint.oncall.compute import Segment, Timeline
from takepoint.oncall.models import Schedule
from takepoint.oncall.schemas import (
    FeedCreate,
    FeedCreated,
    FeedOut,
    HoursOut,
    LayerTimelineOut,
    NoticeOut,
    OnCallOut,
    OverrideCreate,
    OverrideOut,
    PersonOut,
    SegmentOut,
    SwapCreate,
    SwapOut,
    TimelineOut,
)

router = APIRouter(prefix="/api/v1", tags=["on-call"], dependencies=[Depends(csrf.protect)])

AT_HELP = "ISO 8601 with a UTC offset (2026-03-29T09:00:00+01:00 or ...Z), or 'now'"


def _person(user: User | None) -> PersonOut | None:
    if user is None:
        return None
    return PersonOut(id=user.id, display_name=user.display_name, email=user.email)


def _segment_out(segment: Segment, people: dict[int, User]) -> SegmentOut:
    return SegmentOut(
        start=segment.start,
        end=segment.end,
        user=_person(people.get(segment.user_id)) if segment.user_id is not None else None,
        layer_id=segment.layer_id,
        override_id=segment.override_id,
        swap_id=segment.swap_id,
    )


def _timeline_out(session: Session, schedule: Schedule, result: Timeline) -> TimelineOut:
    people = service.users_by_id(session, service.timeline_users(result))
    return TimelineOut(
        schedule_id=schedule.id,
        time_zone=schedule.time_zone,
        start=result.start,
        end=result.end,
        final=[_segment_out(s, people) for s in result.final],
        layers=[
            LayerTimelineOut(
                layer_id=layer.id,
                name=layer.name,
                segments=[_segment_out(s, people) for s in result.layers[layer.id]],
            )
            for layer in schedule.layers
        ],
    )


def _oncall_out(oncall: service.OnCall) -> OnCallOut:
    segment = oncall.segment
    via = "override" if segment.override_id else "layer" if segment.layer_id else "nobody"
    return OnCallOut(
        schedule_id=oncall.schedule.id,
        schedule=oncall.schedule.name,
        time_zone=oncall.schedule.time_zone,
        at=oncall.at,
        user=_person(oncall.user),
        since=oncall.since,
        until=oncall.until,
        via=via,
        layer_id=segment.layer_id,
        override_id=segment.override_id,
        swap_id=segment.swap_id,
    )


# --- questions ---------------------------------------------------------------------------------


@router.get("/schedules/{schedule_id}/oncall", response_model=OnCallOut)
def who_is_on_call(
    schedule_id: int,
    principal: Viewer,
    session: DbSession,
    now: Now,
    at: Annotated[str, Query(description=AT_HELP, max_length=64)] = "now",
) -> OnCallOut:
    """Who is on call for the schedule at an instant, past or future."""
    moment = service.parse_instant(at, now=now, field="at")
    schedule = service.get_schedule(session, schedule_id)
    return _oncall_out(service.who_is_on_call(session, schedule, moment))


@router.get("/oncall", response_model=list[OnCallOut])
def who_is_on_call_everywhere(
    principal: Viewer,
    session: DbSession,
    now: Now,
    at: Annotated[str, Query(description=AT_HELP, max_length=64)] = "now",
) -> list[OnCallOut]:
    moment = service.parse_instant(at, now=now, field="at")
    return [_oncall_out(o) for o in service.on_call_everywhere(session, at=moment)]


@router.get("/schedules/{schedule_id}/timeline", response_model=TimelineOut)
def read_timeline(
    schedule_id: int,
    principal: Viewer,
    session: DbSession,
    now: Now,
    start: Annotated[str, Query(description=AT_HELP, max_length=64)] = "now",
    end: Annotated[str | None, Query(description=AT_HELP + "; default start + 14 days")] = None,
) -> TimelineOut:
    """The final timeline and each layer's, with explicit gaps (user null) where nobody is."""
    schedule = service.get_schedule(session, schedule_id)
    first = service.parse_instant(start, now=now, field="start")
    last = service.parse_instant(end, now=now, field="end") if end else None
    result = service.timeline(
        session, schedule=schedule, start=first, end=last or first + timedelta(days=14)
    )
    return _timeline_out(session, schedule, result)


@router.get("/oncall/hours", response_model=list[HoursOut])
def read_hours(
    principal: Viewer,
    session: DbSession,
    first: Annotated[date, Query(description="first local day, included")],
    last: Annotated[date, Query(description="last local day, included")],
    schedule_id: int | None = None,
) -> list[HoursOut]:
    """On-call hours per person: business hours, nights and weekends, in each schedule's zone."""
    rows = report.hours_report(session, first=first, last=last, schedule_id=schedule_id)
    return [
        HoursOut(
            schedule_id=row.schedule.id,
            schedule=row.schedule.name,
            user=PersonOut(
                id=row.user.id, display_name=row.user.display_name, email=row.user.email
            ),
            total_hours=round(row.total, 2),
            business_hours=round(row.business, 2),
            night_hours=round(row.night, 2),
            weekend_hours=round(row.weekend, 2),
        )
        for row in rows
    ]


# --- overrides and swaps -----------------------------------------------------------------------


@router.get("/schedules/{schedule_id}/overrides", response_model=list[OverrideOut])
def list_overrides(
    schedule_id: int, principal: Viewer, session: DbSession, now: Now
) -> list[OverrideOut]:
    schedule = service.get_schedule(session, schedule_id)
    return [
        OverrideOut.model_validate(o)
        for o in swaps.list_overrides(session, schedule=schedule, since=now)
    ]


@router.post("/schedules/{schedule_id}/overrides", response_model=OverrideOut, status_code=201)
def create_override(
    schedule_id: int, body: OverrideCreate, principal: Responder, session: DbSession, now: Now
) -> OverrideOut:
    schedule = service.get_schedule(session, schedule_id)
    override = swaps.create_override(
        session,
        schedule=schedule,
        user=get_user(session, body.user_id),
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        note=body.note,
        actor=principal.user,
        now=now,
    )
    return OverrideOut.model_validate(override)


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", status_code=204)
def cancel_override(
    schedule_id: int, override_id: int, principal: Responder, session: DbSession, now: Now
) -> Response:
    swaps.cancel_override(
        session, schedule_id=schedule_id, override_id=override_id, actor=principal.user, now=now
    )
    return Response(status_code=204)


@router.get("/schedules/{schedule_id}/swaps", response_model=list[SwapOut])
def list_swaps(schedule_id: int, principal: Viewer, session: DbSession) -> list[SwapOut]:
    schedule = service.get_schedule(session, schedule_id)
    return [SwapOut.model_validate(s) for s in swaps.list_swaps(session, schedule=schedule)]


@router.post("/schedules/{schedule_id}/swaps", response_model=SwapOut, status_code=201)
def request_swap(
    schedule_id: int, body: SwapCreate, principal: Responder, session: DbSession, now: Now
) -> SwapOut:
    """Offer a shift to someone (optionally for one of theirs). Nothing changes until accepted."""
    schedule = service.get_schedule(session, schedule_id)
    requester = principal.user
    if body.requester_id is not None and body.requester_id != principal.user.id:
        if principal.user.role is not Role.ADMIN:
            raise InvalidInput("only admins can ask on someone else's behalf", field="requester_id")
        requester = get_user(session, body.requester_id)
    swap = swaps.request_swap(
        session,
        schedule=schedule,
        layer_id=body.layer_id,
        requester=requester,
        counterpart=get_user(session, body.counterpart_id),
        give_start=body.give_start,
        take_start=body.take_start,
        note=body.note,
        actor=principal.user,
        now=now,
    )
    return SwapOut.model_validate(swap)


@router.post("/schedules/{schedule_id}/swaps/{swap_id}/accept", response_model=SwapOut)
def accept_swap(
    schedule_id: int, swap_id: int, principal: Responder, session: DbSession, now: Now
) -> SwapOut:
    schedule = service.get_schedule(session, schedule_id)
    swap = swaps.accept_swap(
        session,
        schedule=schedule,
        swap=swaps.get_swap(session, schedule, swap_id),
        actor=principal.user,
        now=now,
    )
    return SwapOut.model_validate(swap)


@router.post("/schedules/{schedule_id}/swaps/{swap_id}/decline", response_model=SwapOut)
def decline_swap(
    schedule_id: int, swap_id: int, principal: Responder, session: DbSession, now: Now
) -> SwapOut:
    schedule = service.get_schedule(session, schedule_id)
    swap = swaps.decline_swap(
        session, swap=swaps.get_swap(session, schedule, swap_id), actor=principal.user, now=now
    )
    return SwapOut.model_validate(swap)


@router.post("/schedules/{schedule_id}/swaps/{swap_id}/cancel", response_model=SwapOut)
def cancel_swap(
    schedule_id: int, swap_id: int, principal: Responder, session: DbSession, now: Now
) -> SwapOut:
    schedule = service.get_schedule(session, schedule_id)
    swap = swaps.cancel_swap(
        session, swap=swaps.get_swap(session, schedule, swap_id), actor=principal.user, now=now
    )
    return SwapOut.model_validate(swap)


# --- calendar feeds and notices ----------------------------------------------------------------


@router.get("/calendar-feeds", response_model=list[FeedOut])
def list_feeds(principal: Viewer, session: DbSession) -> list[FeedOut]:
    return [FeedOut.model_validate(f) for f in feeds.list_feeds(session, owner=principal.user)]


@router.post("/calendar-feeds", response_model=FeedCreated, status_code=201)
def create_feed(
    body: FeedCreate, principal: Viewer, session: DbSession, settings: AppSettings, now: Now
) -> FeedCreated:
    """A secret ICS address for a schedule, or for your own shifts on every schedule."""
    schedule = (
        service.get_schedule(session, body.schedule_id) if body.schedule_id is not None else None
    )
    feed, token = feeds.create_feed(session, owner=principal.user, schedule=schedule, now=now)
    return FeedCreated(
        **FeedOut.model_validate(feed).model_dump(), url=feeds.feed_url(settings.base_url, token)
    )


@router.delete("/calendar-feeds/{feed_id}", response_model=FeedOut)
def revoke_feed(feed_id: int, principal: Viewer, session: DbSession, now: Now) -> FeedOut:
    feed = feeds.revoke_feed(session, feed_id=feed_id, actor=principal.user, now=now)
    return FeedOut.model_validate(feed)


@router.get("/shift-notices", response_model=list[NoticeOut])
def list_notices(principal: Viewer, session: DbSession) -> list[NoticeOut]:
    """Your shift notices waiting for delivery."""
    return [NoticeOut.model_validate(n) for n in notices.list_notices(session, user=principal.user)]
