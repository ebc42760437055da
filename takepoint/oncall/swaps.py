"""Overrides (someone covers a period) and swap requests (nothing changes until accepted).

Responders arrange cover for themselves; admins may arrange it for anyone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from takepoint.accounts.models import Role, User
from takepoint.lib.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from takepoint.oncall import compute
from takepoint.oncall.models import Layer, Override, Schedule, SwapRequest, SwapStatus
from takepoint.oncall.service import check_on_call_user, get_layer, get_schedule, schedule_spec

MAX_OVERRIDE = timedelta(days=92)
SWAP_HORIZON = timedelta(days=180)


def _is_admin(user: User) -> bool:
    return user.role is Role.ADMIN


# --- overrides ---------------------------------------------------------------------------------


def create_override(
    session: Session,
    *,
    schedule: Schedule,
    user: User,
    starts_at: datetime,
    ends_at: datetime,
    actor: User,
    now: datetime,
    note: str = "",
) -> Override:
    """`user` covers [starts_at, ends_at) above every layer."""
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidInput(f"{name} has no UTC offset", field=name)
    if ends_at <= starts_at:
        raise InvalidInput("the override must end after it starts", field="ends_at")
    if ends_at - starts_at > MAX_OVERRIDE:
        raise InvalidInput(
            f"an override lasts at most {MAX_OVERRIDE.days} days; for longer, change the rotation",
            field="ends_at",
        )
    check_on_call_user(user)
    if not _is_admin(actor):
        if user.id != actor.id:
            raise PermissionDenied("responders can only put themselves on call; ask an admin")
        if ends_at <= now:
            # Recording cover after the fact changes the pay record; that is an admin's call.
            raise InvalidInput("that period is over; ask an admin to record it", field="ends_at")
    override = Override(
        schedule_id=schedule.id,
        user_id=user.id,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note.strip()[:500],
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(override)
    session.flush()
    return override


def get_override(session: Session, schedule: Schedule, override_id: int) -> Override:
    override = session.get(Override, override_id)
    if override is None or override.schedule_id != schedule.id:
        raise NotFound(f"{schedule.name} has no override with id {override_id}")
    return override


def cancel_override(
    session: Session, *, schedule_id: int, override_id: int, actor: User, now: datetime
) -> Override:
    override = get_override(session, get_schedule(session, schedule_id), override_id)
    if not _is_admin(actor):
        if actor.id not in (override.user_id, override.created_by_id):
            raise PermissionDenied("only the person covering, its creator or an admin can cancel")
        if override.ends_at <= now:
            raise Conflict("that override is over; ask an admin", field="override")
    if override.cancelled_at is None:
        override.cancelled_at = now
    session.flush()
    return override


def list_overrides(session: Session, *, schedule: Schedule, since: datetime) -> list[Override]:
    return list(
        session.scalars(
            select(Override)
            .options(selectinload(Override.user), selectinload(Override.created_by))
            .where(
                Override.schedule_id == schedule.id,
                Override.cancelled_at.is_(None),
                Override.ends_at > since,
            )
            .order_by(Override.starts_at)
        )
    )


# --- swaps -------------------------------------------------------------------------------------


def _shift_of(
    session: Session, schedule: Schedule, layer: Layer, start: datetime
) -> compute.Shift | None:
    spec = schedule_spec(session, schedule, start=start, end=start + timedelta(seconds=1))
    shifts = compute.layer_shifts(spec, layer.id, start, start + timedelta(seconds=1))
    return next((s for s in shifts if s.start == start), None)


def _check_owned(
    session: Session,
    schedule: Schedule,
    layer: Layer,
    start: datetime,
    owner: User,
    now: datetime,
    field: str,
) -> compute.Shift:
    shift = _shift_of(session, schedule, layer, start)
    if shift is None:
        raise InvalidInput(f"no {layer.name} shift starts at {start.isoformat()}", field=field)
    if shift.user_id != owner.id:
        raise Conflict(
            f"the {layer.name} shift starting {start.isoformat()} is not {owner.display_name}'s",
            field=field,
        )
    if shift.start <= now:
        raise Conflict(
            "that shift has already started; cover the rest of it with an override", field=field
        )
    return shift


def request_swap(
    session: Session,
    *,
    schedule: Schedule,
    layer_id: int,
    requester: User,
    counterpart: User,
    give_start: datetime,
    actor: User,
    now: datetime,
    take_start: datetime | None = None,
    note: str = "",
) -> SwapRequest:
    """Ask `counterpart` to take the requester's shift, optionally in return for one of theirs."""
    if requester.id != actor.id and not _is_admin(actor):
        raise PermissionDenied("you can only offer your own shifts")
    if counterpart.id == requester.id:
        raise InvalidInput("choose someone else to swap with", field="counterpart_id")
    check_on_call_user(counterpart, "counterpart_id")
    layer = get_layer(session, schedule, layer_id)
    give = _check_owned(session, schedule, layer, give_start, requester, now, "give_start")
    take = None
    if take_start is not None:
        take = _check_owned(session, schedule, layer, take_start, counterpart, now, "take_start")
    for start in filter(None, (give_start, take_start)):
        if start - now > SWAP_HORIZON:
            raise InvalidInput(
                f"swap shifts within the next {SWAP_HORIZON.days} days", field="give_start"
            )
    duplicate = session.scalar(
        select(SwapRequest.id).where(
            SwapRequest.layer_id == layer.id,
            SwapRequest.status == SwapStatus.PENDING,
            SwapRequest.requester_id == requester.id,
            SwapRequest.give_start == give.start,
        )
    )
    if duplicate is not None:
        raise Conflict("you have already offered that shift; cancel that request first")
    swap = SwapRequest(
        schedule_id=schedule.id,
        layer_id=layer.id,
        requester_id=requester.id,
        counterpart_id=counterpart.id,
        give_start=give.start,
        give_end=give.end,
        take_start=take.start if take else None,
        take_end=take.end if take else None,
        note=note.strip()[:500],
        created_at=now,
    )
    session.add(swap)
    session.flush()
    return swap


