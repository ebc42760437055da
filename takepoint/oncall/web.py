"""On-call pages: schedules, who is on call, overrides, swaps, my shifts, hours, calendars."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from takepoint.accounts.auth import Principal, Responder, Viewer
from takepoint.accounts.models import Role, Team, User
from takepoint.accounts.service import get_user
from takepoint.lib import csrf
from takepoint.lib.deps import AppSettings, DbSession, Now
from takepoint.lib.errors import InvalidInput, NotFound
from takepoint.lib.numbers import is_digits
from takepoint.lib.templating import render
from takepoint.oncall import compute, feeds, notices, report, service, swaps, views
from takepoint.oncall.models import Schedule, SwapStatus
from takepoint.oncall.wallclock import to_instant, to_local, zone

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf.protect)])
WINDOW = timedelta(days=14)
MARGIN = timedelta(days=31)
ZONES = sorted(available_timezones())


def back(path: str, message: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?flash={quote(message)}", status_code=303)


def parse_local(value: str, tz_name: str, field: str) -> datetime:
    """A datetime-local form value, in the viewer's zone, by the schedule maths' own rule."""
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date and time", field=field) from None
    if local.tzinfo is not None:
        return local
    return to_instant(local.replace(second=0, microsecond=0), zone(tz_name))


def parse_choice(value: str, field: str) -> tuple[int, datetime]:
    layer, _, start = value.partition("|")
    try:
        moment = datetime.fromisoformat(start)
        if not is_digits(layer) or moment.tzinfo is None:
            raise ValueError(value)
    except ValueError:
        raise InvalidInput("choose a shift from the list", field=field) from None
    return int(layer), moment


def on_call_people(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(User.is_active.is_(True), User.role != Role.VIEWER)
            .order_by(User.display_name)
        )
    )


@dataclass(frozen=True)
class PersonGroup:
    label: str
    people: list[User]


def people_first(
    session: Session, people: Sequence[User], *, team: Team | None, now: datetime
) -> list[PersonGroup]:
    """`people` for a picker, in groups: who is on call now, then the team, then everyone else.

    Listed by name alone, the Administrator came first and was chosen for whoever did not
    look; the pickers start on a "Choose a person" placeholder instead, and offer first the
    people the choice most likely falls on.
    """
    on_call = {o.user.id for o in service.on_call_everywhere(session, at=now) if o.user}
    on_team: set[int] = set()
    if team is not None:
        on_team = {m.user_id for m in team.members}
        if team.lead_id is not None:
            on_team.add(team.lead_id)
    groups = [
        PersonGroup("On call now", [p for p in people if p.id in on_call]),
        PersonGroup(team.name if team else "", [p for p in people if p.id in on_team - on_call]),
    ]
    groups = [g for g in groups if g.people]
    rest = [p for p in people if p.id not in on_call | on_team]
    if rest:
        groups.append(PersonGroup("Everyone else" if groups else "Everyone", rest))
    return groups


def schedule_path(schedule: Schedule | int) -> str:
    return f"/oncall/schedules/{schedule if isinstance(schedule, int) else schedule.id}"


# --- schedules ---------------------------------------------------------------------------------


@router.get("/oncall")
def schedules_page(request: Request, principal: Viewer, session: DbSession, now: Now) -> Response:
    everyone = service.on_call_everywhere(session, at=now)
    return render(request, "oncall/index.html", {"oncall": everyone, "zones": ZONES})


def _schedule_context(
    session: Session, principal: Principal, schedule: Schedule, now: datetime
) -> dict[str, Any]:
    viewer_zone = principal.user.time_zone
    start = views.window_start(now, viewer_zone)
    window = views.Window(start, start + WINDOW)
    # Computed a little wider, so shifts crossing the window's edges show their real times.
    result = service.timeline(
        session, schedule=schedule, start=start - MARGIN, end=window.end + MARGIN
    )
    upcoming = swaps.upcoming_shifts(session, schedule=schedule, now=now)
    people = service.users_by_id(
        session, service.timeline_users(result) | {s.user_id for s in upcoming}
    )
    layers = {layer.id: layer for layer in schedule.layers}
    choices = views.shift_choices(upcoming, layers, people, viewer_zone)
    home = zone(schedule.time_zone)
    in_rotation = {p.user_id for layer in schedule.layers for p in layer.participants}
    return {
        "schedule": schedule,
        "schedule_now": views.when(now, home, "%a %d %b %H:%M %Z"),
        "oncall": service.who_is_on_call(session, schedule, now),
        "tracks": views.tracks(schedule, result, window, people, viewer_zone),
        "ticks": views.ticks(window, viewer_zone),
        "days": views.days(schedule, result, window, people, viewer_zone),
        "overrides": swaps.list_overrides(session, schedule=schedule, since=now),
        "swaps": [
            s
            for s in swaps.list_swaps(session, schedule=schedule, since=now)
            if s.status in (SwapStatus.PENDING, SwapStatus.ACCEPTED)
        ],
        "my_shifts": [c for c in choices if c.user_id == principal.user.id],
        "other_shifts": [c for c in choices if c.user_id != principal.user.id],
        "people": on_call_people(session),
        "in_rotation": principal.user.id in in_rotation,
        "is_admin": principal.user.role is Role.ADMIN,
        "can_respond": principal.user.role.allows(Role.RESPONDER),
        "inactive": sorted(
            {
                p.user.display_name
                for la in schedule.layers
                for p in la.participants
                if not p.user.is_active
            }
        ),
        "now_local": to_local(now, zone(viewer_zone)).strftime("%Y-%m-%dT%H:%M"),
        "new_feed_url": None,
    }


@router.get("/oncall/schedules/{schedule_id}")
def schedule_page(
    schedule_id: int, request: Request, principal: Viewer, session: DbSession, now: Now
) -> Response:
    schedule = service.get_schedule(session, schedule_id)
    context = _schedule_context(session, principal, schedule, now)
    return render(request, "oncall/schedule.html", context)


# --- overrides ---------------------------------------------------------------------------------


@router.post("/oncall/schedules/{schedule_id}/overrides")
def create_override(
    schedule_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    user_id: Annotated[int, Form()],
    starts_at: Annotated[str, Form(max_length=40)],
    ends_at: Annotated[str, Form(max_length=40)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    schedule = service.get_schedule(session, schedule_id)
    tz_name = principal.user.time_zone
    swaps.create_override(
        session,
        schedule=schedule,
        user=get_user(session, user_id),
        starts_at=parse_local(starts_at, tz_name, "starts_at"),
        ends_at=parse_local(ends_at, tz_name, "ends_at"),
        note=note,
        actor=principal.user,
        now=now,
    )
    return back(schedule_path(schedule), "Override added.")


@router.post("/oncall/schedules/{schedule_id}/overrides/{override_id}/cancel")
def cancel_override(
    schedule_id: int, override_id: int, principal: Responder, session: DbSession, now: Now
) -> Response:
    swaps.cancel_override(
        session, schedule_id=schedule_id, override_id=override_id, actor=principal.user, now=now
    )
    return back(schedule_path(schedule_id), "Override cancelled.")


# --- swaps -------------------------------------------------------------------------------------


@router.post("/oncall/schedules/{schedule_id}/swaps")
def request_swap(
    schedule_id: int,
    principal: Responder,
    session: DbSession,
    now: Now,
    give: Annotated[str, Form(max_length=80)],
    counterpart_id: Annotated[int, Form()],
    take: Annotated[str, Form(max_length=80)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    schedule = service.get_schedule(session, schedule_id)
    layer_id, give_start = parse_choice(give, "give")
    take_start = None
    if take:
        take_layer, take_start = parse_choice(take, "take")
        if take_layer != layer_id:
            raise InvalidInput("swap shifts of the same layer", field="take")
    counterpart = get_user(session, counterpart_id)
    swaps.request_swap(
        session,
        schedule=schedule,
        layer_id=layer_id,
        requester=principal.user,
        counterpart=counterpart,
        give_start=give_start,
        take_start=take_start,
        note=note,
        actor=principal.user,
        now=now,
    )
    return back(schedule_path(schedule), f"Swap requested; waiting for {counterpart.display_name}.")


@router.post("/oncall/schedules/{schedule_id}/swaps/{swap_id}/{action}")
def answer_swap(
    schedule_id: int,
    swap_id: int,
    action: str,
    principal: Responder,
    session: DbSession,
    now: Now,
    next: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    schedule = service.get_schedule(session, schedule_id)
    swap = swaps.get_swap(session, schedule, swap_id)
    if action == "accept":
        swaps.accept_swap(session, schedule=schedule, swap=swap, actor=principal.user, now=now)
        message = "Swap accepted: the shifts have changed hands."
    elif action == "decline":
        swaps.decline_swap(session, swap=swap, actor=principal.user, now=now)
        message = "Swap declined; nothing changed."
    elif action == "cancel":
        swaps.cancel_swap(session, swap=swap, actor=principal.user, now=now)
        message = "Swap request cancelled."
    else:
        raise NotFound(f"no swap action {action!r}")
    target = next if next in ("/oncall/me",) else schedule_path(schedule)
    return back(target, message)


# --- my on-call --------------------------------------------------------------------------------


def _me_context(session: Session, principal: Principal, now: datetime) -> dict[str, Any]:
    me = principal.user
    tz = zone(me.time_zone)
    mine = []
    for schedule in service.list_schedules(session):
        result = service.timeline(
            session, schedule=schedule, start=now, end=now + timedelta(days=56)
        )
        for run in compute.runs(result.final):
            if run.user_id == me.id:
                mine.append((run.start, schedule, run))
    mine.sort(key=lambda item: item[0])
    return {
        "runs": [
            {
                "schedule": schedule,
                "start": views.when(run.start, tz),
                "end": views.when(run.end, tz),
                "now": run.start <= now,
            }
            for _, schedule, run in mine
        ],
        "swaps": [
            s
            for s in swaps.list_swaps(session, user=me, since=now)
            if s.status is SwapStatus.PENDING
        ],
        "notices": notices.list_notices(session, user=me),
        "feeds": [f for f in feeds.list_feeds(session, owner=me) if f.revoked_at is None],
        "schedules": service.list_schedules(session),
        "new_feed_url": None,
    }


@router.get("/oncall/me")
def my_oncall(request: Request, principal: Viewer, session: DbSession, now: Now) -> Response:
    return render(request, "oncall/me.html", _me_context(session, principal, now))


@router.post("/oncall/feeds")
def create_feed(
    request: Request,
    principal: Viewer,
    session: DbSession,
    settings: AppSettings,
    now: Now,
    schedule_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    schedule = service.get_schedule(session, int(schedule_id)) if is_digits(schedule_id) else None
    _, token = feeds.create_feed(session, owner=principal.user, schedule=schedule, now=now)
    context = _me_context(session, principal, now)
    context["new_feed_url"] = feeds.feed_url(settings.base_url, token)
    return render(request, "oncall/me.html", context)


@router.post("/oncall/feeds/{feed_id}/revoke")
def revoke_feed(feed_id: int, principal: Viewer, session: DbSession, now: Now) -> Response:
    feeds.revoke_feed(session, feed_id=feed_id, actor=principal.user, now=now)
    return back("/oncall/me", "Calendar link revoked; it no longer works.")


# --- hours report ------------------------------------------------------------------------------


def _period(first: date | None, last: date | None, now: datetime) -> tuple[date, date]:
    if first is None:
        first = now.date().replace(day=1)
    if last is None:
        last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


@router.get("/oncall/hours")
def hours_page(
    request: Request,
    principal: Viewer,
    session: DbSession,
    now: Now,
    first: date | None = None,
    last: date | None = None,
    schedule_id: int | None = None,
) -> Response:
    first, last = _period(first, last, now)
    rows = report.hours_report(session, first=first, last=last, schedule_id=schedule_id)
    return render(
        request,
        "oncall/hours.html",
        {
            "rows": rows,
            "first": first,
            "last": last,
            "schedule_id": schedule_id,
            "schedules": service.list_schedules(session),
        },
    )


@router.get("/oncall/hours.csv")
def hours_csv(
    principal: Viewer,
    session: DbSession,
    now: Now,
    first: date | None = None,
    last: date | None = None,
    schedule_id: int | None = None,
) -> Response:
    first, last = _period(first, last, now)
    rows = report.hours_report(session, first=first, last=last, schedule_id=schedule_id)
    return Response(
        report.hours_csv(rows, first=first, last=last),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="oncall-hours-{first}-{last}.csv"'},
    )


# --- calendar feeds (no sign-in: the unguessable token is the credential) ----------------------


@router.get("/calendar/{token}.ics")
def calendar_feed(token: str, session: DbSession, settings: AppSettings, now: Now) -> Response:
    feed = feeds.feed_for_token(session, token)
    if feed is None:
        raise NotFound("no such calendar; the link may have been revoked")
    body = feeds.render_feed(session, feed=feed, base_url=settings.base_url, now=now)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"},
    )