def get_swap(session: Session, schedule: Schedule, swap_id: int) -> SwapRequest:
    swap = session.get(SwapRequest, swap_id)
    if swap is None or swap.schedule_id != schedule.id:
        raise NotFound(f"{schedule.name} has no swap request with id {swap_id}")
    return swap


def _check_pending(swap: SwapRequest, now: datetime) -> None:
    if swap.status is not SwapStatus.PENDING:
        raise Conflict(f"that swap request is already {swap.status.value}", field="status")
    if swap.give_start <= now or (swap.take_start is not None and swap.take_start <= now):
        raise Conflict("that shift has started; the swap request has expired", field="status")


def accept_swap(
    session: Session, *, schedule: Schedule, swap: SwapRequest, actor: User, now: datetime
) -> SwapRequest:
    """The counterpart accepts: from now on exactly the swapped shifts change hands."""
    if actor.id != swap.counterpart_id and not _is_admin(actor):
        raise PermissionDenied("only the person asked can accept this swap")
    _check_pending(swap, now)
    # The rotation may have changed since the request; accept only what was offered.
    _check_owned(session, schedule, swap.layer, swap.give_start, swap.requester, now, "give_start")
    if swap.take_start is not None:
        _check_owned(
            session, schedule, swap.layer, swap.take_start, swap.counterpart, now, "take_start"
        )
    check_on_call_user(swap.counterpart, "counterpart_id")
    swap.status = SwapStatus.ACCEPTED
    swap.decided_at = now
    session.flush()
    return swap


def decline_swap(session: Session, *, swap: SwapRequest, actor: User, now: datetime) -> SwapRequest:
    if actor.id != swap.counterpart_id and not _is_admin(actor):
        raise PermissionDenied("only the person asked can decline this swap")
    _check_pending(swap, now)
    swap.status = SwapStatus.DECLINED
    swap.decided_at = now
    session.flush()
    return swap


def cancel_swap(session: Session, *, swap: SwapRequest, actor: User, now: datetime) -> SwapRequest:
    if actor.id != swap.requester_id and not _is_admin(actor):
        raise PermissionDenied("only the person who asked can cancel this swap")
    if swap.status is not SwapStatus.PENDING:
        raise Conflict(f"that swap request is already {swap.status.value}", field="status")
    swap.status = SwapStatus.CANCELLED
    swap.decided_at = now
    session.flush()
    return swap


def list_swaps(
    session: Session,
    *,
    schedule: Schedule | None = None,
    user: User | None = None,
    since: datetime | None = None,
) -> list[SwapRequest]:
    query = select(SwapRequest).options(
        selectinload(SwapRequest.requester),
        selectinload(SwapRequest.counterpart),
        selectinload(SwapRequest.layer),
        selectinload(SwapRequest.schedule),
    )
    if schedule is not None:
        query = query.where(SwapRequest.schedule_id == schedule.id)
    if user is not None:
        query = query.where(
            or_(SwapRequest.requester_id == user.id, SwapRequest.counterpart_id == user.id)
        )
    if since is not None:
        query = query.where(SwapRequest.give_end > since)
    return list(session.scalars(query.order_by(SwapRequest.give_start)))


def upcoming_shifts(
    session: Session,
    *,
    schedule: Schedule,
    now: datetime,
    user: User | None = None,
    days: int = 56,
) -> list[compute.Shift]:
    """Layer shifts that have not started yet (someone's, or everyone's), soonest first."""
    end = now + timedelta(days=days)
    spec = schedule_spec(session, schedule, start=now, end=end)
    found = []
    for layer in schedule.layers:
        for shift in compute.layer_shifts(spec, layer.id, now, end):
            if shift.start > now and (user is None or shift.user_id == user.id):
                found.append(shift)
    return sorted(found, key=lambda s: (s.start, s.layer_id))
